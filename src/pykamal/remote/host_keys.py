"""Host key verification: known_hosts lookups, accept-new recording, refusal of changed keys.

Which files are consulted follows OpenSSH: ``UserKnownHostsFile`` from the OpenSSH config (when
set) or ``~/.ssh/known_hosts``, plus ``GlobalKnownHostsFile`` or ``/etc/ssh/ssh_known_hosts``.
New keys (policy ``accept-new``) are appended to the first user file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pykamal.config.names import known_hosts_safe

DEFAULT_USER_FILES = ("~/.ssh/known_hosts",)
DEFAULT_GLOBAL_FILES = ("/etc/ssh/ssh_known_hosts",)


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH writes a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


@dataclass
class KnownHostsFiles:
    """Reads and caches known_hosts files (shared by every connection of a run).

    Lines that cannot be parsed are skipped, as OpenSSH does (asyncssh would refuse the whole
    file); ``warn`` hears about them once per file.
    """

    warn: Callable[[str], None] | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def load(self, path: str) -> Any:
        import asyncssh

        if path not in self._cache:
            try:
                text = Path(path).read_text(errors="replace")
            except OSError:
                text = ""
            self._cache[path] = asyncssh.import_known_hosts(self._parsable(path, text))
        return self._cache[path]

    def _parsable(self, path: str, text: str) -> str:
        import asyncssh

        kept: list[str] = []
        skipped: list[int] = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                asyncssh.import_known_hosts(line)
            except ValueError:
                skipped.append(number)
                continue
            kept.append(line)
        if skipped and self.warn is not None:
            more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
            self.warn(f"{path}:{skipped[0]}: skipped a line that is not a known_hosts entry{more}")
        return "\n".join(kept) + "\n" if kept else ""

    def forget(self, path: str) -> None:
        self._cache.pop(path, None)


@dataclass
class HostKeyCheck:
    """Verification state of one connection attempt (created per connect)."""

    policy: str  # "accept-new" | "strict"
    user_files: tuple[str, ...]
    global_files: tuple[str, ...]
    files: KnownHostsFiles
    port: int = 22
    # filled in when a key is rejected, so the connection error can explain why
    rejected: str | None = None
    recorded_in: str | None = None

    @property
    def all_files(self) -> tuple[str, ...]:
        return self.user_files + self.global_files

    def trusted(self, host: str, addr: str, port: int | None) -> tuple[list[Any], list[Any], list[Any]]:
        """asyncssh's known_hosts callable: keys trusted for this host."""
        host_keys: list[Any] = []
        ca_keys: list[Any] = []
        revoked: list[Any] = []
        for path in self.all_files:
            matched = self.files.load(path).match(host, addr, port)
            host_keys.extend(matched[0])
            ca_keys.extend(matched[1])
            revoked.extend(matched[2])
        return host_keys, ca_keys, revoked

    def validate_unknown_key(self, host: str, addr: str, port: int, key: Any) -> bool:
        """Called for a key that is not trusted: record it if the host is new, else refuse."""
        name = known_hosts_name(host, port)
        if not known_hosts_safe(name):
            self.rejected = (
                f"host name {name!r} cannot be written to known_hosts (it holds characters that "
                "known_hosts reads as separators or patterns); refusing its unknown key"
            )
            return False
        fingerprint = key.get_fingerprint()
        lookup_port = port if port != 22 else None
        known, _ca, _revoked = self.trusted(host, addr, lookup_port)
        if known:
            old = ", ".join(sorted({k.get_fingerprint() for k in known}))
            self.rejected = (
                f"host key for {name} has CHANGED (server offered {key.get_algorithm()} {fingerprint}; "
                f"known_hosts has {old}). Refusing to connect: this could be a man-in-the-middle attack. "
                f"If the server was rebuilt, remove the old key with: ssh-keygen -R {name}"
            )
            return False
        if self.policy != "accept-new":
            target = self.user_files[0] if self.user_files else "~/.ssh/known_hosts"
            self.rejected = (
                f"host key for {name} ({key.get_algorithm()} {fingerprint}) is not in known_hosts "
                f"({', '.join(self.user_files)}) and PYKAMAL_SSH_HOST_KEY_CHECKING=strict; "
                f"add it with: ssh-keyscan -p {port} {host} >> {target}"
            )
            return False
        self._record(host, port, key)
        return True

    def _record(self, host: str, port: int, key: Any) -> None:
        if not self.user_files:
            return
        path = Path(self.user_files[0])
        algorithm_and_blob = key.export_public_key("openssh").decode().split()[:2]
        line = f"{known_hosts_name(host, port)} {' '.join(algorithm_and_blob)}\n"
        try:
            if str(path) != os.devnull:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                needs_newline = path.is_file() and path.stat().st_size > 0 and not _ends_with_newline(path)
                with open(path, "a") as handle:
                    handle.write(("\n" if needs_newline else "") + line)
            self.recorded_in = str(path)
        except OSError:
            self.recorded_in = None  # could not record: still accepted for this run, as OpenSSH does
        self.files.forget(str(path))


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def expand_files(values: object, defaults: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        values = defaults
    if isinstance(values, str):
        values = values.split()
    return tuple(str(Path(str(v)).expanduser()) for v in values)  # type: ignore[attr-defined]
