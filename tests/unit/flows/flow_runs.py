"""Runs on a recorder for the flow tests: nothing runs on a host nor here, every command is recorded."""

from __future__ import annotations

import io
from typing import Any

from pykamal.config.model import Config
from pykamal.config.selection import select
from pykamal.flows.context import Run
from pykamal.flows.local import Machine
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.output import Output


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
