"""Ten deploys in a row while requests keep coming: not one request may fail."""

from __future__ import annotations

import pytest
from reliability_project import Load, Project

pytestmark = pytest.mark.integration

DEPLOYS = 10


def test_ten_consecutive_deploys_under_continuous_load_drop_no_request(project: Project) -> None:
    project.write(boot_delay=1)  # the proxy really waits for each new container's health check
    project.deploy("load-0")
    project.assert_settled("load-0")

    with Load(project.web) as load:
        for number in range(1, DEPLOYS + 1):
            result = project.deploy(f"load-{number}")
            assert "ERROR" not in result.stdout + result.stderr
            project.assert_serving(f"load-{number}")
    print(f"requests: {dict(load.statuses)}; versions served: {dict(load.versions)}")

    assert load.failures == [], f"{len(load.failures)} failed requests of {load.total}: {load.failures[:10]}"
    assert load.total >= 100 * DEPLOYS // 10  # the load really ran through the deploys
    assert set(load.versions) <= {f"load-{n}" for n in range(DEPLOYS + 1)}
    assert len(load.versions) >= DEPLOYS  # traffic moved along with the deploys
    project.assert_settled(f"load-{DEPLOYS}")
    # stopped containers are pruned to Kamal's five most recent ones per host
    for host in project.sandbox.hosts:
        stopped = [s for s in project.containers(host, all_states=True).values() if not s.startswith("Up")]
        assert len(stopped) <= 5, (host, stopped)
