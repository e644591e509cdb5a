"""A host whose disk is full, or whose Docker daemon is stopped: a clear error naming the host."""

from __future__ import annotations

import time

import pytest
from reliability_project import Project, http_get, wait_until

pytestmark = pytest.mark.integration

# a 256 KiB tmpfs mounted over the host's ~/.kamal, then filled: only that host container is affected
FILL_KAMAL_DIR = (
    "mkdir -p /tmp/kamal-saved && cp -a /root/.kamal/. /tmp/kamal-saved/ && "
    "mount -t tmpfs -o size=256k tmpfs /root/.kamal && cp -a /tmp/kamal-saved/. /root/.kamal/ && "
    "(dd if=/dev/zero of=/root/.kamal/filler bs=4k 2>/dev/null; true) && "
    "! sh -c 'echo x >> /root/.kamal/probe' 2>/dev/null"
)
FREE_KAMAL_DIR = "umount /root/.kamal && rm -rf /tmp/kamal-saved"


def final_error(stderr: str) -> str:
    """The one-line error pykamal ends with (earlier ERROR lines report a failed container's logs)."""
    errors = [line for line in stderr.splitlines() if line.startswith("  ERROR ")]
    assert errors, stderr
    assert len(errors[-1]) < 300, errors[-1]
    return errors[-1]


def test_full_disk_on_one_host_is_a_clear_error_and_the_others_stay_on_the_old_version(
    project: Project,
) -> None:
    sandbox = project.sandbox
    full = project.web[1]
    project.deploy("disk-1")
    filled = sandbox.run_on_host(full, FILL_KAMAL_DIR)
    assert filled.returncode == 0, filled.stderr
    try:
        result = project.deploy("disk-2", check=False)
        out = result.stdout + result.stderr
        assert result.returncode == 1, out
        assert "Traceback" not in out
        error = final_error(result.stderr)
        assert full in error and "No space left on device" in error, error
        assert not project.lock_present()
        # the host that had already switched is switched back: every host runs the old version only
        project.assert_serving("disk-1")
        for host in project.web:
            assert project.running_versions(host, "web") == ["disk-1"], host
    finally:
        assert sandbox.run_on_host(full, FREE_KAMAL_DIR).returncode == 0

    project.deploy("disk-2")
    project.assert_settled("disk-2")


def test_stopped_docker_daemon_on_one_host_is_a_clear_error(project: Project) -> None:
    sandbox = project.sandbox
    down = project.worker[0]
    project.deploy("dockerd-1")
    stopped = sandbox.run_on_host(
        down,
        "pkill -x dockerd; for i in $(seq 100); do pgrep -x dockerd >/dev/null || exit 0; sleep 0.1; done;"
        " exit 1",
    )
    assert stopped.returncode == 0, stopped.stderr
    try:
        started = time.monotonic()
        result = project.deploy("dockerd-2", check=False)
        out = result.stdout + result.stderr
        assert result.returncode == 1, out
        assert time.monotonic() - started < 60
        assert "Traceback" not in out
        error = final_error(result.stderr)
        assert down in error and "cannot connect to the Docker daemon (is it running?)" in error, error
        assert "docker login" not in error, error  # the login step failed, but not on the credentials
        assert not project.lock_present()
        for host in project.web:  # the web hosts were not touched
            assert http_get(host) == (200, "dockerd-1\n"), host
            assert project.running_versions(host, "web") == ["dockerd-1"], host
    finally:
        sandbox.run_on_host(down, "setsid dockerd >>/var/log/dockerd.log 2>&1 < /dev/null &")
        wait_until(
            lambda: sandbox.run_on_host(down, "docker info >/dev/null 2>&1").returncode == 0,
            60,
            f"dockerd on {down}",
        )

    project.deploy("dockerd-2")
    project.assert_settled("dockerd-2")
