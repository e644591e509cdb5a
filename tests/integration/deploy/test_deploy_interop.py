"""Kamal and pykamal take turns on the same hosts: kamal v1 → pykamal v2 → kamal v3, under load."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from deploy_helpers import Load, containers, get, kamal, make_project, output, push_images, pykamal

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration


def test_kamal_then_pykamal_then_kamal_with_no_failed_request(sandbox: Sandbox, tmp_path: Path) -> None:
    hosts = sandbox.hosts[:2]
    sandbox.reset_hosts()
    try:
        push_images(sandbox, {"k1": True, "k2": True, "k3": True})
        project = make_project(tmp_path / "hello", sandbox, hosts)

        result = kamal(project, sandbox, "deploy", "-P", "--version", "k1")
        assert result.returncode == 0, output(result)
        assert {get(h)[1] for h in hosts} == {"k1"}

        with Load(hosts) as load:
            time.sleep(0.3)
            result = pykamal(project, sandbox, "deploy", "-P", "--version", "k2")
            assert result.returncode == 0, output(result)
            after_pykamal = time.monotonic()
            time.sleep(0.3)
            result = kamal(project, sandbox, "deploy", "-P", "--version", "k3")
            assert result.returncode == 0, output(result)
            after_kamal = time.monotonic()
            time.sleep(0.3)
        assert load.failures == [], load.failures[:5]
        assert load.served_after_switch("k1", "k2") == [] and load.served_after_switch("k2", "k3") == []
        assert {s.body for s in load.samples if after_pykamal <= s.at < after_kamal} <= {"k2", "k3"}
        assert load.versions_after(after_kamal) == {"k3"}
        states = containers(sandbox, hosts[-1])
        assert states["hello-worker-k3"] == "running"
        assert states["hello-worker-k2"] == "exited" and states["hello-worker-k1"] == "exited"
        # Kamal found pykamal's container as the current one and stopped it; same names, labels, files
        log = sandbox.run_on_host(hosts[0], "cat /root/.kamal/hello-audit.log").stdout
        assert "Booted app version k2" in log and "Booted app version k3" in log
    finally:
        sandbox.reset_hosts()
