"""``pykamal prune all|containers|images``."""

from __future__ import annotations

import click

from pykamal.cli.core import group


def _execute(subcommand: str, flow):  # type: ignore[no-untyped-def]
    from pykamal.cli.running import execute

    return execute("prune", subcommand, flow)


@group("prune")
def prune() -> None:
    pass


@prune.command("all", help="Delete old app containers and unused images")
def all_() -> None:
    from pykamal.flows import prune as flow

    _execute("all", flow.prune_all)


@prune.command("images", help="Delete app images no container uses")
def images() -> None:
    from pykamal.flows import prune as flow

    _execute("images", flow.images)


@prune.command("containers", help="Delete stopped app containers, keeping the newest few (5 by default)")
@click.option("--retain", type=int, default=None, help="How many stopped containers to keep")
def containers(retain: int | None) -> None:
    from pykamal.flows import prune as flow

    flow.check_retain(retain)
    _execute("containers", lambda run: flow.containers(run, retain))
