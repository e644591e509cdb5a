"""How much privilege a host container can get from this Docker engine.

`--privileged` asks for every capability; where the engine itself runs without some of them
(seen on VMs lacking CAP_SYS_RESOURCE) runc refuses with "unable to apply caps". Then the
host gets all capabilities the engine has, and the confinements `--privileged` would lift.
"""

from __future__ import annotations

from pathlib import Path

CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
)  # fmt: skip


def missing_capabilities(status: Path = Path("/proc/self/status")) -> list[str]:
    """Capabilities absent from this process's bounding set (the engine's, on a local Docker)."""
    try:
        lines = status.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        if line.startswith("CapBnd:"):
            mask = int(line.split()[1], 16)
            return [name for bit, name in enumerate(CAPABILITIES) if not mask >> bit & 1]
    return []


def privilege_flags(missing: list[str]) -> list[str]:
    """`docker run` flags giving a container what a nested dockerd needs."""
    if not missing:
        return ["--privileged"]
    flags = ["--cap-add", "ALL"]
    for name in missing:
        flags += ["--cap-drop", name]
    flags += [
        "--security-opt", "seccomp=unconfined",
        "--security-opt", "apparmor=unconfined",
        "--security-opt", "systempaths=unconfined",
    ]  # fmt: skip
    if Path("/dev/fuse").exists():
        flags += ["--device", "/dev/fuse"]
    return flags
