"""``server exec`` lines given to the real ``kamal`` and to pykamal pick the same host and command.

Both run ``server exec -i``, which hands the remote command to a local ``ssh``; a stand-in ``ssh``
on PATH prints its arguments instead of connecting.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE = """
service: app
image: u/app
servers:
  web: [10.9.0.1]
  job:
    hosts: [10.9.0.2]
    cmd: bin/jobs
registry:
  server: localhost:5555
builder:
  arch: amd64
"""
STAGING = """
servers:
  web: [10.8.0.1]
  job:
    hosts: [10.8.0.2]
    cmd: bin/jobs
"""
FAKE_SSH = """#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done
"""

LINES = [
    "server exec -i ls -d staging",
    "server exec -i ls -r job -d staging",
    "server exec -i ls -la -d staging -r job",
    "server exec -i ls -lap -d staging",
    "server exec -d staging -i ls",
    "server exec -i echo -- hi there",
    "server exec -i echo a:b -h 10.8.0.2 -d staging",
    "server exec -i ls --foo -x bar -d staging",
    "server exec --no-interactive -i ls",
    "server -d staging exec -i cat /etc/hostname",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("thor")
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(BASE)
    (root / "config" / "deploy.staging.yml").write_text(STAGING)
    (root / "bin").mkdir()
    ssh = root / "bin" / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(0o755)
    return root


def ssh_target(project: Path, program: list[str], line: str) -> tuple[str, str]:
    """(user@host, remote command) that ``program line`` hands to ssh."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAMAL_")}
    env["PATH"] = f"{project / 'bin'}{os.pathsep}{env['PATH']}"
    env["VERSION"] = "v1"
    result = subprocess.run(
        [*program, *line.split()], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    words = result.stdout.splitlines()
    host = next((w for w in words if w.startswith("root@")), None)
    assert host is not None, result.stdout + result.stderr
    return host, words[-1]


@pytest.mark.skipif(shutil.which("kamal") is None, reason="the reference kamal is not installed")
@pytest.mark.parametrize("line", LINES)
def test_same_host_and_command_as_kamal(project: Path, line: str) -> None:
    assert ssh_target(project, [sys.executable, "-m", "pykamal"], line) == ssh_target(
        project, ["kamal"], line
    )


def test_double_dash_passes_the_rest_through(project: Path) -> None:
    # Kamal drops "-d staging" here (its top level swallows the "--"); pykamal runs what was typed.
    target = ssh_target(project, [sys.executable, "-m", "pykamal"], "server exec -i -- ls -d staging")
    assert target == ("root@10.9.0.1", "ls -d staging")
