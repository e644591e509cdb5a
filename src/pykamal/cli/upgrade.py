"""``pykamal upgrade``: servers set up by Kamal 1.x moved to the Kamal 2 layout."""

from __future__ import annotations

import click

from pykamal.cli.core import command


@command("upgrade")
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Answer yes to the confirmation prompt")
@click.option("--rolling", is_flag=True, default=False, help="Upgrade one host after another")
def upgrade(confirmed: bool, rolling: bool) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows import upgrade as flow

    execute("upgrade", None, lambda run: flow.upgrade(run, rolling=rolling, confirmed=confirmed))
