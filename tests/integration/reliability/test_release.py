"""Release commands (x-pykamal.release) on real hosts: once per deploy, before any boot or switch."""

from __future__ import annotations

import subprocess

import pytest
from reliability_project import SERVICE, Load, Project, http_get

pytestmark = pytest.mark.integration

# Appends the new version to /data/migrations and makes it the schema, as a migration would.
MIGRATE = (
    "sh -c 'echo migrating to $KAMAL_VERSION; echo $KAMAL_VERSION >> /data/migrations; "
    "echo $KAMAL_VERSION > /data/schema'"
)
VOLUME = "volumes:\n  - hello-data:/data\n"


def release(cmd: str, timeout: int = 60) -> str:
    escaped = cmd.replace('"', '\\"')
    return VOLUME + f'x-pykamal:\n  release:\n    cmd: "{escaped}"\n    timeout: {timeout}\n'


def volume_file(project: Project, host: str, name: str) -> str:
    result = project.sandbox.run_on_host(
        host, f"cat $(docker volume inspect hello-data --format '{{{{.Mountpoint}}}}')/{name} 2>/dev/null"
    )
    return result.stdout


def kamal_accepts(project: Project) -> None:
    """The reference Kamal reads the same file (it skips x- keys)."""
    result = subprocess.run(
        ["kamal", "config", "--version", "check"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_migrates_once_per_deploy_before_the_new_version_boots(project: Project) -> None:
    project.write(extra=release(MIGRATE))
    kamal_accepts(project)
    first = project.deploy("rel-1")
    assert "migrating to rel-1" in first.stdout
    project.assert_settled("rel-1")

    with Load(project.web) as load:
        second = project.deploy("rel-2")
    print(f"requests: {dict(load.statuses)}; versions served: {dict(load.versions)}")
    assert load.failures == [], load.failures[:10]
    assert set(load.versions) <= {"rel-1", "rel-2"}
    project.assert_settled("rel-2")

    # once per deploy, on the release role's primary host only
    assert volume_file(project, project.primary, "migrations").split() == ["rel-1", "rel-2"]
    assert volume_file(project, project.web[1], "migrations") == ""
    # the new container booted after the migration: it saw the migrated schema
    assert http_get(project.primary, "/schema") == (200, "rel-2\n")
    output = second.stdout
    assert output.index("Run release command") < output.index("Start container with version rel-2")
    # no release container is left behind
    leftover = project.sandbox.run_on_host(project.primary, "docker ps -a --format '{{.Names}}'").stdout
    assert "-release" not in leftover

    # redeploy runs it again; rollback does not (and says so)
    project.pykamal("redeploy", "--skip-push", "--version", "rel-2")
    assert volume_file(project, project.primary, "migrations").split() == ["rel-1", "rel-2", "rel-2"]
    rolled = project.pykamal("rollback", "rel-1")
    assert "is not run by rollback" in rolled.stdout
    assert volume_file(project, project.primary, "migrations").split() == ["rel-1", "rel-2", "rel-2"]
    project.assert_serving("rel-1")

    # --skip-release, and `pykamal release` alone for the running version
    project.deploy("rel-3", "--skip-release")
    assert volume_file(project, project.primary, "migrations").split() == ["rel-1", "rel-2", "rel-2"]
    project.pykamal("release")
    assert volume_file(project, project.primary, "migrations").split()[-1] == "rel-3"


def test_failing_release_leaves_the_old_version_serving_under_load(project: Project) -> None:
    project.write(extra=release(MIGRATE))
    project.deploy("ok-1")
    project.write(extra=release("sh -c 'echo step one; echo cannot migrate >&2; exit 3'"))

    with Load(project.web) as load:
        failed = project.deploy("bad-2", check=False)
    print(f"requests: {dict(load.statuses)}; versions served: {dict(load.versions)}")
    text = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert load.failures == [], load.failures[:10]
    assert load.total > 0 and set(load.versions) == {"ok-1"}
    error = [line for line in text.splitlines() if "ERROR" in line]
    assert error, text
    assert "Release command 'sh -c" in error[-1] and project.primary in error[-1], error
    assert "exit status 3" in error[-1] and "cannot migrate" in error[-1], error
    assert "Traceback" not in text
    project.assert_settled("ok-1")
    for host in project.sandbox.hosts:
        names = project.containers(host, all_states=True)
        assert not any("bad-2" in name and "release" not in name for name in names), (host, names)


def test_slow_release_is_stopped_at_its_timeout(project: Project) -> None:
    project.write(extra=release(MIGRATE))
    project.deploy("ok-1")
    project.write(extra=release("sh -c 'echo waiting; sleep 60'", timeout=3))

    failed = project.deploy("slow-2", check=False)
    text = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "timed out after 3 s" in text, text
    project.assert_settled("ok-1")
    running = project.sandbox.run_on_host(project.primary, "docker ps --format '{{.Names}}'").stdout
    assert f"{SERVICE}-web-exec-slow-2-release" not in running
