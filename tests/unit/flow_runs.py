"""Runs on a recorder for the unit tests: nothing runs on a host nor here, every command is recorded."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Coroutine
from typing import Any

from pykamal.config.model import Config
from pykamal.config.selection import select
from pykamal.flows.context import Run
from pykamal.flows.local import Machine
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.output import Output

# the ``make_run`` fixture: recorded_run with the test's defaults
MakeRun = Callable[..., tuple[Run, RecordingExecutor, io.StringIO]]


def recorded_run(
    config: Config,
    *,
    command: str,
    output: Output | None = None,
    executor: RecordingExecutor | None = None,
    hosts: str | None = None,
    roles: str | None = None,
    **fields: Any,
) -> tuple[Run, RecordingExecutor, io.StringIO]:
    """A Run whose executor and machine are one recorder; its output (info, no colour) goes to the
    returned stream unless ``output`` is given."""
    stream = io.StringIO()
    if output is None:
        output = Output("info", stream=stream, err_stream=stream, color=False)
    if executor is None:
        executor = RecordingExecutor(output=output)
    executor.output = output
    run = Run(
        config=config,
        selection=select(config, hosts=hosts, roles=roles),
        output=output,
        executor=executor,
        local=Machine.recording(executor),
        command=command,
        **fields,
    )
    return run, executor, stream


def go(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a flow to its end."""
    return asyncio.run(coroutine)


def index_of(commands: list[str], pattern: str) -> int:
    """Position of the first command containing ``pattern`` (fails the test when there is none)."""
    for index, command in enumerate(commands):
        if pattern in command:
            return index
    raise AssertionError(f"no command containing {pattern!r} in:\n" + "\n".join(commands))
