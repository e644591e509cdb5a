"""The SSH executor (asyncssh): one connection per host, reused for the whole run.

* connection starts are bounded by ``sshkit.max_concurrent_starts``; DNS failures are retried
  with exponential backoff (``sshkit.dns_retries``); connect, handshake and login share one
  timeout; keepalive every 30 s;
* at most ``SESSIONS_PER_CONNECTION`` channels are open at once on one connection (sshd's
  ``MaxSessions`` defaults to 10);
* connections idle longer than ``sshkit.pool_idle_timeout`` are not reused;
* uploads go through SFTP (or, on hosts without it, a ``cat`` pipeline) into a temporary file
  created with the final mode, then renamed into place, so the file never has wider permissions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import getpass
import logging
import random
import secrets as _random
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from posixpath import basename, dirname
from typing import TYPE_CHECKING, Any

from pykamal.commands.base import Command, Sensitive
from pykamal.config.host_address import host_address, host_port
from pykamal.remote.asyncssh_loader import load_asyncssh
from pykamal.remote.executor import CommandRunner, Streams
from pykamal.remote.host_keys import (
    DEFAULT_GLOBAL_FILES,
    DEFAULT_USER_FILES,
    HostKeyCheck,
    KnownHostsFiles,
    expand_files,
)
from pykamal.remote.output import Output, new_command_id
from pykamal.remote.result import ConnectError, HostError
from pykamal.remote.ssh_settings import JumpHost, SshSettings

if TYPE_CHECKING:
    import asyncssh

SESSIONS_PER_CONNECTION = 8
PREFERRED_CIPHERS = (
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)
DNS_RETRY_BASE = 0.1
DNS_RETRY_MAX = 2.0
DNS_RETRY_JITTER = 0.1
LOG_LEVELS = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


@dataclass
class _Connection:
    ssh: asyncssh.SSHClientConnection
    client: _Client
    sessions: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SESSIONS_PER_CONNECTION))
    last_used: float = field(default_factory=time.monotonic)
    sftp: Any = None
    sftp_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    host_key: str = ""  # how the host's key was verified: known, new (recorded), not checked

    @property
    def usable(self) -> bool:
        return not self.client.lost


@functools.cache
def _client_class() -> type:
    import asyncssh

    class Client(asyncssh.SSHClient):
        def __init__(self, check: HostKeyCheck | None) -> None:
            self.check = check
            self.lost = False

        def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
            if self.check is None:
                return True
            return self.check.validate_unknown_key(host, addr, port, key)

        def connection_lost(self, exc: Exception | None) -> None:
            self.lost = True

    return Client


_Client = Any  # the asyncssh subclass is created lazily (asyncssh is imported only when needed)


class SshExecutor(CommandRunner):
    """Runs commands on hosts over SSH. Use as ``async with SshExecutor(settings, output) as ex``."""

    def __init__(self, settings: SshSettings, output: Output | None = None) -> None:
        self.settings = settings
        self.output = output or Output()
        self._conns: dict[str, _Connection] = {}
        self._conn_locks: dict[str, asyncio.Lock] = {}
        # connect()'s failures (when, what), for a command that was waiting for that attempt
        self._early_failures: dict[str, tuple[float, ConnectError]] = {}
        self._start_semaphore: asyncio.Semaphore | None = None
        self._known_hosts = KnownHostsFiles(warn=self.output.warn)
        self._client_keys: list[Any] | None = None
        self._host_configs: dict[tuple[str, str, int], dict[str, Any]] = {}
        load_asyncssh()  # once, before any of its names are used
        self._configure_logging()
        for pem in settings.key_data:
            self.output.redactor.add(Sensitive(pem))

    async def __aenter__(self) -> SshExecutor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- running commands ----------------------------------------------------------------------
    def _timeout(self, timeout: float | None) -> float | None:
        return timeout if timeout is not None else self.settings.command_timeout

    @contextlib.asynccontextmanager
    async def _channel(self, host: str, command: Command) -> AsyncIterator[_SshProcess]:
        import asyncssh

        conn = await self.connection(host)
        async with conn.sessions:
            conn.last_used = time.monotonic()
            try:
                process = await conn.ssh.create_process(
                    command.shell(), encoding="utf-8", errors=command.output_errors
                )
            except (asyncssh.Error, OSError) as exc:
                self._drop_if_lost(host, conn)
                raise HostError(
                    host, f"could not start `{_brief(command.display())}`: {_describe(exc)}"
                ) from None
            try:
                yield _SshProcess(self, host, conn, process, command)
            finally:
                conn.last_used = time.monotonic()

    # --- uploads -------------------------------------------------------------------------------
    async def upload(self, host: str, data: bytes | str, remote_path: str, *, mode: int = 0o600) -> None:
        import asyncssh

        payload = data.encode() if isinstance(data, str) else data
        command_id = new_command_id()
        self.output.log(
            "info", f"Uploading {len(payload)} bytes to {remote_path} (mode {mode:04o}) on {host}", command_id
        )
        started = time.monotonic()
        conn = await self.connection(host)
        folder, name = dirname(remote_path), basename(remote_path)
        temp = f"{folder + '/' if folder else ''}.{name}.pykamal-{_random.token_hex(4)}"
        async with conn.sessions:
            try:
                try:
                    sftp = await self._sftp(conn)
                except (asyncssh.Error, OSError):  # no SFTP subsystem on this host
                    await self._upload_through_shell(conn, payload, remote_path, temp, mode)
                else:
                    await self._upload_through_sftp(sftp, payload, remote_path, temp, mode)
            except (asyncssh.Error, OSError) as exc:
                raise HostError(
                    host,
                    f"upload to {remote_path} failed: {_describe(exc)}",
                    f"upload to {remote_path} on {host} failed: {_describe(exc)}",
                ) from None
            finally:
                conn.last_used = time.monotonic()
        self.output.log("debug", f"Uploaded in {time.monotonic() - started:.3f} seconds", command_id)

    @staticmethod
    async def _upload_through_sftp(sftp: Any, payload: bytes, path: str, temp: str, mode: int) -> None:
        """Create ``temp`` exclusively with ``mode``, write, then rename it over ``path``."""
        import asyncssh

        flags = asyncssh.FXF_WRITE | asyncssh.FXF_CREAT | asyncssh.FXF_EXCL
        try:
            handle = await sftp.open(temp, flags, asyncssh.SFTPAttrs(permissions=mode), encoding=None)
            try:
                await handle.write(payload)
                await handle.chmod(mode)  # the server's umask may have narrowed the create mode
            finally:
                await handle.close()
            try:
                await sftp.posix_rename(temp, path)
            except asyncssh.SFTPOpUnsupported:
                await sftp.rename(temp, path)
        except BaseException:
            with contextlib.suppress(Exception):
                await sftp.remove(temp)
            raise

    @staticmethod
    async def _upload_through_shell(
        conn: _Connection, payload: bytes, path: str, temp: str, mode: int
    ) -> None:
        """The same steps with ``cat``, for hosts without SFTP (the umask makes it start at ``mode``)."""
        import shlex

        quoted_temp, quoted_path = shlex.quote(temp), shlex.quote(path)
        script = (
            f"umask {0o777 & ~mode:03o} && cat > {quoted_temp} && chmod {mode:04o} {quoted_temp} && "
            f"mv -f {quoted_temp} {quoted_path} || {{ rm -f {quoted_temp}; exit 1; }}"
        )
        completed = await conn.ssh.run(script, input=payload, encoding=None, check=False)
        if completed.exit_status != 0:
            raw = completed.stderr or b""
            stderr = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            raise OSError(stderr.strip().splitlines()[-1] if stderr.strip() else "could not write the file")

    async def _sftp(self, conn: _Connection) -> Any:
        async with conn.sftp_lock:
            if conn.sftp is None:
                conn.sftp = await conn.ssh.start_sftp_client()
            return conn.sftp

    # --- port forwarding -----------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def forward_remote_port(
        self,
        host: str,
        remote_port: int,
        local_port: int,
        *,
        local_host: str = "127.0.0.1",
        remote_host: str = "127.0.0.1",
    ) -> AsyncIterator[int]:
        import asyncssh

        conn = await self.connection(host)
        try:
            listener = await conn.ssh.forward_remote_port(remote_host, remote_port, local_host, local_port)
        except (asyncssh.Error, OSError) as exc:
            raise HostError(
                host,
                f"could not forward port {remote_host}:{remote_port}: {_describe(exc)}",
                f"could not forward port {remote_host}:{remote_port} on {host}: {_describe(exc)}",
            ) from None
        self.output.log(
            "debug", f"Forwarding {remote_host}:{remote_port} on {host} to {local_host}:{local_port}"
        )
        try:
            yield int(listener.get_port())
        finally:
            listener.close()
            with contextlib.suppress(Exception):
                await listener.wait_closed()

    # --- connections ---------------------------------------------------------------------------
    async def connect(self, host: str) -> None:
        """Open the connection to ``host`` now. If that fails, a command that was already waiting
        for it gets the failure (one timeout, not two); a later command tries again."""
        try:
            await self.connection(host)
        except ConnectError as exc:
            self._early_failures[host] = (time.monotonic(), exc)

    async def connection(self, host: str) -> _Connection:
        """The (pooled) connection to ``host``, opened on first use."""
        asked = time.monotonic()
        lock = self._conn_locks.setdefault(host, asyncio.Lock())
        async with lock:
            early = self._early_failures.pop(host, None)
            if early is not None and early[0] >= asked:
                raise early[1]
            conn = self._conns.get(host)
            if conn is not None:
                idle = time.monotonic() - conn.last_used
                if conn.usable and idle <= self.settings.pool_idle_timeout:
                    return conn
                self._drop(host, conn)
            conn = await self._open(host)
            self._conns[host] = conn
            return conn

    def host_key_status(self, host: str) -> str | None:
        """How the open connection to ``host`` verified the host's key (None: not connected)."""
        conn = self._conns.get(host)
        return conn.host_key if conn is not None else None

    def _drop_if_lost(self, host: str, conn: _Connection) -> None:
        """Forget a connection that died; one failed channel must not end its siblings."""
        if not conn.usable:
            self._drop(host, conn)

    def _drop(self, host: str, conn: _Connection) -> None:
        if self._conns.get(host) is conn:
            del self._conns[host]
        with contextlib.suppress(Exception):
            conn.ssh.close()

    async def close(self) -> None:
        conns = list(self._conns.values())
        self._conns.clear()
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.ssh.close()
        for conn in conns:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ssh.wait_closed(), 5)

    async def _open(self, host: str, *, user: str | None = None, port: int | None = None) -> _Connection:
        if self._start_semaphore is None:
            self._start_semaphore = asyncio.Semaphore(self.settings.max_concurrent_starts)
        user = user or self.settings.user
        port = port or host_port(host) or self.settings.port
        retries = self.settings.dns_retries
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._start_semaphore:
                    return await self._connect_once(host, user, port)
            except socket.gaierror as exc:
                if attempt > retries:
                    unresolved = (
                        f"could not resolve {host}: {exc.strerror or exc} (is the name in servers right?)"
                    )
                    raise ConnectError(host, unresolved) from None
                delay = (
                    min(DNS_RETRY_BASE * 2 ** (attempt - 1), DNS_RETRY_MAX)
                    + random.random() * DNS_RETRY_JITTER
                )
                reason = exc.strerror or exc
                self.output.warn(
                    f"Retrying DNS for {host} (attempt {attempt}/{retries}) in {delay:.2f}s: {reason}"
                )
                await asyncio.sleep(delay)

    async def _connect_once(self, host: str, user: str, port: int) -> _Connection:
        import asyncssh

        settings = self.settings
        target = f"{user}@{host_address(host)}:{port}"
        host_config = self._host_config(host, user, port)
        check = self._host_key_check(host_config, port)
        client = _client_class()(check)
        tunnel: Any = ()
        if settings.proxy is not None and not host.startswith("jump:"):
            tunnel = (await self._jump_connection(settings.proxy)).ssh
        kwargs: dict[str, Any] = {
            "port": port,
            "username": user,
            "config": list(settings.config_files or []),
            "known_hosts": None if check is None else check.trusted,
            "client_factory": lambda: client,
            "connect_timeout": settings.connect_timeout,
        }
        # an OpenSSH config's ServerAliveInterval / ServerAliveCountMax win over the defaults
        if "ServerAliveInterval" not in host_config:
            kwargs["keepalive_interval"] = settings.keepalive_interval
        if "ServerAliveCountMax" not in host_config:
            kwargs["keepalive_count_max"] = settings.keepalive_count_max
        if tunnel != ():
            kwargs["tunnel"] = tunnel
        elif settings.proxy_command:
            kwargs["proxy_command"] = settings.proxy_command_for(host_address(host), port, user)
        if "Ciphers" not in host_config:
            # same algorithms as asyncssh's defaults, AES-GCM first: it costs far less CPU per packet
            # than asyncssh's chacha20-poly1305, which matters when talking to many hosts at once
            kwargs["encryption_algs"] = PREFERRED_CIPHERS
        keys = self._load_client_keys()
        if keys:
            kwargs["client_keys"] = keys
        if settings.keys_only:
            kwargs["agent_path"] = None
        if settings.forward_agent is not None:  # ssh/forward_agent wins over ForwardAgent
            kwargs["agent_forwarding"] = settings.forward_agent
        try:
            ssh = await asyncio.wait_for(
                asyncssh.connect(host_address(host), **kwargs), settings.connect_timeout + 5
            )
        except TimeoutError:
            reason = (
                f"timed out after {settings.connect_timeout:g} s connecting to {target} "
                f"(is the host up, and port {port} open to this machine?)"
            )
            raise ConnectError(host, reason, reason) from None
        except socket.gaierror:
            raise
        except asyncssh.HostKeyNotVerifiable as exc:
            reason = (
                check.rejected if check is not None else None
            ) or f"host key not verifiable: {exc.reason}"
            raise ConnectError(host, reason, f"{reason} (on {host})") from None
        except asyncssh.PermissionDenied:
            reason = f"authentication failed for {user}@{host} (check ssh/user, ssh/keys and your ssh agent)"
            raise ConnectError(host, reason, reason) from None
        except asyncssh.Error as exc:
            reason = f"could not connect to {target}: {_describe(exc)}"
            raise ConnectError(host, reason, reason) from None
        except OSError as exc:
            if isinstance(exc.__cause__, socket.gaierror):
                raise exc.__cause__ from None
            reason = f"could not connect to {target}: {_describe(exc)}"
            if isinstance(exc, ConnectionRefusedError):
                reason += f" (is sshd running there, and is ssh/port {port} right?)"
            raise ConnectError(host, reason, reason) from None
        if check is None:
            host_key = "not checked (host key checking is off)"
        elif check.recorded_in:
            host_key = f"new, added to {check.recorded_in}"
            self.output.log("debug", f"Added the host key of {host} to {check.recorded_in}")
        else:
            host_key = "known"
        return _Connection(ssh=ssh, client=client, host_key=host_key)

    async def _jump_connection(self, jump: JumpHost) -> _Connection:
        key = f"jump:{jump.host}"
        lock = self._conn_locks.setdefault(key, asyncio.Lock())
        async with lock:
            conn = self._conns.get(key)
            if conn is not None and conn.usable:
                return conn
            try:
                conn = await self._connect_once(key, jump.user, jump.port)
            except ConnectError as exc:
                raise ConnectError(
                    exc.host, f"jump host {jump}: {exc.reason}", f"jump host {jump}: {exc}"
                ) from None
            self._conns[key] = conn
            return conn

    def _load_client_keys(self) -> list[Any]:
        import asyncssh

        if self._client_keys is None:
            keys: list[Any] = []
            for path in self.settings.keys:
                try:
                    keys.append(asyncssh.read_private_key(_expand(path)))
                except (OSError, asyncssh.KeyImportError) as exc:
                    from pykamal.errors import ConfigError

                    raise ConfigError(f"ssh/keys: cannot load {path}: {_describe(exc)}") from None
            for index, pem in enumerate(self.settings.key_data):
                try:
                    keys.append(asyncssh.import_private_key(pem))
                except asyncssh.KeyImportError as exc:
                    from pykamal.errors import ConfigError

                    raise ConfigError(f"ssh/key_data[{index}]: not a usable private key: {exc}") from None
            self._client_keys = keys
        return self._client_keys

    # --- host keys -----------------------------------------------------------------------------
    def _host_config(self, host: str, user: str, port: int) -> dict[str, Any]:
        cache_key = (host, user, port)
        if cache_key not in self._host_configs:
            self._host_configs[cache_key] = read_host_config(
                self.settings.config_files, host_address(host), user, port
            )
        return self._host_configs[cache_key]

    def _host_key_check(self, host_config: dict[str, Any], port: int) -> HostKeyCheck | None:
        policy = self.settings.host_key_checking
        if policy is None:
            strict = str(host_config.get("StrictHostKeyChecking") or "").lower()
            policy = {"yes": "strict", "true": "strict", "no": "off", "off": "off", "false": "off"}.get(
                strict, "accept-new"
            )
        if policy == "off":
            return None
        user_files = expand_files(host_config.get("UserKnownHostsFile"), DEFAULT_USER_FILES)
        global_files = expand_files(host_config.get("GlobalKnownHostsFile"), DEFAULT_GLOBAL_FILES)
        return HostKeyCheck(policy, user_files, global_files, self._known_hosts, port)

    def _configure_logging(self) -> None:
        level = LOG_LEVELS.get(self.settings.log_level.lower(), logging.CRITICAL)
        logger = logging.getLogger("asyncssh")
        logger.setLevel(level)
        logger.propagate = False
        if not any(getattr(h, "_pykamal", False) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler._pykamal = True  # type: ignore[attr-defined]
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)


