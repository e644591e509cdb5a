"""Options shared by ``app exec`` and ``accessory exec``."""

from __future__ import annotations

import click

INTERACTIVE = click.option(
    "-i",
    "--interactive",
    is_flag=True,
    default=False,
    help="Attach a terminal over ssh (for a shell or console)",
)

REUSE = click.option(
    "--reuse",
    is_flag=True,
    default=False,
    help="Run in the container that is already up, not a new one",
)
