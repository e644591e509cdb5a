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
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from pykamal.commands.base import Command, Sensitive
from pykamal.errors import RemoteError
from pykamal.remote.executor import LineCallback
from pykamal.remote.output import Output, new_command_id
from pykamal.remote.result import CommandFailed, CommandTimeout, HostError, Result

LOCALHOST = "localhost"


class LocalExecutor:
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

    async def run(
        self,
        host: str,
        command: Command,
        *,
        timeout: float | None = None,
        check: bool = True,
        log_level: str = "info",
        on_line: LineCallback | None = None,
    ) -> Result:
        display = command.display()
        self.output.redactor.add_command(command)
        command_id = new_command_id()
        self.output.command_started(command_id, display, host or LOCALHOST, log_level)
        started = time.monotonic()
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
            raise HostError(host or LOCALHOST, f"could not run `{display}`: {exc.strerror or exc}") from None

        stdout: list[str] = []
        stderr: list[str] = []

        async def pump(reader: asyncio.StreamReader | None, sink: list[str], name: str) -> None:
            assert reader is not None
            async for raw in reader:
                line = raw.decode(errors=command.output_errors)
                sink.append(line)
                self.output.command_output(command_id, line, name)
                if on_line is not None:
                    on_line(name, line.rstrip("\n"))

        async def communicate() -> int:
            if stdin and process.stdin is not None:
                process.stdin.write(stdin.encode())
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    await process.stdin.drain()
                process.stdin.close()
            await asyncio.gather(
                pump(process.stdout, stdout, "stdout"), pump(process.stderr, stderr, "stderr")
            )
            return await process.wait()

        try:
            status = await asyncio.wait_for(communicate(), timeout)
        except TimeoutError:
            _kill_group(process)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), 5)
            raise CommandTimeout(host or LOCALHOST, display, float(timeout or 0)) from None
        except asyncio.CancelledError:
            _kill_group(process)
            raise
        duration = time.monotonic() - started
        exit_status = status if status >= 0 else 128 - status  # killed by signal N -> 128+N, like a shell
        self.output.command_finished(command_id, duration, exit_status, log_level)
        result = Result(host or LOCALHOST, display, exit_status, "".join(stdout), "".join(stderr), duration)
        if check and exit_status != 0:
            raise CommandFailed(result, self.output.redactor)
        return result

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


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
