"""``server exec``: a shell command on every selected host, or interactively on the primary one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pykamal.commands import auditor
from pykamal.commands.base import Command, Raw, raw_bytes
from pykamal.remote.executor import run_on
from pykamal.remote.identity import performer
from pykamal.remote.output import print_by_host

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.config.selection import Selection
    from pykamal.flows.context import Run
    from pykamal.remote.output import Output


async def exec_on_hosts(run: Run, command_text: str, *, quiet: bool = False, raw: bool = False) -> None:
    """Run ``command_text`` on every selected host at once (each recorded in the audit log); ``raw``
    passes its output's bytes through untouched."""
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
            print_by_host(run.output, host, result.stdout, quiet=quiet)

    await run_on(run.selection.hosts, one, output=run.output, label=command_text)


async def interactive_argv(
    config: Config, selection: Selection, output: Output, command_text: str, *, skip_hooks: bool = False
) -> list[str]:
    """``server exec -i``: the pre-connect hook, then the local ``ssh -t`` command line for the primary
    host (the caller becomes that process; no connection of ours is opened, no key_data read)."""
    from pykamal.remote.hooks import run_hook
    from pykamal.remote.ssh_settings import SshSettings

    await run_hook(
        config,
        "pre-connect",
        output,
        skip=skip_hooks,
        selection=selection,
        command="server",
        subcommand="exec",
        with_secrets=True,
    )
    host = selection.primary_host
    output.say(f"Running '{command_text}' on {host} interactively...")
    return SshSettings.from_config(config, with_key_data=False).interactive_argv(host, command_text)
