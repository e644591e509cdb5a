"""A real deploy asks the password manager once, however many hooks and env secrets need its values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reliability_project import Project

pytestmark = pytest.mark.integration

TOKEN = "counted-token-4e1a9c7b"
PASSWORD_MANAGER = """#!/bin/sh
echo "$*" >> "{calls}"
echo "{token}"
"""
HOOK = 'echo "$APP_TOKEN" > "{folder}/$(basename "$0")"\n'


def test_a_deploy_with_three_hooks_and_an_env_secret_asks_the_password_manager_once(
    project: Project, tmp_path: Path
) -> None:
    bin_dir, calls, seen = tmp_path / "bin", tmp_path / "calls", tmp_path / "hooks-saw"
    bin_dir.mkdir()
    seen.mkdir()
    manager = bin_dir / "counting-pm"
    manager.write_text(PASSWORD_MANAGER.format(calls=calls, token=TOKEN))
    manager.chmod(0o755)
    project.env["PATH"] = f"{bin_dir}:{project.env.get('PATH', os.environ['PATH'])}"
    (project.root / ".kamal" / "secrets").write_text(
        "KAMAL_REGISTRY_PASSWORD=sandbox\nAPP_TOKEN=$(counting-pm get app-token)\n"
    )
    project.write(env_secret=True)
    for name in ("pre-connect", "pre-deploy", "post-deploy"):
        project.hook(name, HOOK.format(folder=seen))

    project.deploy("once-1")

    assert calls.read_text().splitlines() == ["get app-token"]
    assert {path.name: path.read_text().strip() for path in seen.iterdir()} == {
        "pre-connect": TOKEN,
        "pre-deploy": TOKEN,
        "post-deploy": TOKEN,
    }
    app = project.sandbox.run_on_host(project.web[0], "docker exec hello-web-once-1 sh -c 'echo $APP_TOKEN'")
    assert app.stdout.strip() == TOKEN
