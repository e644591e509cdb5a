"""setup → deploy → failed deploys → rollback → remove on two sandbox hosts, under HTTP load.

The tests of this module run in order and share one project and the hosts' state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import (
    DB_PASSWORD,
    Load,
    containers,
    get,
    make_project,
    output,
    push_images,
    pykamal,
)

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hosts(sandbox: Sandbox) -> list[str]:
    return sandbox.hosts[:2]


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, hosts: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sandbox.reset_hosts()
    push_images(sandbox, {"v1": True, "v2": True, "v3": False, "v4": True})
    yield make_project(tmp_path_factory.mktemp("hello"), sandbox, hosts)
    sandbox.reset_hosts()


def served(hosts: list[str]) -> set[str]:
    return {get(host)[1] for host in hosts}


def test_setup_then_deploy_v2_under_load_drops_nothing(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    result = pykamal(project, sandbox, "setup", "-P", "--version", "v1")
    assert result.returncode == 0, output(result)
    assert served(hosts) == {"v1"}
    env_path = "/root/.kamal/apps/hello/env/roles/web.env"
    env_file = sandbox.run_on_host(hosts[0], f"stat -c %a {env_path} && cat {env_path}")
    assert env_file.stdout.split() == ["600", f"DB_PASSWORD={DB_PASSWORD}"]

    with Load(hosts) as load:
        time.sleep(0.5)
        result = pykamal(project, sandbox, "deploy", "-P", "--version", "v2")
        done = time.monotonic()
        time.sleep(0.5)
    assert result.returncode == 0, output(result)
    assert DB_PASSWORD not in output(result)
    assert load.failures == [], load.failures[:5]
    assert len(load.samples) > 20
    assert load.served_after_switch("v1", "v2") == []
    assert load.versions_after(done) == {"v2"}
    worker_host = hosts[-1]
    states = containers(sandbox, worker_host)
    assert states["hello-worker-v2"] == "running" and states["hello-worker-v1"] == "exited"
    assert states["hello-web-v2"] == "running" and states["hello-web-v1"] == "exited"
    assert "kamal-proxy" in containers(sandbox, hosts[0])


def test_broken_v3_fails_clearly_while_v2_keeps_serving(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    with Load(hosts) as load:
        result = pykamal(project, sandbox, "deploy", "-P", "--version", "v3")
    text = output(result)
    assert result.returncode != 0, text
    assert "Failed to boot web on" in text and "target failed to become healthy" in text
    assert "hello v3 serving on port 80" in text  # the container's logs
    assert load.failures == [] and load.versions_after(0) == {"v2"}
    assert served(hosts) == {"v2"}
    lock = sandbox.run_on_host(hosts[0], "test -e /root/.kamal/lock-hello && echo held || echo free")
    assert lock.stdout.strip() == "free"
    assert all(containers(sandbox, h)["hello-web-v3"] == "exited" for h in hosts)


def test_host_already_switched_is_switched_back_when_another_fails(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    first, broken = hosts
    with Load(hosts) as load:
        result = pykamal(
            project, sandbox, "deploy", "-P", "-c", "config/deploy.partial.yml", "--version", "v4"
        )
    text = output(result)
    assert result.returncode != 0, text
    assert f"Failed to boot web on {broken}" in text
    assert f"Switched {first} (web) back to version v2" in text
    assert load.failures == [], load.failures[:5]
    assert "v4" in {s.body for s in load.samples if s.host == first}  # it did switch before going back
    assert served(hosts) == {"v2"}
    assert containers(sandbox, first)["hello-web-v2"] == "running"
    assert containers(sandbox, first)["hello-web-v4"] == "exited"


def test_rollback_to_v1_and_back_to_the_previous_version(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    with Load(hosts) as load:
        result = pykamal(project, sandbox, "rollback", "v1")
    assert result.returncode == 0, output(result)
    assert load.failures == []
    assert served(hosts) == {"v1"}

    result = pykamal(project, sandbox, "rollback")
    assert result.returncode == 0, output(result)
    assert "Rolling back to v2" in output(result)
    assert served(hosts) == {"v2"}


def test_remove_leaves_nothing_of_the_app_or_the_proxy(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    result = pykamal(project, sandbox, "remove", "-y")
    assert result.returncode == 0, output(result)
    for host in hosts:
        assert containers(sandbox, host) == {}
        images = sandbox.run_on_host(host, "docker images --format '{{.Repository}}:{{.Tag}}'").stdout.split()
        assert not [i for i in images if "hello" in i or "kamal-proxy" in i], images
        left = sandbox.run_on_host(host, "ls -A /root/.kamal; ls /root/.kamal/apps /root/.kamal/proxy 2>&1")
        assert "hello-audit.log" in left.stdout  # the audit trail stays, as with Kamal
        assert "lock-hello" not in left.stdout
        assert left.stdout.count("No such file or directory") == 2, left.stdout
