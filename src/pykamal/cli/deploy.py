"""Top-level ``deploy``, ``redeploy``, ``setup``, ``rollback``, ``remove`` and ``details``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pykamal.cli.core import command

if TYPE_CHECKING:
    from pykamal.config.extensions import Canary
    from pykamal.flows.context import Run

SKIP_PUSH = click.option(
    "-P",
    "--skip-push",
    is_flag=True,
    default=False,
    help="Use the image already in the registry; build nothing",
)
NO_CACHE = click.option(
    "--no-cache", is_flag=True, default=False, help="Ignore cached layers and build every step"
)
SKIP_RELEASE = click.option(
    "--skip-release",
    is_flag=True,
    default=False,
    help="Do not run the release command (x-pykamal/release) before booting",
)
PLAN = click.option(
    "--plan", is_flag=True, default=False, help="Print every command per host; run nothing remote"
)
NO_ROLLBACK = click.option(
    "--no-rollback",
    is_flag=True,
    default=False,
    help="On failure, leave hosts that already switched on the new version (Kamal's behaviour)",
)


def _set_output_format(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        from pykamal.cli.context import get_globals

        get_globals().output_format = value


OUTPUT = click.option(
    "--output",
    type=click.Choice(["text", "json"]),
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_set_output_format,
    help="text (default: live view on a terminal) or json (one event per line on stdout)",
)


CANARY_DEFAULT = "configured"  # ``--canary`` without a number: x-pykamal/canary/hosts, else 1


def _canary_count(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    """The N of ``--canary [N]``: 0 when not given (the configured count), None without --canary."""
    if value is None or value == CANARY_DEFAULT:
        return None if value is None else 0
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(f"{value!r} is not a number of hosts (1 or more)")
    return int(value)


CANARY = click.option(
    "--canary",
    "canary_hosts",
    is_flag=False,
    flag_value=CANARY_DEFAULT,
    default=None,
    callback=_canary_count,
    metavar="[N]",
    help="Deploy to N hosts (default: x-pykamal/canary/hosts, else 1) of each proxied role first, "
    "watch their 5xx rate in kamal-proxy's log, then the rest or switch them back",
)
CANARY_FAIL_OPEN = click.option(
    "--canary-fail-open",
    is_flag=True,
    default=False,
    help="Go on when the canary got too few requests to judge (default: stop)",
)
SKIP_CANARY = click.option(
    "--skip-canary", is_flag=True, default=False, help="No canary phase, even if x-pykamal/canary enables it"
)


def _canary_settings(run: Run, canary_hosts: int | None, fail_open: bool, skip: bool) -> Canary | None:
    from pykamal.flows.canary import with_hosts

    if skip:
        return None
    return with_hosts(run.config.extensions.canary, canary_hosts, fail_open)


@command("deploy")
@OUTPUT
@SKIP_PUSH
@NO_CACHE
@NO_ROLLBACK
@SKIP_RELEASE
@CANARY
@CANARY_FAIL_OPEN
@SKIP_CANARY
@PLAN
def deploy(
    skip_push: bool,
    no_cache: bool,
    no_rollback: bool,
    skip_release: bool,
    canary_hosts: int | None,
    canary_fail_open: bool,
    skip_canary: bool,
    plan: bool,
) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow
    from pykamal.flows.context import BuildOptions

    if skip_canary and canary_hosts is not None:
        from pykamal.errors import UsageError

        raise UsageError("--canary and --skip-canary cannot be used together")

    execute(
        "deploy",
        None,
        lambda run: flow.deploy(
            run,
            skip_push=skip_push,
            rollback_on_failure=not no_rollback,
            skip_release=skip_release,
            canary=_canary_settings(run, canary_hosts, canary_fail_open, skip_canary),
        ),
        plan=plan,
        build=BuildOptions(no_cache=no_cache),
    )


@command("redeploy")
@OUTPUT
@SKIP_PUSH
@NO_CACHE
@NO_ROLLBACK
@SKIP_RELEASE
@PLAN
def redeploy(skip_push: bool, no_cache: bool, no_rollback: bool, skip_release: bool, plan: bool) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow
    from pykamal.flows.context import BuildOptions

    execute(
        "redeploy",
        None,
        lambda run: flow.deploy(
            run,
            skip_push=skip_push,
            rollback_on_failure=not no_rollback,
            redeploy=True,
            skip_release=skip_release,
        ),
        plan=plan,
        build=BuildOptions(no_cache=no_cache),
    )


@command("setup")
@OUTPUT
@SKIP_PUSH
@NO_CACHE
@NO_ROLLBACK
@SKIP_RELEASE
@PLAN
def setup(skip_push: bool, no_cache: bool, no_rollback: bool, skip_release: bool, plan: bool) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow
    from pykamal.flows.context import BuildOptions

    execute(
        "setup",
        None,
        lambda run: flow.setup(
            run, skip_push=skip_push, rollback_on_failure=not no_rollback, skip_release=skip_release
        ),
        plan=plan,
        build=BuildOptions(no_cache=no_cache),
    )


@command("rollback")
@OUTPUT
@click.argument("version_arg", metavar="[VERSION]", required=False)
@NO_ROLLBACK
def rollback(version_arg: str | None, no_rollback: bool) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow

    execute(
        "rollback", None, lambda run: flow.rollback(run, version_arg, rollback_on_failure=not no_rollback)
    )


@command("release")
@PLAN
def release(plan: bool) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import release as flow

    execute("release", None, flow.release_alone, plan=plan)


@command("remove")
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Answer yes to the confirmation prompt")
def remove(confirmed: bool) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow

    execute("remove", None, lambda run: flow.remove(run, confirmed=confirmed))


@command("details")
def details() -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import deploy as flow

    execute("details", None, flow.details)
