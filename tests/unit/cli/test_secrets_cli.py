"""`pykamal secrets …` through the CLI entry point, and laziness seen from other commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli

DEPLOY_YML = """\
service: app
image: app
servers:
  - 127.0.0.11
registry:
  server: 127.0.0.1:5000
  username: user
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
env:
  secret:
    - DB_PASSWORD
"""


pytestmark = pytest.mark.project(
    config=DEPLOY_YML,
    secrets="KAMAL_REGISTRY_PASSWORD=$(touch marker; echo registry-pw)\nDB_PASSWORD='multi\nline'\n",
    files={
        "config/deploy.staging.yml": "servers:\n  - 127.0.0.12\n",
        ".kamal/secrets.staging": 'KAMAL_REGISTRY_PASSWORD=staging\nEND="ends with newline\n"\n',
    },
)


def test_print(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capfd, "secrets", "print", "--version", "1")
    assert code == 0, err
    assert out == "KAMAL_REGISTRY_PASSWORD=registry-pw\nDB_PASSWORD=multi\nline\n"


def test_print_for_a_destination(project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capfd, "secrets", "print", "-d", "staging", "--version", "1")
    assert code == 0, err
    # like Ruby's puts, a value ending in a newline gets no second one
    assert out == "KAMAL_REGISTRY_PASSWORD=staging\nEND=ends with newline\n"
    assert not Path("marker").exists()


def test_commands_that_need_no_secret_never_run_substitutions(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    for args in (["version"], ["config", "--version", "1"], ["secrets", "extract", "A", '{"A":"1"}']):
        code, _, err = run_cli(capfd, *args)
        assert code == 0, err
        assert not Path("marker").exists(), args
    code, _, err = run_cli(capfd, "secrets", "print", "--version", "1")
    assert code == 0, err
    assert Path("marker").exists()


def test_print_reports_a_failing_substitution_in_one_line(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    Path(".kamal/secrets").write_text("A=1\nB=$(exit 4)\n")
    code, out, err = run_cli(capfd, "secrets", "print", "--version", "1")
    assert (code, out) == (1, "")
    assert err == "  ERROR .kamal/secrets:2: $(exit 4) failed with exit status 4\n"


def test_extract_prints_the_value(project_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capfd, "secrets", "extract", "KEY", '{"v/KEY":"a b\\nc"}') == (0, "a b\nc\n", "")


def test_extract_never_echoes_invalid_json(project_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capfd, "secrets", "extract", "KEY", "{not json but s3cret")
    assert (code, out) == (1, "")
    assert "s3cret" not in err
    assert err == "  ERROR secrets extract: the secrets argument is not valid JSON (line 1, column 2)\n"


def test_secrets_is_listed_in_help(project_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capfd, "secrets", "--help")
    assert code == 0
    assert "extract" in out and "fetch" in out and "print" in out
    code, out, _ = run_cli(capfd, "secrets", "fetch", "--help")
    assert "--adapter" in out and "--inline" not in out
