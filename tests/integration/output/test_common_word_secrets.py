"""Secrets and a registry user name that are common words, and substrings of pykamal's own output
(`kamal`, `sandbox`, `docker`, `app`): deploys still parse what the hosts say, the failing
container's logs still show, and only the secrets are masked."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import config_text, get, push_images

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sandbox.reset_hosts()
    push_images(sandbox, {"v1": True, "v2": False})
    root = tmp_path_factory.mktemp("words")
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    text = config_text(sandbox, sandbox.hosts[:2])
    text = text.replace("username: sandbox", "username: kamal").replace(
        "    - DB_PASSWORD\n", "    - DB_PASSWORD\n    - APP_TOKEN\n"
    )
    (root / "config" / "deploy.yml").write_text(text)
    (root / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=docker\nDB_PASSWORD=sandbox\nAPP_TOKEN=app\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git = ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.test"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "project"], check=True)
    yield root
    sandbox.reset_hosts()


def pykamal(project: Path, sandbox: Sandbox, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "pykamal", *args],
        cwd=project,
        env=sandbox.make_ssh_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_a_deploy_masks_the_secrets_and_nothing_else(sandbox: Sandbox, project: Path) -> None:
    status, shown = pykamal(project, sandbox, "deploy", "-P", "--version", "v1", "-v")
    assert status == 0, shown
    assert "docker" not in shown and "sandbox" not in shown  # the registry password, an env secret
    assert "[REDACTED] login 127." in shown and "-u [REDACTED] --password-stdin" in shown
    assert "@pykamal" in shown and "kamal-proxy" in shown  # the user name `kamal` is no secret
    assert "secret APP_TOKEN is shorter than 4 characters: too short to mask" in shown
    assert {get(host)[1] for host in sandbox.hosts[:2]} == {"v1"}
    env_file = sandbox.run_on_host(sandbox.hosts[0], "cat /root/.kamal/apps/hello/env/roles/web.env")
    assert env_file.stdout.split() == ["DB_PASSWORD=sandbox", "APP_TOKEN=app"]


def test_a_failing_deploy_still_shows_the_containers_logs(sandbox: Sandbox, project: Path) -> None:
    status, shown = pykamal(project, sandbox, "deploy", "-P", "--version", "v2")
    assert status == 1, shown
    assert "Could not fetch logs" not in shown
    assert "log lines of hello-web-v2 on" in shown and shown.count("hello v2 serving on port 80") == 1
    assert "Hint: health check GET /up answered 404: is proxy.healthcheck.path right?" in shown
    assert "docker" not in shown and "sandbox" not in shown
    assert {get(host)[1] for host in sandbox.hosts[:2]} == {"v1"}
