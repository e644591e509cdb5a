"""Small top-level commands that need no servers."""

from __future__ import annotations

import click

from pykamal import __version__
from pykamal.cli.core import command


@command("version")
def version() -> None:
    click.echo(__version__)