@functools.cache
def _host_config_class() -> Any:
    """asyncssh's client config reader, also keeping ``StrictHostKeyChecking`` (made once per run)."""
    from asyncssh.config import SSHClientConfig, SSHConfig

    class _Config(SSHClientConfig):
        _handlers = {  # noqa: RUF012 (asyncssh's own attribute, replaced for this subclass only)
            **SSHClientConfig._handlers,
            "stricthostkeychecking": ("StrictHostKeyChecking", SSHConfig._set_string),
        }

    return _Config


@functools.cache
def _local_user() -> str:
    """The local login name (for ``%u`` in the OpenSSH config): looked up once, not per host."""
    return getpass.getuser()


def read_host_config(files: tuple[str, ...] | None, host: str, user: str, port: int) -> dict[str, Any]:
    """Host-key, cipher and keepalive OpenSSH options for one host (asyncssh does not read all of them)."""
    if not files:
        return {}
    try:
        config = _host_config_class().load(
            None, list(files), False, False, False, _local_user(), user, host, port
        )
        return {
            name: config.get(name)
            for name in (
                "StrictHostKeyChecking",
                "UserKnownHostsFile",
                "GlobalKnownHostsFile",
                "Ciphers",
                "ServerAliveInterval",
                "ServerAliveCountMax",
            )
            if config.get(name) is not None
        }
    except Exception as exc:  # an unreadable config is reported by asyncssh itself on connect
        logging.getLogger("asyncssh").debug("could not read ssh config for %s: %s", host, exc)
        return {}


