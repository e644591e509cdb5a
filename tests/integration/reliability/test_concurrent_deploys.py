"""Two deploys started at once: the second one is refused by the deploy lock."""

from __future__ import annotations

import pytest
from reliability_project import Project, tag_version

pytestmark = pytest.mark.integration


def test_second_deploy_is_refused_with_the_holders_message(project: Project) -> None:
    project.write(boot_delay=3)  # keeps the first deploy inside its lock for a few seconds
    project.deploy("both-0")
    tag_version(project.sandbox, "both-2")

    first = project.start_deploy("both-1")
    first.wait_for("Acquiring the deploy lock...")
    second = project.pykamal("deploy", "--skip-push", "--version", "both-2", check=False, timeout=120)
    assert first.wait(timeout=120) == 0, first.output

    out = second.stdout + second.stderr
    assert second.returncode == 1, out
    assert "Traceback" not in out
    errors = [line for line in second.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, second.stderr
    assert f"Deploy lock found on {project.primary}" in errors[0]
    assert "message: Automatic deploy lock" in errors[0]  # the holder's lock message
    assert "held by " in errors[0]
    assert "Version: both-1" in out  # the holder's lock details are printed too
    # the refused deploy changed nothing and did not remove the holder's lock
    assert "Releasing the deploy lock" not in second.stdout
    project.assert_settled("both-1")
    for host in project.sandbox.hosts:
        assert "both-2" not in " ".join(project.containers(host, all_states=True)), host
