"""Release commands in the deploy flow, on a recording executor: order, failure, timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_flow_helpers import CONFIG, SECRET, Project, host_state, printed, scripted
from flow_runs import go, index_of

from pykamal.flows import deploy
from pykamal.flows.release import ReleaseFailed

RUNNING_V1 = {
    "h1": host_state([("app-web-v1", "web", "running", "v1")], latest="v1"),
    "h2": host_state(
        [("app-worker-v1", "worker", "running", "v1"), ("app-web-v1", "web", "running", "v1")], latest="v1"
    ),
    "h3": host_state([("app-worker-v1", "worker", "running", "v1")], proxy=None, latest="v1"),
}
RELEASE = "x-pykamal:\n  release:\n    cmd: bin/rails db:migrate\n    role: worker\n    timeout: 1\n"


@pytest.fixture
def project(project_dir: Path) -> Project:
    return Project(project_dir, CONFIG + RELEASE)


def test_release_runs_once_on_the_role_primary_host_before_any_boot(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))

    releases = executor.hosts_for(r"--name app-worker-exec-v2-release")
    assert releases == ["h2"]  # the worker role's first host
    h2 = executor.commands("h2")
    release = index_of(h2, "app-worker-exec-v2-release")
    assert release < index_of(h2, "docker run --detach --restart unless-stopped --name app-web-v2")
    assert "--env-file .kamal/apps/app/env/roles/worker.env" in h2[release]
    assert h2[release].endswith("registry.example.test/team/app:v2 bin/rails db:migrate")
    # the env file went up first, as a file (secrets never on a command line)
    upload = executor.uploads("h2")[0]
    assert upload.path == ".kamal/apps/app/env/roles/worker.env" and upload.mode == 0o600
    assert SECRET.encode() in (upload.data or b"")
    assert not any(SECRET in command for command in executor.commands())
    h1 = executor.commands("h1")
    assert index_of(h1, "mkdir .kamal/lock-app") < index_of(h1, "rm -r .kamal/lock-app")


def test_failing_release_stops_the_deploy_before_any_boot_and_unlocks(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(r"exec-v2-release", exit_status=2, stdout="Migrating\nPG::UndefinedTable: no such table")
    with pytest.raises(ReleaseFailed) as error:
        go(deploy.deploy(run, skip_push=True))
    message = str(error.value)
    assert "\n" not in message
    assert "Release command 'bin/rails db:migrate' failed on h2 (exit status 2)" in message
    assert "PG::UndefinedTable" in message
    assert not any("--name app-web-v2" in c or "--name app-worker-v2" in c for c in executor.commands())
    assert executor.commands("h1")[-1].startswith("rm .kamal/lock-app")


def test_release_past_its_timeout_is_removed_on_the_host(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(r"--rm --name app-worker-exec-v2-release", delay=30)
    with pytest.raises(ReleaseFailed) as error:
        go(deploy.deploy(run, skip_push=True))
    assert "(timed out after 1 s)" in str(error.value)
    assert "docker rm --force app-worker-exec-v2-release" in executor.commands("h2")


def test_skip_release_and_rollback_run_no_release(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True, skip_release=True))
    assert not executor.hosts_for("exec-v2-release")

    rollback = project.run(roles="web", version="unused", command="rollback")
    executor = scripted(rollback.executor, RUNNING_V1)  # type: ignore[arg-type]
    history = "/app-web-v2 2030-01-01T10:00:00.0Z 0001-01-01T00:00:00Z true\n" + (
        "/app-web-v1 2029-12-31T09:00:00.0Z 2030-01-01T10:00:02.0Z false\n"
    )
    executor.respond(r"xargs -r docker inspect", stdout=history)
    go(deploy.rollback(rollback, "v1"))
    assert any("--name app-web-v1 " in c for c in executor.commands())
    assert not executor.hosts_for("release")
    assert "Release command 'bin/rails db:migrate' is not run by rollback" in printed(rollback)
