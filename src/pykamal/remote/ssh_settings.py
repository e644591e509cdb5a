"""SSH connection settings: Kamal's ``ssh:``/``sshkit:`` config plus pykamal's environment overrides.

Environment variables (all optional):

* ``PYKAMAL_SSH_HOST_KEY_CHECKING`` — ``accept-new`` (default: unknown hosts are recorded on first
  use, a changed key is refused), ``strict`` (host must already be in known_hosts) or ``off``
  (no verification at all). Without it, an OpenSSH config ``StrictHostKeyChecking`` setting for the
  host is honoured (``yes`` → strict, ``accept-new`` → accept-new, ``no``/``off`` → off).
* ``PYKAMAL_SSH_CONNECT_TIMEOUT`` — seconds for TCP connect + handshake + login (default 30).
* ``PYKAMAL_COMMAND_TIMEOUT`` — default per-command timeout in seconds (default: none).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pykamal.errors import ConfigError

if TYPE_CHECKING:
    from pykamal.config.model import Config

HOST_KEY_POLICIES = ("accept-new", "strict", "off")
DEFAULT_CONNECT_TIMEOUT = 30.0
KEEPALIVE_INTERVAL = 30
KEEPALIVE_COUNT_MAX = 3
DEFAULT_SSH_CONFIG_FILES = ("~/.ssh/config", "/etc/ssh/ssh_config")


@dataclass(frozen=True)
class JumpHost:
    user: str
    host: str
    port: int = 22

    @classmethod
    def parse(cls, spec: str) -> JumpHost:
        """``[user@]host[:port]``; the user defaults to root, as in Kamal."""
        user, _, rest = spec.rpartition("@")
        host, port = rest, 22
        if rest.startswith("["):  # [ipv6]:port
            inner, _, tail = rest[1:].partition("]")
            host = inner
            if tail.startswith(":"):
                port = _port(tail[1:], spec)
        elif rest.count(":") == 1:
            host, port_text = rest.split(":")
            port = _port(port_text, spec)
        if not host:
            raise ConfigError(f"ssh/proxy: {spec!r} is not a valid [user@]host[:port]")
        return cls(user or "root", host, port)

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def _port(text: str, spec: str) -> int:
    if not text.isdigit():
        raise ConfigError(f"ssh/proxy: {spec!r} has an invalid port")
    return int(text)


@dataclass(frozen=True)
class SshSettings:
    user: str = "root"
    port: int = 22
    proxy: JumpHost | None = None
    proxy_command: str | None = None
    keys: tuple[str, ...] = ()
    keys_only: bool = False
    key_data: tuple[str, ...] = field(default=(), repr=False)  # private keys (PEM text)
    config_files: tuple[str, ...] | None = None  # None: no OpenSSH config at all
    log_level: str = "fatal"
    max_concurrent_starts: int = 30
    pool_idle_timeout: float = 900.0
    dns_retries: int = 3
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    command_timeout: float | None = None
    host_key_checking: str | None = None  # None: from ssh config StrictHostKeyChecking, else accept-new
    keepalive_interval: int = KEEPALIVE_INTERVAL
    keepalive_count_max: int = KEEPALIVE_COUNT_MAX
    forward_agent: bool | None = None  # None: the OpenSSH config's ForwardAgent decides

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        secret: Callable[[str], str | None] | None = None,
        environ: Mapping[str, str] | None = None,
        with_key_data: bool = True,
    ) -> SshSettings:
        """Build the settings of a run. ``secret(name)`` resolves ``ssh/key_data`` secret names
        (not needed with ``with_key_data=False``, e.g. for a local ``ssh`` command line)."""
        env = os.environ if environ is None else environ
        ssh, sshkit = config.ssh, config.sshkit
        return cls(
            user=ssh.user,
            port=ssh.port,
            proxy=JumpHost.parse(ssh.proxy) if ssh.proxy else None,
            proxy_command=ssh.proxy_command,
            keys=tuple(ssh.keys),
            keys_only=bool(ssh.keys_only),
            key_data=tuple(_resolve_key_data(ssh.key_data_secrets, secret)) if with_key_data else (),
            config_files=resolve_config_files(ssh.config),
            log_level=str(ssh.log_level or "fatal"),
            max_concurrent_starts=max(1, int(sshkit.max_concurrent_starts)),
            pool_idle_timeout=float(sshkit.pool_idle_timeout),
            dns_retries=int(sshkit.dns_retries),
            connect_timeout=_env_seconds(env, "PYKAMAL_SSH_CONNECT_TIMEOUT") or DEFAULT_CONNECT_TIMEOUT,
            command_timeout=_env_seconds(env, "PYKAMAL_COMMAND_TIMEOUT"),
            host_key_checking=_env_policy(env),
            forward_agent=ssh.forward_agent,
        )

    def proxy_command_for(self, host: str, port: int, user: str) -> list[str] | None:
        """The proxy command with OpenSSH's %h %n %p %r tokens expanded, run through sh like OpenSSH.

        Each substitution is quoted for the shell, so a value can only ever be one word.
        """
        if not self.proxy_command:
            return None
        quoted_host = shlex.quote(host)
        tokens = {"h": quoted_host, "n": quoted_host, "p": str(port), "r": shlex.quote(user), "%": "%"}
        out: list[str] = []
        text = self.proxy_command
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "%" and i + 1 < len(text) and text[i + 1] in tokens:
                out.append(tokens[text[i + 1]])
                i += 2
                continue
            out.append(ch)
            i += 1
        return ["sh", "-c", "exec " + "".join(out)]

    def interactive_argv(self, host: str, remote_command: str | None) -> list[str]:
        """A local ``ssh -t`` command line for interactive use (what ``server exec -i`` runs)."""
        argv = ["ssh"]
        if self.config_files is None:
            argv += ["-F", "/dev/null"]
        elif self.config_files != default_config_files():
            for path in self.config_files:
                argv += ["-F", path]
        if self.proxy is not None:
            argv += ["-J", str(self.proxy)]
        elif self.proxy_command:
            argv += ["-o", f"ProxyCommand={self.proxy_command}"]
        for key in self.keys:
            argv += ["-i", key]
        if self.keys_only:
            argv += ["-o", "IdentitiesOnly=yes"]
        policy = self.host_key_checking
        if policy == "off":
            argv += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
        elif policy == "strict":
            argv += ["-o", "StrictHostKeyChecking=yes"]
        elif policy == "accept-new":
            argv += ["-o", "StrictHostKeyChecking=accept-new"]
        argv += ["-o", f"ServerAliveInterval={self.keepalive_interval}"]
        argv += ["-t", f"{self.user}@{host}", "-p", str(self.port)]
        if remote_command:
            argv.append(remote_command)
        return argv

    def describe(self) -> str:
        return shlex.join(self.interactive_argv("HOST", None))


def default_config_files() -> tuple[str, ...]:
    return tuple(
        str(Path(p).expanduser()) for p in DEFAULT_SSH_CONFIG_FILES if Path(p).expanduser().is_file()
    )


def resolve_config_files(value: bool | str | tuple[str, ...] | list[str] | None) -> tuple[str, ...] | None:
    """``true`` (or unset): the default OpenSSH files; ``false``: none; a path or list of paths."""
    if value is None or value is True:
        return default_config_files()
    if value is False:
        return None
    paths = (value,) if isinstance(value, str) else tuple(value)
    resolved = []
    for path in paths:
        expanded = Path(path).expanduser()
        if not expanded.is_file():
            raise ConfigError(f"ssh/config: no such file {path}")
        resolved.append(str(expanded))
    return tuple(resolved)


def _resolve_key_data(names: tuple[str, ...], secret: Callable[[str], str | None] | None) -> list[str]:
    keys = []
    for name in names:
        if "-----BEGIN" in name:  # inline key (deprecated in Kamal, still accepted)
            keys.append(name)
            continue
        value = secret(name) if secret is not None else None
        if value is None:
            raise ConfigError(f"ssh/key_data: secret {name} is not defined in the secrets file")
        keys.append(value)
    return keys


def _env_seconds(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than 0")
    return value


def _env_policy(env: Mapping[str, str]) -> str | None:
    raw = env.get("PYKAMAL_SSH_HOST_KEY_CHECKING", "").strip().lower()
    if not raw:
        return None
    aliases = {"yes": "strict", "no": "off", "accept_new": "accept-new", "acceptnew": "accept-new"}
    raw = aliases.get(raw, raw)
    if raw not in HOST_KEY_POLICIES:
        raise ConfigError(
            f"PYKAMAL_SSH_HOST_KEY_CHECKING: {raw!r} is not one of {', '.join(HOST_KEY_POLICIES)}"
        )
    return raw
