"""``pykamal app …``: the app containers on the servers."""

from __future__ import annotations

import os

import click

from pykamal.cli.core import group

LOG_OPTIONS = (
    click.option("-s", "--since", default=None, help="Show lines since timestamp or relative (e.g. 42m)"),
    click.option("-n", "--lines", type=int, default=None, help="Number of lines to show from each server"),
    click.option("-g", "--grep", default=None, help="Show lines with grep match only"),
    click.option("--grep-options", default=None, help="Additional options supplied to grep"),
    click.option("-f", "--follow", is_flag=True, default=False, help="Follow log on primary server"),
    click.option(
        "-T", "--skip-timestamps", is_flag=True, default=False, help="Skip timestamps in the output"
    ),
    click.option("--container-id", default=None, help="Docker container ID to fetch logs"),
)


def _execute(subcommand: str, flow, *, plan: bool = False):  # type: ignore[no-untyped-def]
    from pykamal.flows.plan import execute

    return execute("app", subcommand, flow, plan=plan)


@group("app")
def app() -> None:
    pass


@app.command("boot", help="Boot app on servers (or reboot app if already running)")
@click.option("--plan", is_flag=True, default=False, help="Print every command per host; run nothing remote")
@click.option("--no-rollback", is_flag=True, default=False, help="On failure, keep hosts that switched")
def boot(plan: bool, no_rollback: bool) -> None:
    from pykamal.flows import app as flow

    _execute("boot", lambda run: flow.boot(run, rollback_on_failure=not no_rollback), plan=plan)


@app.command("start", help="Start existing app container on servers")
def start() -> None:
    from pykamal.flows import app as flow

    _execute("start", flow.start)


@app.command("stop", help="Stop app container on servers")
def stop() -> None:
    from pykamal.flows import app as flow

    _execute("stop", flow.stop)


@app.command("details", help="Show details about app containers")
def details() -> None:
    from pykamal.flows import app as flow

    _execute("details", flow.details)


@app.command(
    "exec",
    help="Execute a custom command on servers within the app container (use --help to show options)",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    default=False,
    help="Execute command over ssh for an interactive shell",
)
@click.option(
    "--reuse",
    is_flag=True,
    default=False,
    help="Reuse currently running container instead of starting a new one",
)
@click.option(
    "-e", "--env", "env", multiple=True, help="Set environment variables for the command (KEY:VALUE)"
)
@click.option("--detach", is_flag=True, default=False, help="Execute command in a detached container")
@click.argument("cmd", nargs=-1, type=click.UNPROCESSED)
def exec_(interactive: bool, reuse: bool, env: tuple[str, ...], detach: bool, cmd: tuple[str, ...]) -> None:
    from pykamal.errors import UsageError
    from pykamal.flows import app as flow

    pairs: list[tuple[str, str]] = []
    for item in env:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise UsageError(f"--env {item!r}: expected KEY:VALUE")
        pairs.append((key, value))
    command = " ".join(part.strip() for part in cmd)
    argv = _execute(
        "exec",
        lambda run: flow.exec_(run, command, interactive=interactive, reuse=reuse, env=pairs, detach=detach),
    )
    if argv:
        os.execvp(argv[0], argv)


@app.command("containers", help="Show app containers on servers")
def containers() -> None:
    from pykamal.flows import app as flow

    _execute("containers", flow.containers)


@app.command("stale_containers", help="Detect app stale containers")
@click.option("-s", "--stop", "stop_", is_flag=True, default=False, help="Stop the stale containers found")
def stale_containers(stop_: bool) -> None:
    from pykamal.flows import app as flow

    _execute("stale_containers", lambda run: flow.stale_containers(run, stop=stop_))


@app.command("images", help="Show app images on servers")
def images() -> None:
    from pykamal.flows import app as flow

    _execute("images", flow.images)


def _log_options(fn):  # type: ignore[no-untyped-def]
    for option in reversed(LOG_OPTIONS):
        fn = option(fn)
    return fn


@app.command("logs", help="Show log lines from app on servers (use --help to show options)")
@_log_options
def logs(
    since: str | None,
    lines: int | None,
    grep: str | None,
    grep_options: str | None,
    follow: bool,
    skip_timestamps: bool,
    container_id: str | None,
) -> None:
    from pykamal.flows import app as flow

    timestamps = not skip_timestamps
    if follow:
        from pykamal.flows.plan import follow_logs

        follow_logs(
            "app",
            lambda run: flow.follow_logs_argv(
                run,
                since=since,
                lines=lines,
                grep=grep,
                grep_options=grep_options,
                timestamps=timestamps,
                container_id=container_id,
            ),
        )
    _execute(
        "logs",
        lambda run: flow.logs(
            run,
            since=since,
            lines=lines,
            grep=grep,
            grep_options=grep_options,
            timestamps=timestamps,
            container_id=container_id,
        ),
    )


@app.command("remove", help="Remove app containers and images from servers")
def remove() -> None:
    from pykamal.flows import app as flow

    _execute("remove", flow.remove)


@app.command("live", help="Set the app to live mode")
def live() -> None:
    from pykamal.flows import app as flow

    _execute("live", flow.live)


@app.command("maintenance", help="Set the app to maintenance mode")
@click.option(
    "--drain-timeout", type=int, default=None, help="How long to allow in-flight requests to complete"
)
@click.option("--message", default=None, help="Message to display to clients while stopped")
def maintenance(drain_timeout: int | None, message: str | None) -> None:
    from pykamal.flows import app as flow

    _execute("maintenance", lambda run: flow.maintenance(run, drain_timeout=drain_timeout, message=message))


@app.command("version", help="Show app version currently running on servers")
def version_() -> None:
    from pykamal.flows import app as flow

    _execute("version", flow.version)


@app.command("remove_container", help="Remove app container with given version from servers", hidden=True)
@click.argument("version_arg", metavar="VERSION")
def remove_container(version_arg: str) -> None:
    from pykamal.flows import app as flow

    _execute("remove_container", lambda run: flow.remove_container(run, version_arg))


@app.command("remove_containers", help="Remove all app containers from servers", hidden=True)
def remove_containers() -> None:
    from pykamal.flows import app as flow

    _execute("remove_containers", flow.remove_containers)


@app.command("remove_images", help="Remove all app images from servers", hidden=True)
def remove_images() -> None:
    from pykamal.flows import app as flow

    _execute("remove_images", flow.remove_images)


@app.command("remove_app_directories", help="Remove the app directories from servers", hidden=True)
def remove_app_directories() -> None:
    from pykamal.flows import app as flow

    _execute("remove_app_directories", flow.remove_app_directories)
