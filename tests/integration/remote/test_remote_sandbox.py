"""server exec, uploads, host keys, unreachable hosts and the deploy lock on the sandbox's hosts,
including interplay with the reference ``kamal`` (both tools must respect each other's lock)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

SERVICE = "remotetest"
LOCK_DIR = f"/root/.kamal/lock-{SERVICE}"
UNUSED_ADDRESS = "127.0.250.250"  # loopback, nothing listens there


def deploy_yml(hosts: list[str], ssh_config: Path | str, extra_hosts: list[str] = ()) -> str:  # type: ignore[assignment]
    web = "".join(f"    - {h}\n" for h in [*hosts[:2], *extra_hosts])
    workers = "".join(f"    - {h}\n" for h in hosts[2:3])
    return (
        f"service: {SERVICE}\nimage: {SERVICE}\n"
        f"servers:\n  web:\n{web}"
        + (f"  workers:\n{workers}" if workers else "")
        + "registry:\n  server: localhost:5555\n"
        "builder:\n  arch: amd64\n"
        f"ssh:\n  config: {ssh_config}\n"
    )


@pytest.fixture
def project(sandbox: Any, tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(deploy_yml(sandbox.hosts, sandbox.ssh_config_path))
    for host in sandbox.hosts:
        sandbox.run_on_host(host, f"rm -rf {LOCK_DIR}")
    yield tmp_path
    for host in sandbox.hosts:
        sandbox.run_on_host(host, f"rm -rf {LOCK_DIR}")


def env(sandbox: Any, **extra: str) -> dict[str, str]:
    base = sandbox.make_ssh_env()
    base.update(VERSION="v1", **extra)
    base.pop("KAMAL_LOCK", None)
    return base


def pykamal(project: Path, sandbox: Any, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pykamal", *args],
        cwd=project,
        env=env(sandbox, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def kamal(project: Path, sandbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    if not shutil.which("kamal"):
        pytest.skip("the reference kamal is not installed")
    return subprocess.run(
        ["kamal", *args],
        cwd=project,
        env=env(sandbox),
        capture_output=True,
        text=True,
        timeout=180,
    )


def has_lock(sandbox: Any) -> bool:
    return sandbox.run_on_host(sandbox.hosts[0], f"test -d {LOCK_DIR}").returncode == 0


def test_exec_runs_on_all_hosts_in_parallel(project: Path, sandbox: Any) -> None:
    for host in sandbox.hosts:
        sandbox.clear_command_log(host)
    started = time.monotonic()
    result = pykamal(project, sandbox, "server", "exec", "sleep 2; cat /etc/hostname")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 5.5  # three 2 s sleeps in parallel (plus start-up), not 6 s in a row
    for host in sandbox.hosts:
        assert f"App Host: {host}\n" in result.stdout
        log = sandbox.command_log(host)
        assert log[-1] == "sleep 2; cat /etc/hostname"
        assert f"Executed cmd 'sleep 2; cat /etc/hostname' on {host}" in log[-2]
        audit = sandbox.run_on_host(host, f"cat /root/.kamal/{SERVICE}-audit.log").stdout
        assert f"Executed cmd 'sleep 2; cat /etc/hostname' on {host}" in audit


def test_upload_mode_0600_on_the_host(project: Path, sandbox: Any) -> None:
    from pykamal.config import load_config
    from pykamal.remote.output import Output
    from pykamal.remote.runtime import ssh_executor

    host = sandbox.hosts[1]
    path = f".kamal/apps/{SERVICE}/env/roles/web.env"
    sandbox.run_on_host(
        host,
        f"mkdir -p /root/.kamal/apps/{SERVICE}/env/roles && umask 000 && "
        f"echo OLD > /root/{path} && chmod 666 /root/{path}",
    )
    os.environ["VERSION"] = "v1"
    config = load_config(str(project / "config" / "deploy.yml"))

    async def main() -> None:
        async with ssh_executor(config, Output("error")) as executor:
            await executor.upload(host, "SECRET_KEY=abc\n", path)

    asyncio.run(main())
    checked = sandbox.run_on_host(host, f"stat -c '%a %U' /root/{path} && cat /root/{path}")
    assert checked.stdout.split("\n")[:2] == ["600 root", "SECRET_KEY=abc"]


def test_changed_host_key_is_refused(project: Path, sandbox: Any, tmp_path: Path) -> None:
    victim = sandbox.hosts[0]
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    lines = []
    for line in Path(sandbox.known_hosts_path).read_text().splitlines():
        if line.split()[0] == victim:
            line = f"{victim} {' '.join(Path(f'{wrong}.pub').read_text().split()[:2])}"
        lines.append(line)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("\n".join(lines) + "\n")
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(
        Path(sandbox.ssh_config_path).read_text().replace(str(sandbox.known_hosts_path), str(known_hosts))
    )
    (project / "config" / "deploy.yml").write_text(deploy_yml(sandbox.hosts, ssh_config))

    result = pykamal(project, sandbox, "server", "exec", "echo reached")
    assert result.returncode == 1
    assert f"failed on 1 of 3 hosts: {victim}: host key for {victim} has CHANGED" in result.stderr
    assert result.stdout.splitlines().count("reached") == 2  # the other hosts still ran
    assert f"App Host: {victim}" not in result.stdout


def test_unreachable_hosts_fail_clearly_within_the_timeout(project: Path, sandbox: Any) -> None:
    paused = sandbox.hosts[2]
    (project / "config" / "deploy.yml").write_text(
        deploy_yml(sandbox.hosts, sandbox.ssh_config_path, extra_hosts=[UNUSED_ADDRESS])
    )
    subprocess.run(["docker", "pause", sandbox.container(paused)], check=True, capture_output=True)
    try:
        started = time.monotonic()
        result = pykamal(project, sandbox, "server", "exec", "echo alive", PYKAMAL_SSH_CONNECT_TIMEOUT="3")
        elapsed = time.monotonic() - started
    finally:
        subprocess.run(["docker", "unpause", sandbox.container(paused)], check=True, capture_output=True)
    assert result.returncode == 1
    assert elapsed < 10
    assert "failed on 2 of 4 hosts:" in result.stderr
    assert f"{paused}: timed out after 3 s connecting to root@{paused}:22" in result.stderr
    assert (
        f"{UNUSED_ADDRESS}: could not connect to root@{UNUSED_ADDRESS}:22: connection refused"
        in result.stderr
    )
    assert result.stdout.splitlines().count("alive") == 2


def test_lock_acquire_status_release_and_second_acquire_refused(project: Path, sandbox: Any) -> None:
    assert pykamal(project, sandbox, "lock", "status").stdout.strip() == "There is no deploy lock"
    acquired = pykamal(project, sandbox, "lock", "acquire", "-m", "Maintenance window")
    assert acquired.returncode == 0, acquired.stderr
    assert "Acquired the deploy lock" in acquired.stdout
    assert has_lock(sandbox)

    status = pykamal(project, sandbox, "lock", "status")
    assert "Version: v1" in status.stdout and "Message: Maintenance window" in status.stdout
    assert "Held for: " in status.stdout

    second = pykamal(project, sandbox, "lock", "acquire", "-m", "other")
    assert second.returncode == 1
    assert "Deploy lock already in place!" in second.stdout
    assert f"Deploy lock found on {sandbox.hosts[0]}: held by" in second.stderr
    assert "message: Maintenance window" in second.stderr

    stale = pykamal(project, sandbox, "lock", "status", PYKAMAL_STALE_LOCK_AGE="0")
    assert "This lock is stale" in stale.stderr

    released = pykamal(project, sandbox, "lock", "release")
    assert "Released the deploy lock" in released.stdout
    assert not has_lock(sandbox)
    assert "There is no deploy lock" in pykamal(project, sandbox, "lock", "release").stdout


def test_kamal_and_pykamal_see_each_others_lock(project: Path, sandbox: Any) -> None:
    taken = kamal(project, sandbox, "lock", "acquire", "-m", "kamal holds it")
    assert taken.returncode == 0, taken.stdout + taken.stderr
    status = pykamal(project, sandbox, "lock", "status")
    assert "Message: kamal holds it" in status.stdout
    refused = pykamal(project, sandbox, "lock", "acquire", "-m", "mine")
    assert refused.returncode == 1 and "message: kamal holds it" in refused.stderr
    assert pykamal(project, sandbox, "lock", "release").returncode == 0
    assert "There is no deploy lock" in kamal(project, sandbox, "lock", "status").stdout

    assert pykamal(project, sandbox, "lock", "acquire", "-m", "pykamal holds it").returncode == 0
    seen = kamal(project, sandbox, "lock", "status")
    assert "Message: pykamal holds it" in seen.stdout and "Version: v1" in seen.stdout
    blocked = kamal(project, sandbox, "lock", "acquire", "-m", "kamal again")
    assert blocked.returncode != 0
    assert "Deploy lock found" in blocked.stdout + blocked.stderr
    assert kamal(project, sandbox, "lock", "release").returncode == 0
    assert not has_lock(sandbox)


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_a_locked_command_releases_the_lock(
    project: Path, sandbox: Any, signum: int, exit_code: int
) -> None:
    started_marker = project / "hook-started"
    hook = project / ".kamal" / "hooks" / "docker-setup"
    hook.parent.mkdir(parents=True)
    hook.write_text(f"#!/bin/sh\ntouch {started_marker}\nsleep 60\n")
    hook.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "pykamal", "server", "bootstrap"],
        cwd=project,
        env=env(sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not started_marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the docker-setup hook never started"
            time.sleep(0.1)
        assert has_lock(sandbox)  # the hook runs while the lock is held
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == exit_code, out + err
    assert "Releasing the deploy lock..." in out
    assert not has_lock(sandbox)


def test_a_servers_entry_with_its_own_port_connects_on_that_port(project: Path, sandbox: Any) -> None:
    """``host:22`` reaches the host on port 22; ``host:2`` is refused on port 2 (not 22), and the
    entry as written stays the host's name in the output."""
    first, second = sandbox.hosts[0], sandbox.hosts[1]
    (project / "config" / "deploy.yml").write_text(
        deploy_yml([f"{first}:22", f"{second}:2"], sandbox.ssh_config_path)
    )
    result = pykamal(project, sandbox, "server", "exec", "echo alive")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines().count("alive") == 1
    assert f"{second}:2: could not connect to root@{second}:2: connection refused" in result.stderr
