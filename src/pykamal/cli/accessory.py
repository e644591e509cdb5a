"""``pykamal accessory …``: manage accessories (databases, caches, … next to the app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click

from pykamal.cli.context import get_globals
from pykamal.cli.core import group
from pykamal.cli.exec_options import INTERACTIVE, REUSE
from pykamal.cli.log_options import log_options
from pykamal.cli.running import flow_command

if TYPE_CHECKING:
    from pykamal.commands.logs import LogQuery
    from pykamal.flows.context import Run

NAME = click.argument("name", metavar="NAME")


@group("accessory")
def accessory() -> None:
    pass


def _run(subcommand: str, flow: Callable[[Run], Awaitable[None]]) -> None:
    """Run one accessory flow over SSH with this invocation's options, closing connections at the end."""
    from pykamal.cli.running import execute

    execute("accessory", subcommand, flow)


def _confirmed(question: str, yes: bool) -> bool:
    """Kamal's y/N question (default N); ``-y`` answers it."""
    from pykamal.flows.common import confirm

    if confirm(question, yes):
        return True
    click.secho("Aborted", fg="red")
    return False


flow_command(
    accessory,
    "boot",
    "accessory:boot",
    help="Start a new container for the accessory NAME (or all) on its hosts",
    params=[NAME],
)
flow_command(
    accessory,
    "reboot",
    "accessory:reboot",
    help="Replace the accessory container with a fresh one from a newly pulled image (NAME or all)",
    params=[NAME],
)
flow_command(
    accessory, "start", "accessory:start", help="Start the stopped accessory container", params=[NAME]
)
flow_command(accessory, "stop", "accessory:stop", help="Stop the running accessory container", params=[NAME])
flow_command(
    accessory,
    "restart",
    "accessory:restart",
    help="Stop, then start the accessory container again",
    params=[NAME],
)
flow_command(
    accessory,
    "details",
    "accessory:details",
    help="List the accessory container on each of its hosts (NAME or all)",
    params=[NAME],
)


@accessory.command("exec", help="Run a command inside the accessory container on its hosts")
@INTERACTIVE
@REUSE
@NAME
@click.argument("cmd", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(interactive: bool, reuse: bool, name: str, cmd: tuple[str, ...]) -> None:
    from pykamal.flows import accessory as flows

    command = " ".join(part.strip() for part in cmd)
    if not interactive:
        _run("exec", lambda run: flows.exec_command(run, name, command, reuse=reuse))
        return

    import os
    import sys

    argv: list[str] = []

    async def prepare(run: Run) -> None:
        argv.extend(
            await flows.interactive_exec_argv(run, name, command, reuse=reuse, tty=sys.stdin.isatty())
        )

    _run("exec", prepare)
    os.execvp(argv[0], argv)


@accessory.command("logs", help="Print the accessory container logs")
@log_options()
@NAME
def logs(query: LogQuery, follow: bool, name: str) -> None:
    from pykamal.flows import accessory as flows

    if not follow:
        _run("logs", lambda run: flows.logs(run, name, query))
        return

    import os
    import shlex

    from pykamal.cli.running import make_run

    run = make_run("accessory", "logs")
    host, argv = flows.follow_logs_argv(run, name, query)
    run.output.log("info", f"Following logs on {host}...")
    run.output.log("info", shlex.join(argv))
    os.execvp(argv[0], argv)


@accessory.command(
    "remove",
    help="Delete the accessory container, image, data and env file from its hosts (NAME or all)",
)
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Answer yes to the confirmation prompt")
@NAME
def remove(confirmed: bool, name: str) -> None:
    from pykamal.flows import accessory as flows

    flows.resolve(get_globals().config(), name)  # a bad config or name fails before the question
    question = f"Deletes the container, image and data of {name} on every host. Are you sure?"
    if _confirmed(question, confirmed):
        _run("remove", lambda run: flows.remove(run, name))


@accessory.command("upgrade", help="Move accessories set up by Kamal 1.x onto the 'kamal' Docker network")
@click.option("--rolling", is_flag=True, default=False, help="Do the hosts one after another")
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Answer yes to the confirmation prompt")
@NAME
def upgrade(rolling: bool, confirmed: bool, name: str) -> None:
    from pykamal.flows import accessory as flows

    flows.resolve(get_globals().config(), name)
    if _confirmed("Every accessory gets a new container", confirmed):
        _run("upgrade", lambda run: flows.upgrade(run, name, rolling=rolling))


# --- building blocks (hidden, as in Kamal) ----------------------------------------------------------


@accessory.command("upload", hidden=True, help="Copy the accessory's files to its hosts")
@NAME
def upload(name: str) -> None:
    from pykamal.flows import accessory as flows

    async def flow(run: Run) -> None:
        async with flows.locked(run):
            for item in flows.resolve(run.config, name, allow_all=False):
                await flows.upload_files(run, item, flows.hosts_for(run, item))

    _run("upload", flow)


@accessory.command("directories", hidden=True, help="Make the accessory's directories on its hosts")
@NAME
def directories(name: str) -> None:
    from pykamal.flows import accessory as flows

    async def flow(run: Run) -> None:
        async with flows.locked(run):
            for item in flows.resolve(run.config, name, allow_all=False):
                await flows.create_directories(run, item, flows.hosts_for(run, item))

    _run("directories", flow)


@accessory.command("pull_image", hidden=True, help="Download the accessory image on its hosts")
@NAME
def pull_image(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("pull_image", lambda run: flows.pull_image(run, flows.find(run.config, name).name))


@accessory.command("remove_container", hidden=True, help="Delete the accessory container on its hosts")
@NAME
def remove_container(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("remove_container", lambda run: flows.remove_container(run, flows.find(run.config, name).name))


@accessory.command("remove_image", hidden=True, help="Delete the accessory image on its hosts")
@NAME
def remove_image(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("remove_image", lambda run: flows.remove_image(run, flows.find(run.config, name).name))


@accessory.command(
    "remove_service_directory",
    hidden=True,
    help="Delete the accessory's files and data directory on its hosts",
)
@NAME
def remove_service_directory(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run(
        "remove_service_directory",
        lambda run: flows.remove_service_directory(run, flows.find(run.config, name).name),
    )
