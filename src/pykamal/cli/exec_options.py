"""Options shared by ``app exec``, ``accessory exec`` and ``server exec``."""

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

RAW = click.option(
    "--raw",
    is_flag=True,
    default=False,
    help="Write each host's output exactly as the command wrote it (bytes, no header), for piping",
)


def quiet_for_raw() -> None:
    """``--raw``: stdout carries only the command's bytes, so progress and log lines are off."""
    from pykamal.cli.context import get_globals

    globals_ = get_globals()
    globals_.quiet, globals_.verbose = True, False
