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
    from datetime import UTC, datetime

    from pykamal.cli.running import execute, make_run
    from pykamal.commands import auditor
    from pykamal.commands.base import Command, Raw, raw_bytes
    from pykamal.errors import UsageError
    from pykamal.remote.executor import run_on
    from pykamal.remote.identity import performer
    from pykamal.remote.output import print_by_host
    from pykamal.remote.runtime import run_async

    if raw and interactive:
        raise UsageError("Raw is not compatible with interactive")
    if raw:
        quiet_for_raw()
    globals_ = get_globals()
    command_text = " ".join(part.strip() for part in cmd)

    if interactive:
        import os

        from pykamal.remote.fake import RecordingExecutor
        from pykamal.remote.ssh_settings import SshSettings

        # the command runs through a local ssh, not an executor (ssh/key_data secrets stay unread)
        run = make_run("server", "exec", executor=RecordingExecutor())
        host = run.selection.primary_host
        run_async(run.pre_connect)
        run.output.say(f"Running '{command_text}' on {host} interactively...")
        argv = SshSettings.from_config(run.config, with_key_data=False).interactive_argv(host, command_text)
        os.execvp(argv[0], argv)
        return

    async def main(run: Run) -> None:
        await run.pre_connect()
        run.output.say(f"Running '{command_text}' on {', '.join(run.selection.hosts)}...")

        async def one(host: str) -> None:
            record = auditor.record(
                run.config,
                f"Executed cmd '{command_text}' on {host}",
                performer=performer(),
                at=datetime.now(UTC),
            )
            await run.executor.run(host, record, log_level="debug")
            result = await run.executor.run(host, Command((Raw(command_text),), binary_output=raw))
            if raw:
                run.output.write_raw(raw_bytes(result.stdout))
            else:
                print_by_host(run.output, host, result.stdout, quiet=globals_.quiet)

        await run_on(run.selection.hosts, one, output=run.output, label=command_text)

    execute("server", "exec", main)


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
