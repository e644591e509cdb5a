"""Run ``kamal config`` and ``pykamal config`` on a fixture directory and parse both outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from pykamal.config import yamlfile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "config"
VERSION = "0123456789abcdef0123456789abcdef01234567"


def kamal_binary() -> str | None:
    return shutil.which("kamal")


def case_args(case: Path) -> list[str]:
    args_file = case / "args"
    return args_file.read_text().split() if args_file.exists() else []


def case_env(case: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VERSION", "KAMAL_DESTINATION")}
    env_file = case / "env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            if "=" in line:
                key, _, value = line.partition("=")
                env[key] = value
    return env


def command_line(case: Path) -> list[str]:
    """Arguments after the program name: config -c deploy.yml [--version V] [case args]."""
    args = ["config", "-c", "deploy.yml", *case_args(case)]
    if "VERSION" not in case_env(case):
        args += ["--version", VERSION]
    return args


def run_kamal(case: Path) -> subprocess.CompletedProcess[str]:
    binary = kamal_binary()
    assert binary is not None
    return subprocess.run(
        [binary, *command_line(case)],
        cwd=case,
        env=case_env(case),
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_pykamal(case: Path, args: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pykamal", *(args if args is not None else command_line(case))],
        cwd=case,
        env=case_env(case),
        capture_output=True,
        text=True,
        timeout=60,
    )


def parse_kamal_yaml(text: str) -> Any:
    """Kamal's output read with Ruby's scalar rules: symbols lose their colon, Ruby objects become maps."""
    loader = yamlfile._loader_class()
    loader.add_multi_constructor("!ruby/", lambda load, _suffix, node: load.construct_mapping(node))
    return yaml.load(text, Loader=loader)


def parse_pykamal_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def run_in_process(case: Path, args: list[str], capsys: Any, monkeypatch: Any) -> tuple[int, str, str]:
    """Run the CLI in this process (much faster than a subprocess); returns (exit code, stdout, stderr)."""
    from pykamal.cli import run

    monkeypatch.chdir(case)
    for key in ("VERSION", "KAMAL_DESTINATION"):
        monkeypatch.delenv(key, raising=False)
    for key, value in case_env(case).items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = run(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
