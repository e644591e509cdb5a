"""A recording executor for unit tests of orchestration: nothing runs, every call is recorded.

    ex = RecordingExecutor()
    ex.respond(r"^docker -v", host="h2", exit_status=127, stderr="docker: not found")
    ex.respond(r"cat .*details", stdout="...")
    ... run the flow with ex ...
    assert ex.commands("h1") == ["mkdir -p .kamal", ...]

Responses are matched against the displayed command (``re.search``), most recently added first.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from pykamal.commands.base import Command, Sensitive
from pykamal.remote.executor import CommandRunner, Streams
from pykamal.remote.output import Output


@dataclass(frozen=True)
class Call:
    kind: str  # "run" | "upload" | "forward"
    host: str
    display: str = ""
    shell: str = ""
    stdin: str | None = None
    data: bytes | None = None
    path: str | None = None
    mode: int | None = None
    ports: tuple[int, int] | None = None


@dataclass
class Response:
    matcher: Callable[[str], bool]
    host: str | None = None
    exit_status: int = 0
    stdout: str = ""
    stderr: str = ""
    raises: BaseException | None = None
    delay: float = 0.0
    times: int | None = None  # None: unlimited
    used: int = field(default=0)

    def matches(self, host: str, display: str) -> bool:
        if self.host is not None and self.host != host:
            return False
        if self.times is not None and self.used >= self.times:
            return False
        return self.matcher(display)


class RecordingExecutor(CommandRunner):
    def __init__(self, output: Output | None = None) -> None:
        self.output = output or Output()
        self.calls: list[Call] = []
        self._responses: list[Response] = []
        self.closed = False

    async def __aenter__(self) -> RecordingExecutor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- scripting -----------------------------------------------------------------------------
    def respond(
        self,
        pattern: str | re.Pattern[str] | Callable[[str], bool] = r"",
        *,
        host: str | None = None,
        exit_status: int = 0,
        stdout: str = "",
        stderr: str = "",
        raises: BaseException | None = None,
        delay: float = 0.0,
        times: int | None = None,
    ) -> None:
        if callable(pattern) and not isinstance(pattern, re.Pattern):
            matcher = pattern
        else:
            regex = re.compile(pattern) if isinstance(pattern, str) else pattern
            matcher = lambda text: bool(regex.search(text))  # noqa: E731
        self._responses.insert(0, Response(matcher, host, exit_status, stdout, stderr, raises, delay, times))

    # --- inspection ----------------------------------------------------------------------------
    def commands(self, host: str | None = None) -> list[str]:
        return [c.display for c in self.calls if c.kind == "run" and (host is None or c.host == host)]

    def hosts_for(self, pattern: str) -> list[str]:
        regex = re.compile(pattern)
        return [c.host for c in self.calls if c.kind == "run" and regex.search(c.display)]

    def uploads(self, host: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.kind == "upload" and (host is None or c.host == host)]

    # --- Executor ------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _channel(self, host: str, command: Command) -> AsyncIterator[_Scripted]:
        display = command.display()
        stdin = command.stdin.value if isinstance(command.stdin, Sensitive) else command.stdin
        self.calls.append(Call("run", host, display, command.shell(), stdin))
        response = next((r for r in self._responses if r.matches(host, display)), None)
        if response is None:
            response = Response(lambda _text: True)
        response.used += 1
        yield _Scripted(response)

    async def upload(self, host: str, data: bytes | str, remote_path: str, *, mode: int = 0o600) -> None:
        payload = data.encode() if isinstance(data, str) else data
        self.calls.append(Call("upload", host, data=payload, path=remote_path, mode=mode))

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
        self.calls.append(Call("forward", host, ports=(remote_port, local_port)))
        yield remote_port

    async def close(self) -> None:
        self.closed = True


class _Scripted:
    """A scripted reply as a Channel: after its delay, it raises or prints its output and exits."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.duration = response.delay

    async def communicate(self, streams: Streams) -> int:
        response = self.response
        if response.delay:
            await asyncio.sleep(response.delay)
        if response.raises is not None:
            raise response.raises
        for name, text in (("stdout", response.stdout), ("stderr", response.stderr)):
            for line in text.splitlines(keepends=True):
                streams.line(name, line)
        return response.exit_status

    def kill(self) -> None:
        pass

    async def reap(self) -> None:
        pass
