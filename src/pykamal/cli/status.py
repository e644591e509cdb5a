"""``pykamal status`` and ``pykamal doctor``: the fleet at a glance, and preflight checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pykamal.cli.core import command

if TYPE_CHECKING:
    from pykamal.flows.context import Run
    from pykamal.flows.doctor import DoctorReport
    from pykamal.flows.status import FleetStatus

DRIFT_EXIT_CODE = 3  # status: drift found or a host unreachable; doctor: a check failed (1: errors)
DEFAULT_WATCH_SECONDS = 2.0


@command("status")
@click.option(
    "--json", "as_json", is_flag=True, default=False, help="Print the status as JSON (docs/status.md)"
)
@click.option(
    "--watch",
    type=click.FloatRange(min=0.5),
    is_flag=False,
    flag_value=DEFAULT_WATCH_SECONDS,
    default=None,
    metavar="[SECONDS]",
    help=f"Refresh every SECONDS (default {DEFAULT_WATCH_SECONDS:g}) until Ctrl-C",
)
def status(as_json: bool, watch: float | None) -> None:
    from pykamal.cli.running import execute

    async def main(run: Run) -> int:
        from pykamal.flows.status import status as fleet_status

        fleet = await fleet_status(run)
        if watch is None:
            _show(fleet, as_json)
            return _exit_code(fleet)
        return await _watch(run, fleet, watch, as_json)

    code = execute("status", None, main)
    if code:
        raise click.exceptions.Exit(code)


def _exit_code(fleet: FleetStatus) -> int:
    return 0 if fleet.ok else DRIFT_EXIT_CODE


def _show(fleet: FleetStatus, as_json: bool) -> None:
    if as_json:
        import json

        click.echo(json.dumps(fleet.to_json(), indent=2))
        return
    from pykamal.cli.fleet_view import plain_output, show, status_view

    plain = plain_output()
    show(status_view(fleet, plain=plain), plain=plain)


async def _watch(run: Run, fleet: FleetStatus, seconds: float, as_json: bool) -> int:
    """Redraw in place on a terminal; elsewhere (or with --json) print each refresh after the last."""
    import asyncio

    from pykamal.cli.fleet_view import plain_output
    from pykamal.flows.status import status as fleet_status

    if as_json or plain_output():
        while True:
            if as_json:
                import json

                click.echo(json.dumps(fleet.to_json()))
            else:
                _show(fleet, False)
                click.echo()
            await asyncio.sleep(seconds)
            fleet = await fleet_status(run)

    from rich.live import Live

    from pykamal.cli.fleet_view import console, status_view

    footer = f"Refreshing every {seconds:g}s; Ctrl-C to stop."
    with Live(
        status_view(fleet, plain=False, footer=footer),
        console=console(),
        auto_refresh=False,
        vertical_overflow="visible",
    ) as live:
        while True:
            await asyncio.sleep(seconds)
            fleet = await fleet_status(run)
            live.update(status_view(fleet, plain=False, footer=footer), refresh=True)


@command("doctor")
@click.option(
    "--json", "as_json", is_flag=True, default=False, help="Print the checks as JSON (docs/status.md)"
)
@click.option(
    "-P",
    "--skip-push",
    is_flag=True,
    default=False,
    help="Deploys will use --skip-push: Docker and buildx are not needed here",
)
def doctor(as_json: bool, skip_push: bool) -> None:
    from pykamal.cli.context import get_globals
    from pykamal.cli.running import execute
    from pykamal.errors import ConfigError
    from pykamal.flows import doctor as checks

    try:
        get_globals().config()
    except ConfigError as exc:
        _show_report(checks.config_failed(str(exc)), as_json)
        raise click.exceptions.Exit(DRIFT_EXIT_CODE) from None

    async def main(run: Run) -> DoctorReport:
        return await checks.doctor(run, skip_push=skip_push)

    report = execute("doctor", None, main)
    _show_report(report, as_json)
    if not report.ok:
        raise click.exceptions.Exit(DRIFT_EXIT_CODE)


def _show_report(report: DoctorReport, as_json: bool) -> None:
    if as_json:
        import json

        click.echo(json.dumps(report.to_json(), indent=2))
        return
    from pykamal.cli.fleet_view import doctor_view, plain_output, show

    plain = plain_output()
    show(doctor_view(report, plain=plain), plain=plain)
