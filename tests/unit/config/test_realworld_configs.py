"""Public Kamal projects: `pykamal config` gives what `kamal config` gives, rendering their ERB without Ruby.

Each deploy.yml of ../shared/realworld-configs is loaded alone and with each of its destinations.
Where Kamal prints a configuration, pykamal prints the same values; where Kamal refuses the files,
pykamal refuses them with the same message.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any

import pytest
import realworld
from kamal_compare import kamal_binary, parse_kamal_yaml, parse_pykamal_yaml

from pykamal.cli import run

CONFIGS = realworld.shared_configs()
TARGETS = realworld.targets(CONFIGS) if CONFIGS is not None else []
pytestmark = [
    pytest.mark.skipif(CONFIGS is None, reason="../shared/realworld-configs is not next to the repository"),
    pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH"),
]


@cache
def kamal_results() -> dict[realworld.Target, tuple[int, str]]:
    binary = kamal_binary()
    assert binary is not None and CONFIGS is not None
    return realworld.kamal_results(binary, TARGETS, environment())


def environment() -> dict[str, str]:
    assert CONFIGS is not None
    return realworld.environment(CONFIGS, realworld.stub_dir())


def kamal_error(output: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", output)
    match = re.search(r"ERROR \([^)]*\): (.*)", text)
    return match.group(1).strip() if match else text.strip()


def run_pykamal(
    target: realworld.Target, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """`pykamal config` in this process, in the project, with exactly the environment kamal had."""
    monkeypatch.chdir(target.project)
    env = environment()
    for key in list(os.environ):
        if key not in env:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # no Ruby to fall back on: what is shown here is pykamal's own rendering
    monkeypatch.setattr("pykamal.config.erb._ruby_executable", lambda: None)
    capsys.readouterr()
    code = run(target.args())
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_project_is_found() -> None:
    assert CONFIGS is not None
    projects = {target.project for target in TARGETS}
    assert len(projects) >= 50
    assert len(TARGETS) > len(projects)  # destinations too


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_pykamal_config_matches_kamal_config(
    target: realworld.Target, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kamal_code, kamal_output = kamal_results()[target]
    code, out, err = run_pykamal(target, capsys, monkeypatch)
    if kamal_code == 0:
        assert code == 0, err
        assert parse_pykamal_yaml(out) == parse_kamal_yaml(kamal_output)
    else:
        assert code != 0
        assert len(err.strip().splitlines()) == 1, err
        assert err.strip() == f"ERROR {kamal_error(kamal_output)}"
