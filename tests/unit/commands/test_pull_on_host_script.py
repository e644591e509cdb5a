"""``builder.pull_on_host`` run by real shells against a stand-in ``docker``: each failing step ends
the script with its own status, the password only ever travels on stdin."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pykamal.commands import auditor, builder, registry
from pykamal.commands.base import Command, Sensitive
from pykamal.config import load_config
from pykamal.config.model import Config

PASSWORD = "pw-canary-5a1f"
IMAGE = "registry.example.test/team/app:v7"

DEPLOY = """service: app
image: team/app
servers: [127.0.0.11]
registry: {server: registry.example.test, username: deployer, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
"""

# Behaviour chosen through the environment; every call is logged to $STATE/calls.
FAKE_DOCKER = r"""#!/bin/sh
echo "$*" >> "$STATE/calls"
case "$1" in
  login)
    cat > "$STATE/login-stdin"
    if [ -n "$LOGIN_FAIL" ]; then
      echo "Error response from daemon: unauthorized: bad credentials" >&2; exit 1
    fi
    echo "Login Succeeded" ;;
  info)
    if [ -n "$MIRROR" ]; then echo "$MIRROR"; exit 0; fi
    if [ -n "$DAEMON_DOWN" ]; then
      echo 'template: :1:2: executing "" at <.RegistryConfig.Mirrors>: nil pointer evaluating' >&2; exit 1
    fi
    echo 'template: :1:2: executing "" at <index .RegistryConfig.Mirrors 0>:' \
      'error calling index: reflect: slice index out of range' >&2
    exit 1 ;;
  image) echo "Untagged: $4" ;;
  pull)
    if [ -n "$PULL_FAIL" ]; then
      echo "Error response from daemon: manifest for $2 not found: manifest unknown" >&2; exit 1
    fi
    echo "pulled $2" ;;
  inspect) echo "${LABEL-app}" ;;
  *) exit 99 ;;
esac
"""

SHELLS = [shell for shell in ("sh", "bash", "dash", "zsh") if shutil.which(shell)]


pytestmark = pytest.mark.project(config=DEPLOY, secrets=f"REGISTRY_PASSWORD={PASSWORD}\n")


@pytest.fixture
def config(project: Path) -> Config:
    return load_config("config/deploy.yml", version="v7")


def script(config: Config, *, check_mirror: bool = True, login: bool = True) -> Command:
    audit = auditor.record(config, "Pulled image with version v7", performer="me", at=datetime.now(UTC))
    login_command = registry.login(config.registry, "deployer", Sensitive(PASSWORD)) if login else None
    return builder.pull_on_host(config, audit=audit, login=login_command, check_mirror=check_mirror)


def run_remote(
    tmp_path: Path, command: Command, shell: str = "sh", **behaviour: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the command line as sshd would (``<shell> -c``), stdin fed like the executor does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    (state / "calls").write_text("")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STATE": str(state), **behaviour}
    stdin = command.stdin.value if isinstance(command.stdin, Sensitive) else command.stdin
    result = subprocess.run(
        [shell, "-c", command.shell()], input=stdin or "", cwd=home, env=env,
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    calls = [line.split()[0] for line in (state / "calls").read_text().splitlines()]
    return result, calls


@pytest.mark.parametrize("shell", SHELLS)
def test_a_host_without_mirror_logs_in_pulls_and_checks_the_label(
    tmp_path: Path, config: Config, shell: str
) -> None:
    command = script(config)
    assert PASSWORD not in command.shell() and PASSWORD not in command.display()
    result, calls = run_remote(tmp_path, command, shell)
    assert result.returncode == 0, result.stderr
    assert calls == ["login", "info", "image", "pull", "inspect"]
    assert (tmp_path / "state" / "login-stdin").read_text() == PASSWORD  # on stdin, only to login
    assert "Pulled image with version v7" in (tmp_path / "home" / ".kamal" / "app-audit.log").read_text()
    assert f"pulled {IMAGE}" in result.stdout
    assert "Login Succeeded" not in result.stdout + result.stderr  # login output only on failure


@pytest.mark.parametrize("shell", SHELLS)
def test_a_host_with_a_mirror_stops_after_naming_it(tmp_path: Path, config: Config, shell: str) -> None:
    result, calls = run_remote(tmp_path, script(config), shell, MIRROR="http://127.0.0.1:5000/")
    assert result.returncode == 0, result.stderr
    assert calls == ["login", "info"]
    assert result.stdout == "@pykamal mirror http://127.0.0.1:5000/\n"
    assert not (tmp_path / "home" / ".kamal").exists()  # no audit line: it has not pulled


@pytest.mark.parametrize(
    ("behaviour", "status", "calls", "shown"),
    [
        ({"LOGIN_FAIL": "1"}, builder.LOGIN_FAILED, ["login"], "unauthorized: bad credentials"),
        ({"DAEMON_DOWN": "1"}, builder.MIRROR_UNREADABLE, ["login", "info"], "nil pointer"),
        ({"PULL_FAIL": "1"}, builder.PULL_FAILED, ["login", "info", "image", "pull"], "manifest unknown"),
        ({"LABEL": ""}, builder.LABEL_MISSING, ["login", "info", "image", "pull", "inspect"],
         f"Image {IMAGE} is missing the 'service' label"),
        ({"LABEL": "other"}, builder.LABEL_MISSING, ["login", "info", "image", "pull", "inspect"],
         "missing the 'service' label"),
    ],
)  # fmt: skip
def test_each_failing_step_has_its_own_exit_status(
    tmp_path: Path, config: Config, behaviour: dict[str, str], status: int, calls: list[str], shown: str
) -> None:
    result, made = run_remote(tmp_path, script(config), **behaviour)
    assert result.returncode == status, (result.stdout, result.stderr)
    assert made == calls
    assert shown in result.stdout + result.stderr


def test_without_login_a_failed_pull_still_has_the_pull_status(tmp_path: Path, config: Config) -> None:
    result, made = run_remote(tmp_path, script(config, check_mirror=False, login=False), PULL_FAIL="1")
    assert result.returncode == builder.PULL_FAILED
    assert made == ["image", "pull"]


def test_without_login_and_mirror_check_only_the_pull_steps_run(tmp_path: Path, config: Config) -> None:
    command = script(config, check_mirror=False, login=False)
    assert command.stdin is None
    result, made = run_remote(tmp_path, command)
    assert result.returncode == 0, result.stderr
    assert made == ["image", "pull", "inspect"]
