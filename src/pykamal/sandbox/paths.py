"""Where the sandbox keeps its build cache and the state of running sandboxes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_NAME = "pykamal-sandbox"


def cache_dir() -> Path:
    """Build cache (rootfs tarball, kamal-proxy binary, downloaded .debs); safe to delete."""
    override = os.environ.get("PYKAMAL_SANDBOX_CACHE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pykamal-sandbox"


def state_root() -> Path:
    """Generated keys, ssh config and known_hosts of running sandboxes (one folder per sandbox name)."""
    override = os.environ.get("PYKAMAL_SANDBOX_STATE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "pykamal-sandbox"


@dataclass(frozen=True)
class StatePaths:
    """Files `up` writes for one sandbox; `down` removes the whole folder."""

    root: Path

    @classmethod
    def for_name(cls, name: str) -> StatePaths:
        return cls(state_root() / name)

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    def host_key(self, address: str) -> Path:
        return self.root / "host-keys" / address / "ssh_host_ed25519_key"
