"""``pykamal app …``: the app containers on the servers."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from pykamal.cli.core import group
from pykamal.cli.exec_options import INTERACTIVE, RAW, REUSE, quiet_for_raw
from pykamal.cli.log_options import log_options
from pykamal.cli.running import flow_command
from pykamal.cli.thor_args import HashOption

if TYPE_CHECKING:
    from pykamal.commands.logs import LogQuery


def _execute(subcommand: str, flow, *, plan: bool = False):  # type: ignore[no-untyped-def]
    from pykamal.cli.running import execute

    return execute("app", subcommand, flow, plan=plan)


@group("app")
def app() -> None:
    pass


@app.command("boot", help="Start the current version on the servers, replacing any running one")
@click.option("--plan", is_flag=True, default=False, help="Print every command per host; run nothing remote")
@click.option("--no-rollback", is_flag=True, default=False, help="On failure, keep hosts that switched")
def boot(plan: bool, no_rollback: bool) -> None:
    from pykamal.flows import app as flow

    _execute("boot", lambda run: flow.boot(run, rollback_on_failure=not no_rollback), plan=plan)


flow_command(app, "start", "app:start", help="Start the app container of this version again")
flow_command(app, "stop", "app:stop", help="Stop the running app container")
flow_command(app, "details", "app:details", help="List the app containers on each server")


@app.command("exec", help="Run a command in an app container on the servers")
@INTERACTIVE
@REUSE
@click.option(
    "-e",
    "--env",
    "env",
    cls=HashOption,
    help="Environment variables for the command: -e KEY:VALUE [KEY2:VALUE2 ...]",
)
@click.option("--detach", is_flag=True, default=False, help="Start the command in the background and return")
@RAW
@click.argument("cmd", nargs=-1, type=click.UNPROCESSED)
def exec_(
    interactive: bool, reuse: bool, env: tuple[str, ...], detach: bool, raw: bool, cmd: tuple[str, ...]
) -> None:
    from pykamal.errors import UsageError
    from pykamal.flows import app as flow

    pairs: list[tuple[str, str]] = []
    for item in env:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise UsageError(f"--env {item!r}: expected KEY:VALUE")
        pairs.append((key, value))
    command = " ".join(part.strip() for part in cmd)
    if raw:
        quiet_for_raw()
    argv = _execute(
        "exec",
        lambda run: flow.exec_(
            run, command, interactive=interactive, reuse=reuse, env=pairs, detach=detach, raw=raw
        ),
    )
    if argv:
        os.execvp(argv[0], argv)


flow_command(app, "containers", "app:containers", help="List every app container on the servers")


@app.command("stale_containers", help="List app containers left running beside the current one")
@click.option("-s", "--stop", "stop_", is_flag=True, default=False, help="Stop the stale containers found")
def stale_containers(stop_: bool) -> None:
    from pykamal.flows import app as flow

    _execute("stale_containers", lambda run: flow.stale_containers(run, stop=stop_))


flow_command(app, "images", "app:images", help="List the app images on the servers")


@app.command("logs", help="Print the app container logs")
@log_options()
@click.option("--container-id", default=None, help="Read the logs of this container id instead")
def logs(query: LogQuery, follow: bool, container_id: str | None) -> None:
    from pykamal.flows import app as flow

    if follow:
        from pykamal.cli.running import follow_logs

        follow_logs("app", lambda run: flow.follow_logs_argv(run, query, container_id=container_id))
    _execute("logs", lambda run: flow.logs(run, query, container_id=container_id))


flow_command(app, "remove", "app:remove", help="Delete all app containers and images on the servers")
flow_command(app, "live", "app:live", help="Let the proxy send requests to the app again")


@app.command("maintenance", help="Have the proxy answer with a maintenance page")
@click.option("--drain-timeout", type=int, default=None, help="Seconds to wait for open requests to finish")
@click.option("--message", default=None, help="Text shown to visitors during maintenance")
def maintenance(drain_timeout: int | None, message: str | None) -> None:
    from pykamal.flows import app as flow

    _execute("maintenance", lambda run: flow.maintenance(run, drain_timeout=drain_timeout, message=message))


flow_command(app, "version", "app:version", help="Print the version that runs on each server")


@app.command("remove_container", help="Delete the app container of one version", hidden=True)
@click.argument("version_arg", metavar="VERSION")
def remove_container(version_arg: str) -> None:
    from pykamal.flows import app as flow

    _execute("remove_container", lambda run: flow.remove_container(run, version_arg))


flow_command(
    app, "remove_containers", "app:remove_containers", help="Delete every app container", hidden=True
)
flow_command(app, "remove_images", "app:remove_images", help="Delete every app image", hidden=True)
flow_command(
    app,
    "remove_app_directories",
    "app:remove_app_directories",
    help="Delete the app's directories on the servers",
    hidden=True,
)
