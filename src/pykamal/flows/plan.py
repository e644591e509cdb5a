"""Running a flow from the CLI, for real or as a plan (``--plan``: print every command, run none)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pykamal.cli.context import Globals
    from pykamal.flows.context import Run
    from pykamal.remote.fake import RecordingExecutor

T = TypeVar("T")

PLAN_NOTE = (
    "Plan only: nothing was run on any host. Remote state is not read, so the commands are those "
    "for hosts where nothing of this app runs yet."
)


def execute(
    command: str,
    subcommand: str | None,
    flow: Callable[[Run], Awaitable[T]],
    *,
    plan: bool = False,
    **options: object,
) -> T:
    """Build the Run from the global options and run ``flow`` on it (closing connections after)."""
    from pykamal.cli.context import get_globals
    from pykamal.remote.runtime import run_async

    globals_ = get_globals()
    run = make(globals_, command, subcommand, plan=plan, **options)

    async def main() -> T:
        try:
            result = await flow(run)
        finally:
            await run.executor.close()
        if plan:
            print_plan(run)
        return result

    return run_async(main)


def follow_logs(command: str, argv_for: Callable[[Run], list[str]]) -> None:
    """``logs --follow``: the pre-connect hook, then this process becomes the local ``ssh -t`` that
    follows the logs on the primary host (``argv_for`` builds its command line)."""
    import os

    async def flow(run: Run) -> list[str]:
        await run.pre_connect()
        argv = argv_for(run)
        run.output.log("info", f"Following logs on {run.selection.primary_host}...")
        return argv

    argv = execute(command, "logs", flow)
    os.execvp(argv[0], argv)


def make(globals_: Globals, command: str, subcommand: str | None, *, plan: bool, **options: object) -> Run:
    from pykamal.flows.context import make_run

    executor = None
    if plan:
        from pykamal.remote.fake import RecordingExecutor
        from pykamal.remote.output import Output

        executor = RecordingExecutor(output=Output("error"))
    return make_run(globals_, command, subcommand, plan=plan, executor=executor, **options)


def print_plan(run: Run) -> None:
    """Every recorded command, grouped by host, in the order it would run there."""
    executor: RecordingExecutor = run.executor  # type: ignore[assignment]
    output = run.output
    hosts = list(dict.fromkeys(call.host for call in executor.calls))
    for host in hosts:
        output.puts(f"Host {host}:")
        number = 0
        for call in executor.calls:
            if call.host != host:
                continue
            number += 1
            if call.kind == "upload":
                size = len(call.data or b"")
                output.puts(f"  {number:>2}. upload {call.path} (mode {call.mode or 0:04o}, {size} bytes)")
            elif call.kind == "run":
                output.puts(f"  {number:>2}. {call.display}")
        output.puts()
    output.say(PLAN_NOTE, None)