def _expand(path: str) -> str:
    from pathlib import Path

    return str(Path(path).expanduser())


def _brief(display: str, limit: int = 80) -> str:
    """The start of a (combined, possibly very long) command, for one-line connection errors."""
    first = display.strip().splitlines()[0] if display.strip() else display
    return first if len(first) <= limit and first == display.strip() else first[:limit].rstrip() + " …"


def _describe(exc: BaseException) -> str:
    import asyncssh

    if isinstance(exc, asyncssh.DisconnectError | asyncssh.ChannelOpenError):
        return exc.reason or exc.__class__.__name__
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = str(exc).strip()
    return text or exc.__class__.__name__


class _SshProcess:
    """A command started on an SSH channel, as a Channel."""

    duration = None

    def __init__(
        self, executor: SshExecutor, host: str, conn: _Connection, process: Any, command: Command
    ) -> None:
        self.executor = executor
        self.host = host
        self.conn = conn
        self.process = process
        self.command = command

    async def communicate(self, streams: Streams) -> int:
        import asyncssh

        try:
            return await self._communicate(streams)
        except (asyncssh.Error, OSError) as exc:
            self.executor._drop_if_lost(self.host, self.conn)
            what = "lost the connection" if not self.conn.usable else "channel error"
            brief = _brief(self.command.display())
            raise HostError(
                self.host,
                f"{what} while running `{brief}`: {_describe(exc)}",
                f"{what} on {self.host} while running `{brief}`: {_describe(exc)}",
            ) from None

    async def _communicate(self, streams: Streams) -> int:
        process, command = self.process, self.command
        stdin = command.stdin.value if isinstance(command.stdin, Sensitive) else command.stdin
        if stdin:
            process.stdin.write(stdin)
        process.stdin.write_eof()

        async def pump(reader: Any, name: str) -> None:
            async for line in reader:
                if not line:  # end of stream
                    break
                streams.line(name, line)

        await asyncio.gather(pump(process.stdout, "stdout"), pump(process.stderr, "stderr"))
        completed = await process.wait(check=False)
        if completed.exit_status is not None and completed.exit_status >= 0:
            return int(completed.exit_status)
        return 255  # killed by a signal or channel closed without a status (like ssh(1))

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.send_signal("TERM")
        with contextlib.suppress(Exception):
            self.process.close()

    async def reap(self) -> None:
        pass
