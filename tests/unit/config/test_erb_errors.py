"""ERB that fails: one line naming file, line and cause, as `pykamal config` shows it; never a traceback."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kamal_compare import kamal_binary
from project_files import write_project

from pykamal.cli import run

BASE = """\
service: app
image: app/web
servers:
  - 192.0.2.1
registry:
  server: localhost:5555
builder:
  arch: amd64
"""


def config_error(write_config: Callable[[str], str], capsys: Any, extra: str) -> tuple[int, str]:
    write_config(BASE + extra)
    capsys.readouterr()
    code = run(["config", "--version", "v1"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return code, lines[0]


def test_fetch_of_a_missing_variable_names_file_line_and_key(write_config: Any, capsys: Any) -> None:
    code, line = config_error(
        write_config, capsys, 'env:\n  clear:\n    A: <%= ENV.fetch("MISSING_ERB_KEY") %>\n'
    )
    assert code == 1
    assert line == 'ERROR config/deploy.yml:11: key not found: "MISSING_ERB_KEY" (ENV.fetch with no default)'


@pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH")
def test_kamal_fails_on_the_same_missing_key(tmp_path: Path) -> None:
    write_project(tmp_path, BASE + 'env:\n  clear:\n    A: <%= ENV.fetch("MISSING_ERB_KEY") %>\n')
    result = subprocess.run(
        [str(kamal_binary()), "config", "--version", "v1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert 'key not found: "MISSING_ERB_KEY"' in result.stdout + result.stderr


def test_method_on_nil_names_file_and_line(write_config: Any, capsys: Any) -> None:
    code, line = config_error(
        write_config, capsys, 'env:\n  clear:\n    A: <%= ENV["UNSET_ERB_X"].strip %>\n'
    )
    assert code == 1
    assert line == "ERROR config/deploy.yml:11: undefined method `strip' for nil (NoMethodError)"


def test_failing_backtick_names_file_line_and_status(write_config: Any, capsys: Any) -> None:
    code, line = config_error(write_config, capsys, "\n\nx-version: <%= `echo oops >&2; exit 3` %>\n")
    assert code == 1
    assert line == "ERROR config/deploy.yml:11: `echo oops >&2; exit 3` failed with exit status 3: oops"


def test_hanging_backtick_is_stopped_at_the_timeout(write_config: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PYKAMAL_ERB_TIMEOUT", "1")
    started = time.monotonic()
    code, line = config_error(write_config, capsys, "x-version: <%= %x(sleep 30) %>\n")
    assert time.monotonic() - started < 15  # far below the command's 30 s: it was stopped, not awaited
    assert code == 1
    assert line == (
        "ERROR config/deploy.yml:9: `sleep 30` did not finish within 1s (set PYKAMAL_ERB_TIMEOUT to change)"
    )


def test_ruby_outside_the_subset_is_refused_without_ruby(
    write_config: Any, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    code, line = config_error(write_config, capsys, "x-when: <%= Time.now.year %>\n")
    assert code == 1
    assert line == "ERROR config/deploy.yml:9: unsupported ERB: <%= Time.now.year %>"


def test_ruby_on_path_renders_what_the_subset_does_not(
    write_config: Any, capsys: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    # A stand-in `ruby` that renders like ERB would for this one template, to see it is used and named.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ruby"
    fake.write_text("#!/bin/sh\nsed 's/<%= Time.now.year %>/2026/'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    write_config(BASE + "x-when: <%= Time.now.year %>\n")
    capsys.readouterr()
    code = run(["config", "--version", "v1", "-v"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"config/deploy.yml: rendered by Ruby's ERB ({fake})" in captured.err
    logging.getLogger("pykamal.config").setLevel(logging.WARNING)  # as in a new process without -v
    code = run(["config", "--version", "v1"])
    assert "rendered by" not in capsys.readouterr().err


def test_kamal_init_template_loads(write_config: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("RBENV_VERSION", raising=False)
    monkeypatch.delenv("rvm_ruby_string", raising=False)
    write_config(
        BASE
        + '# env:\n#   clear:\n#     RUBY_VERSION: <%= ENV["RBENV_VERSION"] || ENV["rvm_ruby_string"] || '
        '"#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>\n'
    )
    capsys.readouterr()
    assert run(["config", "--version", "v1"]) == 0, capsys.readouterr().err


@pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH")
def test_the_deploy_yml_kamal_init_writes_loads(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    init = subprocess.run(
        [str(kamal_binary()), "init"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert "RUBY_ENGINE_VERSION" in (tmp_path / "config" / "deploy.yml").read_text()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert run(["config", "--version", "v1"]) == 0, capsys.readouterr().err
