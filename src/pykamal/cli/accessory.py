"""``pykamal accessory …``: manage accessories (databases, caches, … next to the app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click

from pykamal.cli.context import get_globals
from pykamal.cli.core import group

if TYPE_CHECKING:
    from pykamal.flows.context import Run

NAME = click.argument("name", metavar="NAME")


@group("accessory")
def accessory() -> None:
    pass


def _run(subcommand: str, flow: Callable[[Run], Awaitable[None]]) -> None:
    """Run one accessory flow over SSH with this invocation's options, closing connections at the end."""
    from pykamal.flows.plan import execute

    execute("accessory", subcommand, flow)


def _confirmed(question: str, yes: bool) -> bool:
    """Kamal's y/N question (default N); ``-y`` answers it."""
    from pykamal.flows.common import confirm

    if confirm(question, yes):
        return True
    click.secho("Aborted", fg="red")
    return False


@accessory.command("boot", help="Boot new accessory service on host (use NAME=all to boot all accessories)")
@NAME
def boot(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("boot", lambda run: flows.boot(run, name))


@accessory.command(
    "reboot",
    help="Reboot existing accessory on host (pull image, stop and remove container, start new container; "
    "use NAME=all to reboot all accessories)",
)
@NAME
def reboot(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("reboot", lambda run: flows.reboot(run, name))


@accessory.command("start", help="Start existing accessory container on host")
@NAME
def start(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("start", lambda run: flows.start(run, name))


@accessory.command("stop", help="Stop existing accessory container on host")
@NAME
def stop(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("stop", lambda run: flows.stop(run, name))


@accessory.command("restart", help="Restart existing accessory container on host")
@NAME
def restart(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("restart", lambda run: flows.restart(run, name))


@accessory.command(
    "details", help="Show details about accessory on host (use NAME=all to show all accessories)"
)
@NAME
def details(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("details", lambda run: flows.details(run, name))


@accessory.command(
    "exec",
    help="Execute a custom command on servers within the accessory container (use --help to show options)",
    context_settings={"ignore_unknown_options": True},
)
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    default=False,
    help="Execute command over ssh for an interactive shell (use for console/bash)",
)
@click.option(
    "--reuse",
    is_flag=True,
    default=False,
    help="Reuse currently running container instead of starting a new one",
)
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


@accessory.command("logs", help="Show log lines from accessory on host (use --help to show options)")
@click.option(
    "-s",
    "--since",
    default=None,
    help="Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)",
)
@click.option("-n", "--lines", type=int, default=None, help="Number of log lines to pull from each server")
@click.option(
    "-g",
    "--grep",
    default=None,
    help="Show lines with grep match only (use this to fetch specific requests by id)",
)
@click.option("--grep-options", default=None, help="Additional options supplied to grep")
@click.option(
    "-f",
    "--follow",
    is_flag=True,
    default=False,
    help="Follow logs on primary server (or specific host set by --hosts)",
)
@click.option(
    "-T", "--skip-timestamps", is_flag=True, default=False, help="Skip appending timestamps to logging output"
)
@NAME
def logs(
    since: str | None,
    lines: int | None,
    grep: str | None,
    grep_options: str | None,
    follow: bool,
    skip_timestamps: bool,
    name: str,
) -> None:
    from pykamal.flows import accessory as flows

    timestamps = not skip_timestamps
    if not follow:
        _run(
            "logs",
            lambda run: flows.logs(
                run,
                name,
                since=since,
                lines=lines,
                grep=grep,
                grep_options=grep_options,
                timestamps=timestamps,
            ),
        )
        return

    import os
    import shlex

    from pykamal.flows.context import make_run

    run = make_run(get_globals(), "accessory", "logs")
    host, argv = flows.follow_logs_argv(
        run, name, grep=grep, grep_options=grep_options, timestamps=timestamps
    )
    run.output.log("info", f"Following logs on {host}...")
    run.output.log("info", shlex.join(argv))
    os.execvp(argv[0], argv)


@accessory.command(
    "remove",
    help="Remove accessory container, image, data directory and env file from host "
    "(use NAME=all to remove all accessories)",
)
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Proceed without confirmation question")
@NAME
def remove(confirmed: bool, name: str) -> None:
    from pykamal.flows import accessory as flows

    flows.resolve(get_globals().config(), name)  # a bad config or name fails before the question
    question = f"This will remove all containers, images and data directories for {name}. Are you sure?"
    if _confirmed(question, confirmed):
        _run("remove", lambda run: flows.remove(run, name))


@accessory.command(
    "upgrade", help="Upgrade accessories from Kamal 1.x to 2.0 (restart them in 'kamal' network)"
)
@click.option("--rolling", is_flag=True, default=False, help="Upgrade one host at a time")
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Proceed without confirmation question")
@NAME
def upgrade(rolling: bool, confirmed: bool, name: str) -> None:
    from pykamal.flows import accessory as flows

    flows.resolve(get_globals().config(), name)
    if _confirmed("This will restart all accessories", confirmed):
        _run("upgrade", lambda run: flows.upgrade(run, name, rolling=rolling))


# --- building blocks (hidden, as in Kamal) ----------------------------------------------------------


@accessory.command("upload", hidden=True, help="Upload accessory files to host")
@NAME
def upload(name: str) -> None:
    from pykamal.flows import accessory as flows

    async def flow(run: Run) -> None:
        async with flows.locked(run):
            for item in flows.resolve(run.config, name, allow_all=False):
                await flows.upload_files(run, item, flows.hosts_for(run, item))

    _run("upload", flow)


@accessory.command("directories", hidden=True, help="Create accessory directories on host")
@NAME
def directories(name: str) -> None:
    from pykamal.flows import accessory as flows

    async def flow(run: Run) -> None:
        async with flows.locked(run):
            for item in flows.resolve(run.config, name, allow_all=False):
                await flows.create_directories(run, item, flows.hosts_for(run, item))

    _run("directories", flow)


@accessory.command("pull_image", hidden=True, help="Pull accessory image on host")
@NAME
def pull_image(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("pull_image", lambda run: flows.pull_image(run, flows.find(run.config, name).name))


@accessory.command("remove_container", hidden=True, help="Remove accessory container from host")
@NAME
def remove_container(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("remove_container", lambda run: flows.remove_container(run, flows.find(run.config, name).name))


@accessory.command("remove_image", hidden=True, help="Remove accessory image from host")
@NAME
def remove_image(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run("remove_image", lambda run: flows.remove_image(run, flows.find(run.config, name).name))


@accessory.command(
    "remove_service_directory",
    hidden=True,
    help="Remove accessory directory used for uploaded files and data directories from host",
)
@NAME
def remove_service_directory(name: str) -> None:
    from pykamal.flows import accessory as flows

    _run(
        "remove_service_directory",
        lambda run: flows.remove_service_directory(run, flows.find(run.config, name).name),
    )
