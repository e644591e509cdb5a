"""``aliases:`` through the real CLI (a ``pykamal`` subprocess), plus expansion rules in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import pykamal

from pykamal.cli.aliases import ConfigChoice, expand
from pykamal.config import load_config
from pykamal.errors import ConfigError

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
  conf: config
  staging-conf: config -d staging
  key: secrets extract "MY KEY"
  v: version
  vv: v
  console: app exec --interactive --reuse "bin/rails console"
"""
STAGING = """
servers:
  - 127.0.0.2
"""


pytestmark = pytest.mark.project(config=CONFIG, files={"config/deploy.staging.yml": STAGING})


def test_alias_runs_its_command(project: Path) -> None:
    direct = pykamal(project, "config")
    aliased = pykamal(project, "conf")
    assert aliased.returncode == 0, aliased.stderr
    assert aliased.stdout == direct.stdout
    assert "primary_host: 127.0.0.1" in aliased.stdout


def test_alias_words_and_extra_arguments_are_passed_on(project: Path) -> None:
    result = pykamal(project, "key", '{"MY KEY": "it works", "OTHER": "no"}')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "it works"


def test_destination_in_the_alias_or_on_the_command_line(project: Path) -> None:
    in_alias = pykamal(project, "staging-conf")
    assert in_alias.returncode == 0, in_alias.stderr
    assert "primary_host: 127.0.0.2" in in_alias.stdout
    after = pykamal(project, "conf", "-d", "staging")
    before = pykamal(project, "-d", "staging", "conf")
    assert after.stdout == before.stdout == in_alias.stdout


def test_config_file_option_selects_the_aliases(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = pykamal(elsewhere, "-c", str(project / "config" / "deploy.yml"), "conf")
    assert result.returncode == 0, result.stderr
    assert "primary_host: 127.0.0.1" in result.stdout
    assert pykamal(elsewhere, "conf", f"--config-file={project / 'config' / 'deploy.yml'}").returncode == 0
    missing = pykamal(elsewhere, "conf")  # no config here: no aliases, an unknown command
    assert missing.returncode == 2
    assert "No such command 'conf'" in missing.stderr


def test_alias_of_an_alias(project: Path) -> None:
    result = pykamal(project, "vv")
    assert result.returncode == 0, result.stderr
    assert result.stdout == pykamal(project, "version").stdout


def test_unknown_command_is_still_an_error(project: Path) -> None:
    result = pykamal(project, "nope")
    assert result.returncode == 2
    assert "No such command 'nope'" in result.stderr


def test_help_lists_the_aliases(project: Path) -> None:
    result = pykamal(project, "--help")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("Aliases (from the config file):", 1)[1]
    assert "staging-conf" in section and "config -d staging" in section
    assert 'app exec --interactive --reuse "bin/rails console"' in section
    elsewhere = pykamal(project / "config", "--help")  # no config/deploy.yml from there
    assert "Aliases" not in elsewhere.stdout


def test_alias_shadowing_a_built_in_is_a_config_error(project: Path) -> None:
    path = project / "config" / "deploy.yml"
    path.write_text(CONFIG + "  deploy: version\n")
    result = pykamal(project, "conf")
    assert result.returncode != 0
    assert "Alias 'deploy' conflicts with a built-in command" in result.stderr
    # pykamal's own commands are built-ins too
    path.write_text(CONFIG + "  sandbox: version\n")
    result = pykamal(project, "config")
    assert result.returncode != 0
    assert "Alias 'sandbox' conflicts with a built-in command" in result.stderr
    assert "[ignored: conflicts with a built-in command]" in pykamal(project, "--help").stdout


def test_alias_loop_is_reported(project: Path) -> None:
    (project / "config" / "deploy.yml").write_text(CONFIG + "  ping: pong\n  pong: ping\n")
    result = pykamal(project, "ping")
    assert result.returncode != 0
    assert "alias loop (ping -> pong -> ping)" in result.stderr


# --- in-process: expansion and option scanning ---------------------------------------------------


def test_console_expands_like_kamal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    config = load_config("config/deploy.yml", version="abc123")
    built_in = ["app", "config", "version", "secrets"]
    # global options given after the alias are parsed by the command group, not passed to the container
    assert expand(config, ["console", "-d", "staging"], built_in) == [
        "app",
        "-d",
        "staging",
        "exec",
        "--interactive",
        "--reuse",
        "bin/rails console",
    ]
    assert expand(config, ["console", "--hosts=h1", "-q", "extra"], built_in) == [
        "app",
        "--hosts=h1",
        "-q",
        "exec",
        "--interactive",
        "--reuse",
        "bin/rails console",
        "extra",
    ]
    assert expand(config, ["config"], built_in) is None
    assert expand(config, ["nope"], built_in) is None
    with pytest.raises(ConfigError, match="conflicts with a built-in command"):
        expand(config, ["conf"], [*built_in, "v"])


def test_config_choice_reads_config_flags() -> None:
    base = ConfigChoice()
    assert base.updated(["-c", "a.yml", "-d", "prod"]) == ConfigChoice("a.yml", "prod")
    assert base.updated(["-ca.yml", "-dprod", "--version=7"]) == ConfigChoice("a.yml", "prod", "7")
    assert base.updated(["--config-file", "b.yml", "--destination=qa"]) == ConfigChoice("b.yml", "qa")
    assert base.updated(["exec", "--", "-d", "x"]) == base
    assert ConfigChoice("a.yml").updated(["-c", "b.yml"]).path == "b.yml"
    assert base.path == "config/deploy.yml"
