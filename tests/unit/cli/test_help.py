"""`pykamal --help` lists every command from the summaries table without importing command modules."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from pykamal.cli.core import COMMANDS, SUMMARIES, root


def test_every_command_has_a_summary() -> None:
    assert set(SUMMARIES) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_summary_is_the_commands_own_help(name: str) -> None:
    command = root.get_command(click.Context(root), name)
    assert command is not None
    assert command.get_short_help_str(limit=1000).rstrip(".") == SUMMARIES[name]


def test_help_lists_commands_without_importing_them() -> None:
    probe = (
        "import sys\n"
        "from pykamal.cli import run\n"
        "code = run(['--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('pykamal.cli.') and m not in "
        "('pykamal.cli.core', 'pykamal.cli.context', 'pykamal.cli.aliases', 'pykamal.cli.thor_args'))\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "LOADED []" in result.stdout
    for name, line in SUMMARIES.items():
        assert name in result.stdout
        assert line.split()[0] in result.stdout
