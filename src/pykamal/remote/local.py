"""The local executor: runs commands on this machine with asyncio subprocesses.

Commands containing shell syntax (``Raw`` pieces) run through ``sh -c``; plain ones are exec'd
directly. The host name is only used in log lines ("localhost").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets as _random
import signal
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from pykamal.commands.base import Command, Sensitive
from pykamal.errors import RemoteError
from pykamal.remote.executor import CommandRunner, Streams
from pykamal.remote.output import Output
from pykamal.remote.result import HostError

LOCALHOST = "localhost"


class LocalExecutor(CommandRunner):
    unnamed_host = LOCALHOST

    def __init__(
        self,
        output: Output | None = None,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.output = output or Output()
        self.cwd = cwd
        self.env = dict(env) if env is not None else None

    async def __aenter__(self) -> LocalExecutor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def _channel(self, host: str, command: Command) -> AsyncIterator[_Process]:
        env = dict(os.environ if self.env is None else self.env)
        for name, value in command.env:
            env[name] = value.value if isinstance(value, Sensitive) else value
        stdin = command.stdin.value if isinstance(command.stdin, Sensitive) else command.stdin
        argv = ["sh", "-c", command.shell()] if command.is_shell else command.argv()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self.cwd,
                env=env,
                start_new_session=True,  # so a timeout can kill the whole process group
            )
        except OSError as exc:
            raise HostError(host, f"could not run `{command.display()}`: {exc.strerror or exc}") from None
        yield _Process(process, stdin, command.output_errors)

    async def upload(self, host: str, data: bytes | str, remote_path: str, *, mode: int = 0o600) -> None:
        payload = data.encode() if isinstance(data, str) else data
        target = Path(self.cwd or ".") / remote_path
        self.output.log(
            "info", f"Uploading {len(payload)} bytes to {remote_path} (mode {mode:04o}) on {LOCALHOST}"
        )
        temp = target.with_name(f".{target.name}.pykamal-{_random.token_hex(4)}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                os.fchmod(fd, mode)
                os.write(fd, payload)
            finally:
                os.close(fd)
            os.replace(temp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise HostError(LOCALHOST, f"could not write {remote_path}: {exc.strerror or exc}") from None

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
        # "remote" is this machine: the port is already where it should be
        if remote_port != local_port:
            raise RemoteError(f"cannot forward port {remote_port} to {local_port} on the local machine")
        yield local_port

    async def close(self) -> None:
        return None


class _Process:
    """A local subprocess as a Channel."""

    duration = None

    def __init__(self, process: asyncio.subprocess.Process, stdin: str | None, errors: str) -> None:
        self.process = process
        self.stdin = stdin
        self.errors = errors  # how undecodable bytes are decoded (kept for binary output)

    async def communicate(self, streams: Streams) -> int:
        process = self.process
        if self.stdin and process.stdin is not None:
            process.stdin.write(self.stdin.encode())
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                await process.stdin.drain()
            process.stdin.close()

        async def pump(reader: asyncio.StreamReader | None, name: str) -> None:
            assert reader is not None
            async for raw in reader:
                streams.line(name, raw.decode(errors=self.errors))

        await asyncio.gather(pump(process.stdout, "stdout"), pump(process.stderr, "stderr"))
        status = await process.wait()
        return status if status >= 0 else 128 - status  # killed by signal N -> 128+N, like a shell

    def kill(self) -> None:
        _kill_group(self.process)

    async def reap(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.process.wait(), 5)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
