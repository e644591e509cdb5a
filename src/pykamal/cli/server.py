"""``pykamal server exec`` and ``pykamal server bootstrap``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pykamal.cli.context import get_globals
from pykamal.cli.core import group
from pykamal.cli.exec_options import RAW, quiet_for_raw

if TYPE_CHECKING:
    from pykamal.flows.context import Run


@group("server")
def server() -> None:
    pass


@server.command("exec", help="Run a shell command on the servers")
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    default=False,
    help="Attach a terminal (for a shell or console)",
)
@RAW
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(interactive: bool, raw: bool, cmd: tuple[str, ...]) -> None:
    import os

    from pykamal.cli.running import execute, selection
    from pykamal.errors import UsageError
    from pykamal.flows import server as flow
    from pykamal.remote.runtime import run_async

    if raw and interactive:
        raise UsageError("Raw is not compatible with interactive")
    if raw:
        quiet_for_raw()
    globals_ = get_globals()
    command_text = " ".join(part.strip() for part in cmd)
    if interactive:
        output, config = globals_.output(), globals_.config()
        chosen = selection()
        argv = run_async(
            lambda: flow.interactive_argv(
                config, chosen, output, command_text, skip_hooks=globals_.skip_hooks
            )
        )
        os.execvp(argv[0], argv)
        return
    execute(
        "server", "exec", lambda run: flow.exec_on_hosts(run, command_text, quiet=globals_.quiet, raw=raw)
    )


@server.command("bootstrap", help="Install Docker on the servers if it is missing")
def bootstrap() -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow
    from pykamal.remote.lock import deploy_lock

    async def locked_bootstrap(run: Run) -> None:
        await run.pre_connect()
        selection = run.selection
        async with deploy_lock(
            run.config,
            run.executor,
            primary_host=selection.primary_host,
            hosts=selection.hosts,
            wait=run.lock_wait,
        ):
            await flow.bootstrap(run)

    execute("server", "bootstrap", locked_bootstrap)
