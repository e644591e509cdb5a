"""``help``, ``help COMMAND [SUB]``, ``COMMAND help SUB``, ``tree``, and ``ALIAS --help``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cli_helpers import run_cli

from pykamal.cli.core import root

CONFIG = """
service: demo
image: demo
servers:
  - 127.0.0.1
registry:
  server: localhost:5555
builder:
  arch: amd64
aliases:
  console: app exec --interactive --reuse "bin/rails console"
  listing: server exec ls
"""


pytestmark = pytest.mark.project(
    config=CONFIG, files={"config/deploy.staging.yml": "servers: [127.0.0.2]\n"}, version="abc123"
)


def usage_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("Usage:"))


def test_help_alone_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "help")
    assert code == 0
    assert usage_line(out).startswith("Usage: pykamal [OPTIONS] COMMAND")
    for name in ("accessory", "app", "deploy", "help", "tree", "version"):
        assert f"  {name} " in out


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["help", "app"], "Usage: pykamal app [OPTIONS] COMMAND [ARGS]..."),
        (["help", "app", "exec"], "Usage: pykamal app exec [OPTIONS] [CMD]..."),
        (["app", "help", "exec"], "Usage: pykamal app exec [OPTIONS] [CMD]..."),
        (["app", "help"], "Usage: pykamal app [OPTIONS] COMMAND [ARGS]..."),
        (["proxy", "help", "reboot"], "Usage: pykamal proxy reboot [OPTIONS]"),
        (["help", "deploy"], "Usage: pykamal deploy [OPTIONS]"),
        (["app", "exec", "--help"], "Usage: pykamal app exec [OPTIONS] [CMD]..."),
    ],
)
def test_help_names_the_command_it_describes(
    capsys: pytest.CaptureFixture[str], args: list[str], usage: str
) -> None:
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    assert usage_line(out) == usage


def test_help_of_a_subcommand_shows_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "app", "help", "exec")
    assert "--reuse" in out and "--interactive" in out and "--env" in out
    _, out, _ = run_cli(capsys, "app", "help", "logs")
    assert "--reuse" not in out and "--grep" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["help", "nosuch"], 'Could not find command "nosuch" in "pykamal"'),
        (["app", "help", "nosuch"], 'Could not find command "nosuch" in "pykamal app"'),
        (["help", "version", "extra"], '"pykamal version" has no subcommand "extra"'),
    ],
)
def test_help_of_an_unknown_command_fails(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 1
    assert message in err
    assert out == ""


def test_every_kamal_group_has_help_and_tree() -> None:
    ctx = click.Context(root, info_name="pykamal")
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        if isinstance(command, click.Group) and name != "sandbox":  # sandbox: pykamal's own, plain
            sub = click.Context(command, info_name=name, parent=ctx)
            assert command.get_command(sub, "help") is not None, name
            assert command.get_command(sub, "tree") is not None, name


def test_tree_shows_every_group_and_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "tree")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "pykamal"
    ctx = click.Context(root, info_name="pykamal")
    for name in root.list_commands(ctx):
        if name in ("help", "tree"):
            continue
        command = root.get_command(ctx, name)
        assert command is not None
        assert any(line.lstrip(" ├└─").startswith(f"{name} (") for line in lines), name
        if isinstance(command, click.Group):
            assert f"  pykamal {name}" in lines
    app_at = lines.index("  pykamal app")
    assert lines[app_at + 1].startswith("    ├─ ")
    assert any(line.startswith("    ├─ exec (") for line in lines[app_at:])
    assert lines[-1].lstrip().startswith("└─ ")


def test_tree_leaves_out_hidden_commands(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "proxy", "tree")
    lines = out.splitlines()
    assert any(line.startswith("  ├─ reboot (") for line in lines)
    assert not any("upgrade (" in line for line in lines)  # hidden, as Kamal hides it
    _, out, _ = run_cli(capsys, "proxy", "help", "upgrade")
    assert usage_line(out) == "Usage: pykamal proxy upgrade [OPTIONS]"


def test_tree_of_a_group_lists_only_that_group(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "app", "tree")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "pykamal app"
    assert any(line.startswith("  ├─ exec (") for line in lines)
    assert not any("deploy (" in line for line in lines)


def test_alias_help_describes_the_alias_and_runs_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["console", "--help"], ["help", "console"], ["console", "-d", "staging", "--help"]):
        code, out, err = run_cli(capsys, *args)
        assert code == 0, (args, err)
        assert out.startswith("console: an alias from the config file for\n")
        assert 'pykamal app exec --interactive --reuse "bin/rails console"' in out
        assert usage_line(out) == "Usage: pykamal app exec [OPTIONS] [CMD]..."
        assert "Running" not in out + err


def test_help_after_double_dash_is_the_alias_commands_word() -> None:
    from pykamal.cli.aliases import asks_for_help

    assert asks_for_help(["-d", "staging", "--help"])
    assert not asks_for_help(["--", "--help"])
    assert not asks_for_help(["-d", "staging"])


def test_help_and_tree_in_a_real_process(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for args, expected in (
        (["app", "help", "exec"], "Usage: pykamal app exec"),
        (["tree"], "  pykamal app"),
        (["listing", "--help"], "listing: an alias from the config file for"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "pykamal", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout
