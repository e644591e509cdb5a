"""Keys, known_hosts and the OpenSSH client config that `up` generates for a sandbox."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from pykamal.sandbox.errors import SandboxError
from pykamal.sandbox.paths import StatePaths


def ensure_key(path: Path, comment: str) -> Path:
    """An ed25519 key pair without passphrase at `path` (kept when it already exists)."""
    if path.exists() and path.with_suffix(".pub").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    try:
        result = subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise SandboxError(
            "ssh-keygen not found: install the OpenSSH client (`apt-get install openssh-client`)"
        ) from exc
    if result.returncode != 0:
        raise SandboxError(f"ssh-keygen failed for {path}: {result.stderr.strip()}")
    return path


def public_key(private: Path) -> str:
    return private.with_suffix(".pub").read_text().strip()


def known_hosts_text(host_keys: Iterable[tuple[str, Path]]) -> str:
    """One line per host: `<address> <type> <key>` (port 22, so no brackets)."""
    lines = []
    for address, key in host_keys:
        kind, blob, *_ = public_key(key).split()
        lines.append(f"{address} {kind} {blob}\n")
    return "".join(lines)


def ssh_config_text(name: str, addresses: list[str], paths: StatePaths, user: str = "root") -> str:
    """An OpenSSH config that reaches every host with the generated key and known_hosts only."""
    if not addresses:
        return f"# sandbox {name}: no hosts\n"
    lines = [
        f"# sandbox {name}: written by `pykamal sandbox up`, removed by `pykamal sandbox down`",
        "Host " + " ".join(addresses),
        f"    User {user}",
        "    Port 22",
        f"    IdentityFile {_quoted(paths.client_key)}",
        "    IdentitiesOnly yes",
        f"    UserKnownHostsFile {_quoted(paths.known_hosts)}",
        "    GlobalKnownHostsFile /dev/null",
        "    StrictHostKeyChecking yes",
        "    CheckHostIP no",
        "",
    ]
    return "\n".join(lines)


def _quoted(path: Path) -> str:
    text = str(path)
    return f'"{text}"' if " " in text else text
