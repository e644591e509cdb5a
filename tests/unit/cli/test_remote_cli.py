"""The server/lock/audit commands end to end, with the recording executor instead of SSH."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pykamal.cli import run
from pykamal.remote import hooks, identity, runtime
from pykamal.remote import lock as remote_lock
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.output import Output

DEPLOY_YML = """\
service: app
image: app
servers:
  web:
    - 10.0.0.1
    - 10.0.0.2
  workers:
    - 10.0.0.3
registry:
  server: localhost:5555
builder:
  arch: amd64
"""

NO_LOCK = "stat: cannot statx '.kamal/lock-app': No such file or directory\n"


pytestmark = pytest.mark.project(config=DEPLOY_YML, version="v42")


@pytest.fixture
def executor(
    project: Path, recorder: RecordingExecutor, monkeypatch: pytest.MonkeyPatch
) -> RecordingExecutor:
    """The recorder, as the executor every command of the project makes."""
    monkeypatch.delenv("PYKAMAL_STALE_LOCK_AGE", raising=False)
    monkeypatch.setattr(identity, "performer", lambda: "jane@example.com")
    monkeypatch.setattr(hooks, "performer", lambda: "jane@example.com")
    monkeypatch.setattr(remote_lock, "git_user_name", lambda: "Jane Doe")

    def make(config: object, output: Output) -> RecordingExecutor:
        recorder.output = output
        return recorder

    monkeypatch.setattr(runtime, "ssh_executor", make)
    return recorder


def details(age: timedelta) -> str:
    at = (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Locked by: Bob at {at}\nVersion: v41\nMessage: hotfix"


def test_server_exec_runs_on_every_host_with_audit_and_prints_by_host(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    executor.respond(r"^uptime", stdout=" 12:00 up 3 days\n")
    # after "--" every word belongs to the command, even one naming an option ("-p": --primary)
    assert run(["server", "exec", "uptime", "--", "-p"]) == 0
    out = capsys.readouterr().out
    assert "Running 'uptime -p' on 10.0.0.1, 10.0.0.2, 10.0.0.3..." in out
    for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert f"App Host: {host}\n12:00 up 3 days\n" in out
        commands = executor.commands(host)
        assert commands[0].startswith('mkdir -p .kamal && echo "[')
        assert (
            f"[jane@example.com] Executed cmd 'uptime -p' on {host}\" >> .kamal/app-audit.log" in commands[0]
        )
        assert commands[1] == "uptime -p"
    assert "Running uptime -p on 10.0.0.1" in out  # the command line is shown at info
    assert "Executed cmd" not in out  # the audit command is debug-level


def test_server_exec_quiet_and_host_filter(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    executor.respond(r"^hostname", stdout="box\n")
    assert run(["server", "exec", "-q", "-h", "10.0.0.[23]", "hostname"]) == 0
    assert capsys.readouterr().out == "box\n\nbox\n\n"
    assert {c.host for c in executor.calls} == {"10.0.0.2", "10.0.0.3"}


def test_server_exec_reports_every_failed_host_and_keeps_the_others(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    executor.respond(r"^check", stdout="fine\n")
    executor.respond(r"^check", host="10.0.0.2", exit_status=2, stderr="disk full\n")
    assert run(["server", "exec", "check"]) == 1
    captured = capsys.readouterr()
    assert "App Host: 10.0.0.1\nfine" in captured.out and "App Host: 10.0.0.3\nfine" in captured.out
    assert captured.err.strip() == (
        "ERROR failed on 1 of 3 hosts: 10.0.0.2: `check` failed with exit status 2: disk full"
    )


def test_unknown_host_filter_is_a_usage_error(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["server", "exec", "-h", "10.9.*", "true"]) == 2
    assert "No --hosts match for 10.9.*" in capsys.readouterr().err
    assert executor.calls == []


def test_server_exec_interactive_execs_ssh_on_the_primary_host(
    executor: RecordingExecutor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execvp", lambda file, argv: calls.append(list(argv)))
    assert run(["server", "exec", "-i", "-r", "workers", "bash"]) == 0
    assert calls == [["ssh", "-o", "ServerAliveInterval=30", "-t", "root@10.0.0.3", "-p", "22", "bash"]]
    assert "Running 'bash' on 10.0.0.3 interactively..." in capsys.readouterr().out
    assert executor.calls == []


def test_lock_status_without_lock(executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]) -> None:
    executor.respond(r"^stat ", exit_status=1, stderr=NO_LOCK)
    assert run(["lock", "status"]) == 0
    assert capsys.readouterr().out.strip() == "There is no deploy lock"
    assert executor.commands("10.0.0.1") == [
        "stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d"
    ]


def test_lock_status_shows_details_age_and_staleness(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    executor.respond(r"^stat ", stdout=details(timedelta(hours=2, minutes=3)))
    assert run(["lock", "status"]) == 0
    captured = capsys.readouterr()
    assert "Locked by: Bob at " in captured.out and "Message: hotfix" in captured.out
    assert "Held for: 2h 3m" in captured.out
    assert "This lock is stale: held by Bob for 2h 3m, longer than 1h 0m" in captured.err


def test_lock_acquire_and_contention(executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["lock", "acquire", "-m", "Maintenance"]) == 0
    assert "Acquired the deploy lock" in capsys.readouterr().out
    assert [c.host for c in executor.calls[:3]] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    acquire = executor.commands("10.0.0.1")[-1]
    text = base64.b64decode(acquire.split('"')[1]).decode()
    assert text.startswith("Locked by: Jane Doe at ") and text.endswith("Version: v42\nMessage: Maintenance")

    executor.respond(r"^mkdir \.kamal/lock-app ", exit_status=1, stderr="mkdir: cannot create directory\n")
    executor.respond(r"^stat ", stdout=details(timedelta(minutes=5)))
    assert run(["lock", "acquire", "-m", "again"]) == 1
    captured = capsys.readouterr()
    assert "Deploy lock already in place!" in captured.out
    assert "ERROR Deploy lock found on 10.0.0.1: held by Bob for 5m" in captured.err


def test_lock_release(executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["lock", "release"]) == 0
    assert "Released the deploy lock" in capsys.readouterr().out
    assert executor.commands() == ["rm .kamal/lock-app/details && rm -r .kamal/lock-app"]
    executor.respond(r"^rm ", exit_status=1, stderr="rm: cannot remove: No such file or directory\n")
    assert run(["lock", "release"]) == 0
    assert "There is no deploy lock" in capsys.readouterr().out


def test_audit_shows_the_log_of_each_host(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    executor.respond(r"^tail", stdout="[t] [p] Deployed\n")
    assert run(["audit", "-r", "web"]) == 0
    out = capsys.readouterr().out
    assert "App Host: 10.0.0.1\n[t] [p] Deployed\n" in out and "App Host: 10.0.0.2" in out
    assert executor.commands("10.0.0.1") == ["tail -n 50 .kamal/app-audit.log"]
    assert executor.commands("10.0.0.3") == []


def test_bootstrap_with_docker_everywhere_only_checks_and_runs_the_hook(
    executor: RecordingExecutor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = tmp_path / ".kamal" / "hooks" / "docker-setup"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\nenv | grep ^KAMAL_ | sort > hook-env.txt\n")
    hook.chmod(0o755)
    assert run(["server", "bootstrap"]) == 0
    for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert "docker -v" in executor.commands(host)
    primary = executor.commands("10.0.0.1")
    assert primary[1].startswith("mkdir .kamal/lock-app && echo")
    assert primary[-1] == "rm .kamal/lock-app/details && rm -r .kamal/lock-app"
    env = dict(line.split("=", 1) for line in (tmp_path / "hook-env.txt").read_text().splitlines())
    assert env["KAMAL_COMMAND"] == "server" and env["KAMAL_SUBCOMMAND"] == "bootstrap"
    assert env["KAMAL_HOSTS"] == "10.0.0.1,10.0.0.2,10.0.0.3"
    assert env["KAMAL_LOCK"] == "true"
    assert env["KAMAL_SERVICE_VERSION"] == "app@v42"
    assert env["KAMAL_PERFORMER"] == "jane@example.com"
    assert "Acquiring the deploy lock..." in capsys.readouterr().out


def test_bootstrap_without_docker_or_root_fails_clearly_and_releases_the_lock(
    executor: RecordingExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    executor.respond(r"^docker -v$", host="10.0.0.2", exit_status=127, stderr="docker: not found\n")
    executor.respond(r"EUID", host="10.0.0.2", exit_status=1)
    assert run(["server", "bootstrap", "-H"]) == 1
    err = capsys.readouterr().err
    assert "Docker is not installed on 10.0.0.2 and can't be automatically installed" in err
    assert executor.commands("10.0.0.1")[-1].startswith("rm .kamal/lock-app/details")
    assert not any("get.docker.com" in c for c in executor.commands())


def test_bootstrap_installs_docker_as_root(executor: RecordingExecutor) -> None:
    executor.respond(r"^docker -v$", host="10.0.0.3", exit_status=127)
    assert run(["server", "bootstrap", "-H"]) == 0
    commands = executor.commands("10.0.0.3")
    install = next(i for i, c in enumerate(commands) if "get.docker.com" in c)
    assert commands[install - 1].startswith('[ "${EUID:-$(id -u)}" -eq 0 ]')
    assert commands[install + 1] == '[ "${EUID:-$(id -u)}" -eq 0 ]'
    assert not any("usermod -aG" in c for c in commands)  # root: no group change needed
