"""``pykamal app …``: the app containers on the servers."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from pykamal.cli.core import group
from pykamal.cli.exec_options import INTERACTIVE, RAW, REUSE, quiet_for_raw
from pykamal.cli.log_options import log_options
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


@app.command("start", help="Start the app container of this version again")
def start() -> None:
    from pykamal.flows import app as flow

    _execute("start", flow.start)


@app.command("stop", help="Stop the running app container")
def stop() -> None:
    from pykamal.flows import app as flow

    _execute("stop", flow.stop)


@app.command("details", help="List the app containers on each server")
def details() -> None:
    from pykamal.flows import app as flow

    _execute("details", flow.details)


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


@app.command("containers", help="List every app container on the servers")
def containers() -> None:
    from pykamal.flows import app as flow

    _execute("containers", flow.containers)


@app.command("stale_containers", help="List app containers left running beside the current one")
@click.option("-s", "--stop", "stop_", is_flag=True, default=False, help="Stop the stale containers found")
def stale_containers(stop_: bool) -> None:
    from pykamal.flows import app as flow

    _execute("stale_containers", lambda run: flow.stale_containers(run, stop=stop_))


@app.command("images", help="List the app images on the servers")
def images() -> None:
    from pykamal.flows import app as flow

    _execute("images", flow.images)


@app.command("logs", help="Print the app container logs")
@log_options()
@click.option("--container-id", default=None, help="Read the logs of this container id instead")
def logs(query: LogQuery, follow: bool, container_id: str | None) -> None:
    from pykamal.flows import app as flow

    if follow:
        from pykamal.cli.running import follow_logs

        follow_logs("app", lambda run: flow.follow_logs_argv(run, query, container_id=container_id))
    _execute("logs", lambda run: flow.logs(run, query, container_id=container_id))


@app.command("remove", help="Delete all app containers and images on the servers")
def remove() -> None:
    from pykamal.flows import app as flow

    _execute("remove", flow.remove)


@app.command("live", help="Let the proxy send requests to the app again")
def live() -> None:
    from pykamal.flows import app as flow

    _execute("live", flow.live)


@app.command("maintenance", help="Have the proxy answer with a maintenance page")
@click.option("--drain-timeout", type=int, default=None, help="Seconds to wait for open requests to finish")
@click.option("--message", default=None, help="Text shown to visitors during maintenance")
def maintenance(drain_timeout: int | None, message: str | None) -> None:
    from pykamal.flows import app as flow

    _execute("maintenance", lambda run: flow.maintenance(run, drain_timeout=drain_timeout, message=message))


@app.command("version", help="Print the version that runs on each server")
def version_() -> None:
    from pykamal.flows import app as flow

    _execute("version", flow.version)


@app.command("remove_container", help="Delete the app container of one version", hidden=True)
@click.argument("version_arg", metavar="VERSION")
def remove_container(version_arg: str) -> None:
    from pykamal.flows import app as flow

    _execute("remove_container", lambda run: flow.remove_container(run, version_arg))


@app.command("remove_containers", help="Delete every app container", hidden=True)
def remove_containers() -> None:
    from pykamal.flows import app as flow

    _execute("remove_containers", flow.remove_containers)


@app.command("remove_images", help="Delete every app image", hidden=True)
def remove_images() -> None:
    from pykamal.flows import app as flow

    _execute("remove_images", flow.remove_images)


@app.command("remove_app_directories", help="Delete the app's directories on the servers", hidden=True)
def remove_app_directories() -> None:
    from pykamal.flows import app as flow

    _execute("remove_app_directories", flow.remove_app_directories)
