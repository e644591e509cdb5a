"""Lightweight SSH hosts for tests and benchmarks: one ``sshd`` process per loopback address.

Each host listens on ``127.0.<net>.<n>:22`` with its own host key, its own home directory (a
ForceCommand wrapper cds there and sets HOME, so ``.kamal/…`` paths are per host) and its own
command log. Needs root (port 22) and ``/usr/sbin/sshd``. Only loopback addresses are used.

Logins use a dedicated account (``FARM_USER``, created on first use, shell ``/bin/sh``): sshd
runs every command through the login shell, and a root bash with a heavy ``.bashrc`` would add
~100 ms to every command, measuring the machine's shell setup instead of the SSH layer.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
FARM_USER = "pkfarm"
FARM_USER_HOME = "/var/lib/pkfarm"


def available() -> str | None:
    """None if a farm can run here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "sshd farm needs root (port 22 on loopback addresses)"
    if not Path(SSHD).exists():
        return f"{SSHD} not installed (apt-get install openssh-server)"
    if not shutil.which("ssh-keygen"):
        return "ssh-keygen not installed"
    return None


def ensure_user(name: str = FARM_USER, home: str = FARM_USER_HOME) -> tuple[int, int]:
    """The login account of farm hosts (created if missing), with a writable home for light hosts."""
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", name],
            check=True,
        )
    # "!" (locked) makes sshd refuse even key logins when PAM is off; "*" only disables passwords
    subprocess.run(["usermod", "-p", "*", "-d", home, name], check=True)
    entry = pwd.getpwnam(name)
    Path(home).mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    return entry.pw_uid, entry.pw_gid


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


@dataclass
class FarmHost:
    address: str
    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def log_path(self) -> Path:
        return self.root / "commands.log"

    def command_log(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return [line for line in self.log_path.read_text().splitlines() if line]

    def clear_command_log(self) -> None:
        self.log_path.write_text("")

    def public_host_key(self) -> str:
        return " ".join(Path(f"{self.host_key}.pub").read_text().split()[:2])


@dataclass
class SshdFarm:
    workdir: Path
    count: int
    net: int = 77  # addresses 127.0.<net>.<first + i>
    first: int = 11
    hosts: list[FarmHost] = field(default_factory=list)
    user: str = FARM_USER
    # False: no ForceCommand wrapper (no per-host home or command log), one shell per command,
    # for benchmarks with many hosts; every host then shares the account's home directory
    isolated: bool = True

    @property
    def client_key(self) -> Path:
        return self.workdir / "id_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        return self.workdir / "known_hosts"

    @property
    def ssh_config_path(self) -> Path:
        return self.workdir / "ssh_config"

    @property
    def addresses(self) -> list[str]:
        return [h.address for h in self.hosts]

    def host(self, address: str) -> FarmHost:
        return next(h for h in self.hosts if h.address == address)

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> SshdFarm:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        uid, gid = ensure_user(self.user)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        if not self.client_key.exists():
            _keygen(self.client_key, "farm-client")
        (self.workdir / "authorized_keys").write_text(Path(f"{self.client_key}.pub").read_text())
        for i in range(self.count):
            address = f"127.0.{self.net}.{self.first + i}"
            host = FarmHost(address, self.workdir / address)
            host.home.mkdir(parents=True, exist_ok=True)
            host.root.chmod(0o755)
            os.chown(host.home, uid, gid)
            host.log_path.touch()
            os.chown(host.log_path, uid, gid)
            if not host.host_key.exists():
                _keygen(host.host_key, address)
            self._write_host_files(host)
            self.hosts.append(host)
        for host in self.hosts:
            self.start_host(host)
        self.write_known_hosts()
        self.write_ssh_config()
        for host in self.hosts:
            wait_for_port(host.address, 22)
        return self

    def _write_host_files(self, host: FarmHost) -> None:
        wrapper = host.root / "session.sh"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"cd {host.home} || exit 1\n"
            f"export HOME={host.home}\n"
            f'printf "%s\\n" "$SSH_ORIGINAL_COMMAND" >> {host.log_path}\n'
            'if [ -z "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/sh -l; fi\n'
            'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
        )
        wrapper.chmod(0o755)
        (host.root / "sshd_config").write_text(
            f"ListenAddress {host.address}:22\n"
            f"HostKey {host.host_key}\n"
            f"PidFile {host.root}/sshd.pid\n"
            f"AuthorizedKeysFile {self.workdir}/authorized_keys\n"
            "PermitRootLogin prohibit-password\n"
            f"AllowUsers {self.user}\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            "StrictModes no\n"
            "MaxStartups 200:30:400\n"
            "MaxSessions 20\n"
            "AllowTcpForwarding yes\n"
            "LogLevel ERROR\n"
            + (f"ForceCommand {wrapper}\n" if self.isolated else "")
            + f"Subsystem sftp {SFTP_SERVER}\n"
        )

    def set_sftp(self, host: FarmHost, enabled: bool) -> None:
        """Turn the host's SFTP subsystem on or off (restarts its sshd)."""
        config = host.root / "sshd_config"
        lines = [line for line in config.read_text().splitlines() if not line.startswith("Subsystem sftp")]
        if enabled:
            lines.append(f"Subsystem sftp {SFTP_SERVER}")
        config.write_text("\n".join(lines) + "\n")
        self.stop_host(host)
        self.start_host(host)
        wait_for_port(host.address, 22)

    def start_host(self, host: FarmHost) -> None:
        host.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-r", "-f", str(host.root / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(host.root / "sshd.err", "ab"),  # noqa: SIM115
        )

    def stop_host(self, host: FarmHost) -> None:
        if host.process is not None and host.process.poll() is None:
            host.process.send_signal(signal.SIGCONT)
            host.process.terminate()
            try:
                host.process.wait(5)
            except subprocess.TimeoutExpired:
                host.process.kill()
                host.process.wait()
        host.process = None

    def restart_host(self, host: FarmHost, *, new_host_key: bool = False) -> None:
        self.stop_host(host)
        if new_host_key:
            host.host_key.unlink()
            Path(f"{host.host_key}.pub").unlink()
            _keygen(host.host_key, host.address)
        self.start_host(host)
        wait_for_port(host.address, 22)

    def pause_host(self, host: FarmHost) -> None:
        """Freeze sshd: TCP still connects (the kernel accepts), but no SSH banner ever comes."""
        assert host.process is not None
        host.process.send_signal(signal.SIGSTOP)

    def resume_host(self, host: FarmHost) -> None:
        assert host.process is not None
        host.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        for host in self.hosts:
            self.stop_host(host)

    def __enter__(self) -> SshdFarm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- client files --------------------------------------------------------------------------
    def write_known_hosts(self) -> None:
        self.known_hosts_path.write_text("".join(f"{h.address} {h.public_host_key()}\n" for h in self.hosts))

    def write_ssh_config(self) -> None:
        self.ssh_config_path.write_text(
            f"Host 127.0.{self.net}.*\n"
            f"  IdentityFile {self.client_key}\n"
            "  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {self.known_hosts_path}\n"
            "  StrictHostKeyChecking accept-new\n"
            "  LogLevel ERROR\n"
        )


def wait_for_port(address: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sshd on {address}:{port} did not start") from None
            time.sleep(0.02)
