"""``pykamal server exec`` and ``pykamal server bootstrap``."""

from __future__ import annotations

from datetime import UTC

import click

from pykamal.cli.context import get_globals
from pykamal.cli.core import group

DOCKER_MISSING = (
    "Docker is not installed on {hosts} and can't be automatically installed without having root access "
    "and either `wget` or `curl`. Install Docker manually: https://docs.docker.com/engine/install/"
)


@group("server", help="Bootstrap servers with curl and Docker")
def server() -> None:
    pass


@server.command(
    "exec",
    help="Run a custom command on the server (use --help to show options)",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    default=False,
    help="Run the command interactively (use for console/bash)",
)
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(interactive: bool, cmd: tuple[str, ...]) -> None:
    from datetime import datetime

    from pykamal.cli.selection import from_globals
    from pykamal.commands import auditor
    from pykamal.commands.base import Command, Raw
    from pykamal.remote.executor import run_on
    from pykamal.remote.hooks import run_hook
    from pykamal.remote.identity import performer
    from pykamal.remote.output import print_by_host
    from pykamal.remote.runtime import make_output, run_async, ssh_executor

    globals_ = get_globals()
    config = globals_.config()
    selection = from_globals(globals_)
    output = make_output(globals_)
    command_text = " ".join(part.strip() for part in cmd)

    async def pre_connect() -> None:
        await run_hook(
            config,
            "pre-connect",
            output,
            skip=globals_.skip_hooks,
            selection=selection,
            command="server",
            subcommand="exec",
            with_secrets=True,
        )

    if interactive:
        import os

        from pykamal.remote.ssh_settings import SshSettings

        host = selection.primary_host
        run_async(pre_connect)
        output.say(f"Running '{command_text}' on {host} interactively...")
        argv = SshSettings.from_config(config, with_key_data=False).interactive_argv(host, command_text)
        os.execvp(argv[0], argv)
        return

    async def main() -> None:
        await pre_connect()
        output.say(f"Running '{command_text}' on {', '.join(selection.hosts)}...")
        async with ssh_executor(config, output) as executor:

            async def one(host: str) -> None:
                record = auditor.record(
                    config,
                    f"Executed cmd '{command_text}' on {host}",
                    performer=performer(),
                    at=datetime.now(UTC),
                )
                await executor.run(host, record, log_level="debug")
                result = await executor.run(host, Command((Raw(command_text),)))
                print_by_host(output, host, result.stdout, quiet=globals_.quiet)

            await run_on(selection.hosts, one, output=output, label=command_text)

    run_async(main)


@server.command("bootstrap", help="Set up Docker to run Kamal apps")
def bootstrap() -> None:
    from pykamal.cli.selection import from_globals
    from pykamal.commands import server as commands
    from pykamal.errors import RemoteError
    from pykamal.remote.executor import run_on
    from pykamal.remote.hooks import run_hook
    from pykamal.remote.lock import deploy_lock
    from pykamal.remote.runtime import make_output, run_async, ssh_executor

    globals_ = get_globals()
    config = globals_.config()
    selection = from_globals(globals_)
    output = make_output(globals_)

    async def main() -> None:
        await run_hook(
            config,
            "pre-connect",
            output,
            skip=globals_.skip_hooks,
            selection=selection,
            command="server",
            subcommand="bootstrap",
            with_secrets=True,
        )
        async with (
            ssh_executor(config, output) as executor,
            deploy_lock(config, executor, primary_host=selection.primary_host, hosts=selection.hosts),
        ):
            missing: list[str] = []

            async def one(host: str) -> None:
                if (await executor.run(host, commands.docker_installed(), check=False)).ok:
                    return
                if not (await executor.run(host, commands.superuser(), check=False)).ok:
                    missing.append(host)
                    return
                output.log("info", f"Missing Docker on {host}. Installing…")
                await executor.run(host, commands.install_docker())
                is_root = (await executor.run(host, commands.root(), check=False)).ok
                if is_root or (await executor.run(host, commands.in_docker_group(), check=False)).ok:
                    return
                await executor.run(host, commands.add_to_docker_group())
                # ends the session's shell so the new group applies; the connection may drop
                result = await executor.run(host, commands.refresh_session(), check=False)
                if not result.ok:
                    output.log("info", "Session refreshed due to group change.")

            await run_on(selection.hosts, one, output=output, label="docker check")
            if missing:
                raise RemoteError(DOCKER_MISSING.format(hosts=", ".join(missing)))
            await run_hook(
                config,
                "docker-setup",
                output,
                skip=globals_.skip_hooks,
                selection=selection,
                command="server",
                subcommand="bootstrap",
            )

    run_async(main)
