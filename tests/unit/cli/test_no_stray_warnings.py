"""No Python warning from a dependency reaches the user (asyncssh under a newer cryptography warns
about DSA on import). Runs the real CLI through SSH code paths with the installed dependencies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from project_files import write_project

SRC = Path(__file__).resolve().parents[3] / "src"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_ssh_command_prints_no_python_warning(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "service: app\nimage: app\nservers: [127.0.0.1]\nregistry:\n  server: localhost:5555\n"
        f"builder:\n  arch: amd64\nssh:\n  port: {closed_port()}\n",
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["PYTHONPATH"] = str(SRC)
    result = subprocess.run(
        [sys.executable, "-m", "pykamal", "lock", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    versions = {name: metadata.version(name) for name in ("asyncssh", "cryptography")}
    assert result.returncode == 1, result.stderr
    assert "connection refused" in result.stderr
    assert "Warning" not in result.stderr, (versions, result.stderr)
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_warnings_asked_for_with_dash_w_are_still_shown(tmp_path: Path) -> None:
    """-W is the user's choice: the filter steps aside."""
    code = (
        "import sys, warnings; from pykamal.cli import quiet_third_party_warnings as q; q();"
        "warnings.warn_explicit('x', UserWarning, 'f.py', 1, module='asyncssh.crypto')"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    shown = subprocess.run(
        [sys.executable, "-W", "default", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    hidden = subprocess.run(
        [sys.executable, "-c", code],
        env={k: v for k, v in env.items() if k != "PYTHONWARNINGS"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "UserWarning" in shown.stderr
    assert hidden.stderr == ""
