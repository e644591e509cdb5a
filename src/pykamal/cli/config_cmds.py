"""Commands about the configuration itself: ``config``, ``docs`` and ``init``. None touches a server."""

from __future__ import annotations

import click

from pykamal.cli.core import command

DOC_SECTIONS = (
    "accessory",
    "alias",
    "boot",
    "builder",
    "configuration",
    "env",
    "logging",
    "output",
    "proxy",
    "registry",
    "role",
    "servers",
    "ssh",
    "sshkit",
    "x-pykamal",
)


@command("config")
def config() -> None:
    from pykamal.cli.context import get_globals
    from pykamal.config.summary import summary, to_yaml

    click.echo(to_yaml(summary(get_globals().config())), nl=False)


@command("docs")
@click.argument("section", required=False)
def docs(section: str | None) -> None:
    from pathlib import Path

    from pykamal.errors import UsageError

    name = (section or "configuration").strip().lower()
    name = {"aliases": "alias", "accessories": "accessory", "roles": "role", "server": "servers"}.get(
        name, name
    )
    if name not in DOC_SECTIONS:
        raise UsageError(f"No documentation for {section!r}; sections: {', '.join(DOC_SECTIONS)}")
    path = Path(__file__).resolve().parent.parent / "docs" / f"{name}.md"
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@command("init")
@click.option(
    "--bundle", is_flag=True, default=False, help="Also add kamal to the Gemfile and write bin/kamal"
)
def init(bundle: bool) -> None:
    from pykamal.config.init import create_stubs

    for line in create_stubs("."):
        click.echo(line)
    if bundle:
        _bundle_kamal()


def _bundle_kamal() -> None:
    """Add the kamal gem with bundler and write its bin/kamal binstub, unless one is there."""
    import os
    import shutil
    import subprocess

    from pykamal.config.init import BINSTUB, BUNDLE_COMMANDS
    from pykamal.errors import PykamalError

    if os.path.exists(BINSTUB):
        click.echo(f"Skipped {BINSTUB} (already exists)")
        return
    if shutil.which(BUNDLE_COMMANDS[0][0]) is None:
        raise PykamalError("init --bundle: `bundle` not found on PATH (it comes with Ruby's bundler)")
    click.echo("Adding kamal to the Gemfile with bundler...")
    for argv in BUNDLE_COMMANDS:
        click.echo(f"  {' '.join(argv)}")
        if subprocess.run(argv, check=False).returncode != 0:
            raise PykamalError(f"init --bundle: `{' '.join(argv)}` failed")
    click.echo(f"Created {BINSTUB}")
