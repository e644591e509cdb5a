"""The interface every executor implements, and the parallel fan-out over hosts.

Executors run ``Command`` objects: ``command.shell()`` goes on the wire, ``command.display()`` into
logs, ``command.stdin`` is fed to the process. All methods are coroutines so that one event loop
drives every host at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from pykamal.commands.base import Command
from pykamal.remote.output import Output, new_command_id
from pykamal.remote.result import CommandFailed, CommandTimeout, FanOutError, Result

T = TypeVar("T")

# Called with ("stdout" | "stderr", line without its newline) as output arrives.
LineCallback = Callable[[str, str], None]


class Executor(Protocol):
    output: Output

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
        """Run one command; raise ``CommandFailed`` on a non-zero exit when ``check``."""
        ...

    async def upload(self, host: str, data: bytes | str, remote_path: str, *, mode: int = 0o600) -> None:
        """Write ``data`` to ``remote_path``; the file never exists with wider permissions than ``mode``."""
        ...

    async def connect(self, host: str) -> None:
        """Open the connection to ``host`` ahead of its first command (nothing where there is none).
        A failure to connect is not raised here but by the command that waited for this attempt."""
        ...

    def forward_remote_port(
        self,
        host: str,
        remote_port: int,
        local_port: int,
        *,
        local_host: str = "127.0.0.1",
        remote_host: str = "127.0.0.1",
    ) -> AbstractAsyncContextManager[int]:
        """While open, ``remote_host:remote_port`` on the host reaches ``local_host:local_port`` here.

        Yields the port listened on remotely."""
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Executor: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


class Streams:
    """A running command's output: kept for its Result, shown through the Output, handed to on_line."""

    def __init__(self, output: Output, command_id: str, on_line: LineCallback | None) -> None:
        self.output = output
        self.command_id = command_id
        self.on_line = on_line
        self.stdout: list[str] = []
        self.stderr: list[str] = []

    def line(self, name: str, text: str) -> None:
        """One line (with its line break, if it had one) from ``"stdout"`` or ``"stderr"``."""
        (self.stdout if name == "stdout" else self.stderr).append(text)
        self.output.command_output(self.command_id, text, name)
        if self.on_line is not None:
            self.on_line(name, text.rstrip("\n"))


class Channel(Protocol):
    """One started command, as a transport hands it to ``CommandRunner.run``."""

    duration: float | None  # None: the time it took is measured by the runner

    async def communicate(self, streams: Streams) -> int:
        """Feed stdin, pass every output line to ``streams``; the exit status."""
        ...

    def kill(self) -> None:
        """Stop it (timed out or cancelled)."""
        ...

    async def reap(self) -> None:
        """After ``kill`` on a timeout: wait (briefly) for it to be gone."""
        ...


class CommandRunner:
    """``run()`` for every executor: logging, masking, command ids, events, the Result and
    ``CommandFailed``. An executor adds only its transport: ``_channel`` starts the command."""

    output: Output
    unnamed_host = ""  # the host name used when ``run`` is given an empty one

    def _channel(self, host: str, command: Command) -> AbstractAsyncContextManager[Channel]:
        raise NotImplementedError

    async def connect(self, host: str) -> None:
        """Nothing to open ahead (executors with connections override this)."""

    def _timeout(self, timeout: float | None) -> float | None:
        return timeout

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
        """Run one command; raise ``CommandFailed`` on a non-zero exit when ``check``."""
        host = host or self.unnamed_host
        timeout = self._timeout(timeout)
        display = command.display()
        self.output.redactor.add_command(command)
        command_id = new_command_id()
        self.output.command_started(command_id, display, host, log_level)
        started = time.monotonic()
        streams = Streams(self.output, command_id, on_line)
        async with self._channel(host, command) as channel:
            try:
                exit_status = await asyncio.wait_for(channel.communicate(streams), timeout)
            except TimeoutError:
                channel.kill()
                await channel.reap()
                self.output.command_finished(command_id, time.monotonic() - started, 124, log_level)
                raise CommandTimeout(host, display, float(timeout or 0)) from None
            except asyncio.CancelledError:
                channel.kill()
                raise
        duration = channel.duration if channel.duration is not None else time.monotonic() - started
        self.output.command_finished(command_id, duration, exit_status, log_level)
        result = Result(
            host, display, exit_status, "".join(streams.stdout), "".join(streams.stderr), duration
        )
        if check and exit_status != 0:
            raise CommandFailed(result, self.output.redactor)
        return result


async def run_on(
    hosts: Iterable[str],
    fn: Callable[[str], Awaitable[T]],
    *,
    output: Output | None = None,
    label: str = "",
    step: str | None = None,
) -> dict[str, T]:
    """Run ``fn(host)`` for every host in parallel and wait for all of them.

    Returns results in host order. If any host failed, raises one ``FanOutError`` naming every
    failed host; its ``results`` holds the successful hosts' results. Cancelling the caller
    cancels every host's task (and waits for them to clean up). With ``output`` (and a terminal),
    a condensed progress line labelled ``label`` replaces the per-command lines; with ``output`` and
    ``step``, each host reports that step as started and finished.
    """
    ordered = list(dict.fromkeys(hosts))
    if not ordered:
        return {}
    progress = output.progress(label or "running", ordered) if output is not None and step is None else None

    async def tracked(host: str) -> T:
        try:
            if step is not None and output is not None:
                with output.step(host, step):
                    result = await fn(host)
            else:
                result = await fn(host)
        except BaseException:
            if progress is not None:
                progress.finished(False)
            raise
        if progress is not None:
            progress.finished(True)
        return result

    tasks = {host: asyncio.ensure_future(tracked(host)) for host in ordered}
    try:
        await asyncio.wait(tasks.values())
    except asyncio.CancelledError:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        raise
    finally:
        if progress is not None and output is not None:
            output.end_progress(progress)

    results: dict[str, T] = {}
    failures: dict[str, BaseException] = {}
    for host, task in tasks.items():
        if task.cancelled():
            failures[host] = asyncio.CancelledError("cancelled")
            continue
        exc = task.exception()
        if exc is None:
            results[host] = task.result()
        elif isinstance(exc, Exception):
            failures[host] = exc
        else:  # KeyboardInterrupt / SystemExit inside a task: let it through
            raise exc
    if failures:
        raise FanOutError(failures, results, len(ordered))
    return results


async def run_command_on(
    executor: Executor,
    hosts: Iterable[str],
    command: Command | Callable[[str], Command],
    **kwargs: object,
) -> dict[str, Result]:
    """Run the same command (or one built per host) on every host in parallel."""

    async def one(host: str) -> Result:
        cmd = command(host) if callable(command) else command
        return await executor.run(host, cmd, **kwargs)  # type: ignore[arg-type]

    return await run_on(hosts, one)
