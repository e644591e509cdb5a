"""From the global options to a flow's Run, and running a flow for a command."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pykamal.cli.context import get_globals

if TYPE_CHECKING:
    from pykamal.config.selection import Selection
    from pykamal.flows.context import BuildOptions, Run
    from pykamal.remote.executor import Executor

T = TypeVar("T")

# Every command flow_command added, as (group, command, "module:function"): its flow is looked up
# only when the command runs, so a test resolves them all.
FLOW_COMMANDS: list[tuple[str, str, str]] = []


def make_run(
    command: str,
    subcommand: str | None = None,
    *,
    plan: bool = False,
    executor: Executor | None = None,
    build: BuildOptions | None = None,
) -> Run:
    """The Run for this invocation: its config (loaded once), host and role filters, output."""
    from pykamal.flows import context

    globals_ = get_globals()
    output = globals_.output()  # first: a configuration error is shown through it too
    lock_wait = None
    if globals_.lock_wait:
        from pykamal.remote.lock import LockWait

        lock_wait = LockWait(globals_.lock_wait_timeout, globals_.lock_wait_interval)
    return context.make_run(
        globals_.config(),
        output,
        command,
        subcommand,
        hosts=globals_.hosts,
        roles=globals_.roles,
        primary=bool(globals_.primary),
        skip_hooks=globals_.skip_hooks,
        plan=plan,
        executor=executor,
        lock_wait=lock_wait,
        build=build,
    )


def selection() -> Selection:
    """The hosts and roles the global options pick."""
    from pykamal.config.selection import select

    globals_ = get_globals()
    return select(
        globals_.config(), hosts=globals_.hosts, roles=globals_.roles, primary=bool(globals_.primary)
    )


def execute(
    command: str,
    subcommand: str | None,
    flow: Callable[[Run], Awaitable[T]],
    *,
    plan: bool = False,
    build: BuildOptions | None = None,
) -> T:
    """Build the Run from the global options and run ``flow`` on it (closing connections after)."""
    from pykamal.flows.plan import run_flow
    from pykamal.remote.runtime import run_async

    run = make_run(command, subcommand, plan=plan, build=build)
    return run_async(lambda: run_flow(run, flow))


def flow_command(
    group: click.Group,
    name: str,
    flow: str,
    *,
    help: str,
    hidden: bool = False,
    params: Sequence[Callable[[Callable[..., None]], Callable[..., None]]] = (),
) -> None:
    """Add ``name`` to ``group``: a command that only runs one flow.

    ``flow`` names it as ``module:function`` under ``pykamal.flows``; the module is imported only
    when the command runs, so listing commands and ``--help`` stay fast. ``params`` are click
    arguments or options; their values go to the flow as keyword arguments."""
    module_name, _, function_name = flow.partition(":")

    def command(**values: Any) -> None:
        module = importlib.import_module(f"pykamal.flows.{module_name}")
        flow_function = getattr(module, function_name)
        execute(str(group.name), name, lambda run: flow_function(run, **values))

    command.__name__ = command.__qualname__ = name
    decorated: Callable[..., None] = command
    for param in reversed(params):
        decorated = param(decorated)
    group.command(name, help=help, hidden=hidden)(decorated)
    FLOW_COMMANDS.append((str(group.name), name, flow))


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
