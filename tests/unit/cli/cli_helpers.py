"""Running the command line from the CLI tests: the installed ``pykamal`` as a subprocess, or in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pykamal.cli import run


def pykamal_executable() -> list[str]:
    script = Path(sys.executable).parent / "pykamal"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pykamal"]


def pykamal(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``pykamal ARGS`` run in ``cwd`` with no KAMAL_* variable and VERSION=abc123 (a project folder
    is no git repository); ``stdin`` is its whole input."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAMAL_")}
    env["VERSION"] = "abc123"
    return subprocess.run(
        [*pykamal_executable(), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_cli(capture: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``pykamal ARGS`` in this process: exit status, and what it (and anything since the last read of
    ``capture``) printed on stdout and stderr."""
    code = run(list(args))
    captured = capture.readouterr()
    return code, captured.out, captured.err
