"""A host that stops answering in the middle of a deploy (its container is frozen with docker pause)."""

from __future__ import annotations

import subprocess
import time

import pytest
from reliability_project import Project, docker_host, http_get

pytestmark = pytest.mark.integration


def test_paused_host_mid_deploy_fails_naming_it_and_a_rerun_completes(project: Project) -> None:
    sandbox = project.sandbox
    healthy_web, stuck = project.web
    # OpenSSH keepalive settings from the ssh config: a silent host is given up after ~3 s
    project.write(ssh_config=project.keepalive_ssh_config(interval=1, count=3))
    project.deploy("pause-1")
    # the hook runs on this machine just before the containers boot: the host freezes mid-deploy
    project.hook("pre-app-boot", f"docker pause {sandbox.container(stuck)} >/dev/null\n")
    started = time.monotonic()
    try:
        result = project.deploy("pause-2", check=False, timeout=120)
        elapsed = time.monotonic() - started
        print(f"failed after {elapsed:.1f}s:\n{result.stdout}\n{result.stderr}")

        assert result.returncode == 1
        assert "Traceback" not in result.stdout + result.stderr
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and stuck in errors[0], result.stderr
        assert "connection" in errors[0].lower() and len(errors[0]) < 300, errors[0]
        assert elapsed < 60  # keepalives noticed the silent host; no hanging until a TCP timeout
        # the other hosts: switched back to the version they ran, lock released
        assert f"Switched {healthy_web} (web) back to version pause-1" in result.stdout + result.stderr
        assert http_get(healthy_web) == (200, "pause-1\n")
        assert project.proxy_target(healthy_web) == "hello-web-pause-1"
        assert project.running_versions(healthy_web, "web") == ["pause-1"]
        assert project.running_versions(project.worker[0], "worker") == ["pause-1"]
        assert not project.lock_present()
    finally:
        docker_host(sandbox, stuck, "unpause")

    (project.root / ".kamal" / "hooks" / "pre-app-boot").unlink()
    project.deploy("pause-2")
    project.assert_settled("pause-2")


def test_connection_cut_mid_boot_stops_that_boot_and_a_rerun_completes(project: Project) -> None:
    """sshd's session processes on one web host are killed while its new container is booting: the
    connection breaks but the boot command would go on there, so pykamal connects again, stops it
    and puts the old version back before releasing the lock."""
    sandbox = project.sandbox
    _, cut = project.web
    project.write(boot_delay=3)  # the new web container answers its health check 3 s after it starts
    project.deploy("cut-1")
    running = project.start_deploy("cut-2")
    running.wait_for(f"Booting hello-web-cut-2 on {cut}")
    time.sleep(1.0)  # the boot command runs on the host; kamal-proxy waits for the health check
    # the per-connection sshd processes, not the listener: new connections are still accepted
    killed = subprocess.run(
        ["docker", "exec", sandbox.container(cut), "pkill", "-f", "^sshd: root"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == 0, killed.stderr
    code = running.wait(timeout=120)
    output = running.output

    assert code == 1, output
    assert "Traceback" not in output
    assert cut in output and "connection" in output.lower(), output
    assert f"Stopped the boot on {cut} (web), back on version cut-1" in output
    time.sleep(5)  # the new container would be healthy by now, had its boot gone on
    for host in project.web:
        assert http_get(host) == (200, "cut-1\n"), (host, output)
        assert project.proxy_target(host) == "hello-web-cut-1", host
        assert project.running_versions(host, "web") == ["cut-1"], host
    assert project.running_versions(project.worker[0], "worker") == ["cut-1"]
    assert not project.lock_present()

    project.deploy("cut-2")
    project.assert_settled("cut-2")
