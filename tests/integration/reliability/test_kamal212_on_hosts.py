"""Kamal 2.12's additions on real sandbox hosts: stop_timeout, --lock-wait, exec --raw."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_project import Project, tag_version, wait_until

pytestmark = pytest.mark.integration


def host_commands(project: Project, host: str) -> str:
    return "\n".join(project.sandbox.command_log(host))


def test_stop_timeout_reaches_docker_stop(project: Project) -> None:
    project.write(extra="stop_timeout: 4\n")
    deploy_yml = project.root / "config" / "deploy.yml"
    deploy_yml.write_text(
        deploy_yml.read_text().replace(
            "    cmd: /app/worker\n", "    cmd: /app/worker\n    stop_timeout: 7\n"
        )
    )
    project.deploy("stop-1")
    for host in project.sandbox.hosts:
        project.sandbox.clear_command_log(host)
    project.deploy("stop-2")
    project.assert_settled("stop-2")
    # the old container of each role is stopped with its timeout: the top-level one for web
    # (behind the proxy, which would otherwise leave Docker's default), the role's for the worker
    assert "docker stop -t 4 hello-web-stop-1" in host_commands(project, project.web[0])
    assert "docker stop -t 7 hello-worker-stop-1" in host_commands(project, project.worker[0])

    project.sandbox.clear_command_log(project.worker[0])
    project.pykamal("app", "stop", "-r", "worker", "--version", "stop-2")
    assert "xargs docker stop -t 7" in host_commands(project, project.worker[0])


def test_lock_wait_waits_for_the_deploy_holding_the_lock(project: Project) -> None:
    project.deploy("wait-0")
    tag_version(project.sandbox, "wait-2")
    # the first deploy stays inside its lock for a while (its pre-deploy hook sleeps, once)
    hold = project.root / "hold"
    hold.touch()
    project.hook("pre-deploy", f"if [ -e {hold} ]; then rm {hold}; sleep 25; fi\n")

    first = project.start_deploy("wait-1")
    wait_until(lambda: not hold.exists(), 120, "the first deploy to hold the lock")
    second = project.start(
        "deploy", "--skip-push", "--version", "wait-2", "--lock-wait", "--lock-wait-interval", "1"
    )
    second.wait_for("Retrying in 1s (")
    assert first.wait(timeout=120) == 0, first.output
    assert second.wait(timeout=120) == 0, second.output

    out = second.output
    assert "Acquiring the deploy lock (waiting up to 900s)..." in out
    assert "Deploy lock is held by:" in out and "Version: wait-1" in out
    assert "Traceback" not in out
    project.assert_settled("wait-2")


def test_lock_wait_gives_up_after_its_timeout(project: Project) -> None:
    project.deploy("late-0")
    project.pykamal(
        "lock", "acquire", "-m", "Automatic deploy lock", "--version", "late-0"
    )  # as a deploy would hold it
    started = time.monotonic()
    result = project.deploy(
        "late-1", "--lock-wait", "--lock-wait-timeout", "3", "--lock-wait-interval", "1", check=False
    )
    took = time.monotonic() - started
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert 3 <= took < 60, took
    assert out.count("Retrying in 1s (") >= 2
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and f"Timed out waiting for the deploy lock on {project.primary}" in errors[0]
    assert project.lock_present()  # someone else's lock is left alone
    project.pykamal("lock", "release")
    project.assert_settled("late-0")


def test_lock_wait_does_not_wait_for_a_lock_taken_by_hand(project: Project) -> None:
    project.deploy("hand-0")
    project.pykamal("lock", "acquire", "-m", "database maintenance", "--version", "hand-0")
    result = project.deploy("hand-1", "--lock-wait", "--lock-wait-interval", "1", check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "taken by hand, not waiting" in result.stderr
    assert "message: database maintenance" in result.stderr
    assert "Retrying" not in out
    assert project.lock_present()
    project.pykamal("lock", "release")


def raw_exec(project: Project, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pykamal", *args],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        timeout=180,
        check=False,
    )


PRINT_BYTES = r"printf '\377\376\000x\r\n\n'"
BYTES = b"\xff\xfe\x00x\r\n\n"


def test_exec_raw_passes_the_commands_bytes_through(project: Project) -> None:
    project.deploy("raw-1")
    web = project.web[0]
    result = raw_exec(project, "app", "exec", "--raw", "-h", web, "-r", "web", "-v", PRINT_BYTES)
    assert result.returncode == 0, result.stderr
    assert result.stdout == BYTES  # no header, no progress lines (not even with -v), nothing stripped

    reused = raw_exec(project, "app", "exec", "--raw", "--reuse", "-h", web, "-r", "web", PRINT_BYTES)
    assert reused.returncode == 0, reused.stderr
    assert reused.stdout == BYTES

    on_server = raw_exec(project, "server", "exec", "--raw", "-h", web, PRINT_BYTES)
    assert on_server.returncode == 0, on_server.stderr
    assert on_server.stdout == BYTES

    plain = raw_exec(project, "app", "exec", "-h", web, "-r", "web", "echo", "hi")
    assert f"App Host: {web}".encode() in plain.stdout  # without --raw: the usual shape

    refused = raw_exec(project, "app", "exec", "--raw", "-i", "echo", "hi")
    assert refused.returncode != 0
    assert refused.stderr.decode().strip().endswith("Raw is not compatible with interactive")


@pytest.fixture
def ssh_agent(tmp_path: Path) -> Iterator[str]:
    """A local ssh-agent for the test; yields its socket path."""
    socket = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", socket], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(socket).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield socket
    finally:
        agent.terminate()
        agent.wait(timeout=10)


@pytest.mark.parametrize(("setting", "forwarded"), [("true", True), ("false", False)])
def test_forward_agent_decides_whether_the_servers_see_the_agent(
    project: Project, ssh_agent: str, setting: str, forwarded: bool
) -> None:
    deploy_yml = project.root / "config" / "deploy.yml"
    deploy_yml.write_text(deploy_yml.read_text().replace("ssh:\n", f"ssh:\n  forward_agent: {setting}\n", 1))
    result = project.pykamal(
        "server", "exec", "-h", project.primary, 'echo "agent=${SSH_AUTH_SOCK:-none}"',
        extra_env={"SSH_AUTH_SOCK": ssh_agent},
    )  # fmt: skip
    line = next(line for line in result.stdout.splitlines() if line.startswith("agent="))
    assert (line != "agent=none") is forwarded, result.stdout
