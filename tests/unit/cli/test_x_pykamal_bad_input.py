"""Bad ``x-pykamal`` input stops ``pykamal deploy`` before anything runs: one line naming the key,
exit status 1, no traceback, and never the value of a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from project_files import write_project

BASE = """service: app
image: a/app
servers:
  web:
    hosts: [192.0.2.1]
  jobs:
    hosts: []
    cmd: bin/jobs
allow_empty_roles: true
registry: {username: u, password: p}
builder: {arch: amd64}
"""
FTP_URL = "ftp://hooks.example.test/T0ken-9f8e7d"


@pytest.mark.parametrize(
    ("section", "secrets", "message"),
    [
        (
            "x-pykamal:\n  notfiy: []\n",
            "",
            "x-pykamal: unknown key: notfiy",
        ),
        (
            "x-pykamal:\n  release: {cmd: bin/migrate, role: jobs}\n",
            "",
            "x-pykamal/release/role: role jobs has no hosts to run the release on",
        ),
        (
            "x-pykamal:\n  notify:\n    - {url_secret: HOOK}\n",
            f"HOOK={FTP_URL}\n",
            "x-pykamal/notify/0/url_secret: secret HOOK does not hold an http(s) URL",
        ),
        (
            "x-pykamal:\n  notify:\n    - {url_secret: HOOK, format: slack}\n",
            "OTHER=https://example.test\n",
            "x-pykamal/notify/0/url_secret: Secret 'HOOK' not found in .kamal/secrets",
        ),
    ],
    ids=["unknown-key", "release-role-without-hosts", "not-http-url", "missing-url-secret"],
)
def test_bad_x_pykamal_input_is_one_line_naming_the_key(
    tmp_path: Path, section: str, secrets: str, message: str
) -> None:
    write_project(tmp_path, BASE + section, secrets)
    env = {k: v for k, v in os.environ.items() if k not in ("VERSION", "KAMAL_DESTINATION")}
    result = subprocess.run(
        [sys.executable, "-m", "pykamal", "deploy", "--skip-push", "--version", "v1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 1, result.stdout + result.stderr
    assert lines[-1].strip() == f"ERROR {message}", lines
    assert "Traceback" not in result.stderr
    assert FTP_URL not in result.stdout + result.stderr
    assert not any("192.0.2.1" in line for line in lines)  # nothing was attempted on the host
