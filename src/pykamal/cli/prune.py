"""``pykamal prune all|containers|images``."""

from __future__ import annotations

import click

from pykamal.cli.core import group
from pykamal.cli.running import flow_command


def _execute(subcommand: str, flow):  # type: ignore[no-untyped-def]
    from pykamal.cli.running import execute

    return execute("prune", subcommand, flow)


@group("prune")
def prune() -> None:
    pass


flow_command(prune, "all", "prune:prune_all", help="Delete old app containers and unused images")
flow_command(prune, "images", "prune:images", help="Delete app images no container uses")


@prune.command("containers", help="Delete stopped app containers, keeping the newest few (5 by default)")
@click.option("--retain", type=int, default=None, help="How many stopped containers to keep")
def containers(retain: int | None) -> None:
    from pykamal.flows import prune as flow

    flow.check_retain(retain)
    _execute("containers", lambda run: flow.containers(run, retain))
