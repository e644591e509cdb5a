"""SIGINT and SIGTERM at several points of a deploy: no lock left, no half-booted container serving.

Each case interrupts a deploy of a new version at one point (found in pykamal's output), then
checks what the user saw (exit status 130 / 143, the lock released, no traceback) and what the
hosts serve: every web host answers through kamal-proxy from the old version's running container,
because boots in flight are stopped on their hosts and finished ones switched back, and that stays
so afterwards: no remote step of the interrupted deploy carries on without the lock. Then the
same version is deployed again and must settle everywhere.
"""

from __future__ import annotations

import signal
import time

import pytest
from reliability_project import Project, http_get, signal_name

pytestmark = pytest.mark.integration

BOOT_DELAY = 3  # the web app answers its health check 3 s after it starts: a window to interrupt in

# (name, line of pykamal's output to wait for, extra delay before the signal)
POINTS = [
    ("pulling", "Pull app image...", 0.0),
    ("probing", "Acquiring the deploy lock...", 0.2),
    ("health-wait", "Booting hello-web-", 1.0),
    ("booting-worker", "Booting hello-worker-", 0.0),
]
CASES = [(signum, point) for point in POINTS for signum in (signal.SIGINT, signal.SIGTERM)]


def assert_only_healthy_containers_serve(project: Project, versions: tuple[str, str], output: str) -> None:
    """Each web host answers, through kamal-proxy, from a running container that passed its health
    check (the proxy switches only then), of the old or the new version."""
    for host in project.web:
        status, body = http_get(host)
        assert status == 200, (host, body, output)
        assert body.strip() in versions, (host, body)
        assert project.proxy_target(host) == f"hello-web-{body.strip()}", host
        assert http_get(host, "/up")[0] == 200, host


@pytest.fixture(scope="module")
def deployed(sandbox, base_image, tmp_path_factory):  # type: ignore[no-untyped-def]
    from reliability_project import make_project

    sandbox.reset_hosts()
    project = make_project(tmp_path_factory.mktemp("interrupts"), sandbox, boot_delay=BOOT_DELAY)
    project.deploy("int-0")
    project.assert_settled("int-0")
    return {"project": project, "version": "int-0"}


@pytest.mark.parametrize(("signum", "point"), CASES, ids=[f"{signal_name(s)}-{p[0]}" for s, p in CASES])
def test_interrupted_deploy_leaves_no_lock_and_serves_only_healthy_containers(
    deployed: dict[str, object], signum: int, point: tuple[str, str, float]
) -> None:
    project: Project = deployed["project"]  # type: ignore[assignment]
    old: str = deployed["version"]  # type: ignore[assignment]
    name, marker, delay = point
    new = f"int-{signal_name(signum).lower()}-{name}"

    running = project.start_deploy(new)
    running.wait_for(marker)
    time.sleep(delay)
    running.signal(signum)
    code = running.wait(timeout=120)
    output = running.output

    expected = 130 if signum == signal.SIGINT else 143
    assert code == expected, output
    assert ("Interrupted" if signum == signal.SIGINT else "Terminated") in output
    assert "Traceback" not in output
    assert not project.lock_present(), output

    assert_only_healthy_containers_serve(project, (old,), output)
    # and still so once anything the interrupted deploy had started on a host would have run its course
    time.sleep(BOOT_DELAY + 2)
    assert not project.lock_present()
    assert_only_healthy_containers_serve(project, (old,), output)
    assert all(project.running_versions(host, "web") == [old] for host in project.web), output

    project.deploy(new)
    project.assert_settled(new)
    deployed["version"] = new


def test_interrupted_boot_does_not_switch_traffic_after_pykamal_exits(deployed: dict[str, object]) -> None:
    project: Project = deployed["project"]  # type: ignore[assignment]
    old: str = deployed["version"]  # type: ignore[assignment]
    new = "int-after-exit"
    running = project.start_deploy(new)
    running.wait_for("Booting hello-web-")
    time.sleep(1.0)  # the new container is up, kamal-proxy waits for its health check
    running.signal(signal.SIGINT)
    assert running.wait(timeout=120) == 130
    output = running.output
    try:
        assert "Interrupted while booting; stopping the boot on" in output
        for host in project.web:
            assert f"Stopped the boot on {host} (web), back on version {old}" in output
        before = {host: http_get(host) for host in project.web}
        assert all(status == 200 and body.strip() == old for status, body in before.values()), before
        time.sleep(BOOT_DELAY + 2)  # the new container would be healthy by now, had its boot gone on
        assert {host: http_get(host) for host in project.web} == before
        assert all(project.running_versions(host, "web") == [old] for host in project.web)
        assert not project.lock_present()
    finally:
        project.deploy(new)
        project.assert_settled(new)
        deployed["version"] = new
