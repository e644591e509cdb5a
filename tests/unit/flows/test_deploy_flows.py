"""Orchestration of deploy, redeploy and rollback, checked on a recording executor."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from deploy_flow_helpers import REGISTRY_PASSWORD, SECRET, Project, host_state, printed, scripted
from flow_runs import go, index_of

from pykamal.errors import PykamalError, RemoteError, UsageError
from pykamal.flows import deploy
from pykamal.flows.context import Run
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.result import HostError

RUNNING_V1 = {
    "h1": host_state([("app-web-v1", "web", "running", "v1")], latest="v1"),
    "h2": host_state(
        [
            ("app-worker-v1", "worker", "running", "v1"),
            ("app-web-v1", "web", "running", "v1"),
            ("app-worker-v0", "worker", "running", "v0"),
        ],
        latest="v1",
    ),
    "h3": host_state([("app-worker-v1", "worker", "running", "v1")], proxy=None, latest="v1"),
}


@pytest.fixture
def project(project_dir: Path) -> Project:
    return Project(project_dir)


def test_deploy_runs_kamals_steps_in_order_with_few_commands_per_host(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))

    h1 = executor.commands("h1")
    order = [
        index_of(h1, "docker pull registry.example.test/team/app:v2"),
        index_of(h1, "mkdir .kamal/lock-app"),
        index_of(h1, "@pykamal container"),
        index_of(h1, "docker run --detach --restart unless-stopped --name app-web-v2"),
        index_of(h1, "docker tag registry.example.test/team/app:v2 registry.example.test/team/app:latest"),
        index_of(h1, "rm -r .kamal/lock-app"),
    ]
    assert order == sorted(order)
    # reads: one command; the boot: one command; tag+prune: one command (besides pull and lock)
    after_lock = h1[index_of(h1, "mkdir .kamal/lock-app") + 1 :]
    assert len(after_lock) == 4, after_lock
    boot = next(c for c in after_lock if "docker run" in c)
    assert 'kamal-proxy deploy app-web --target="${id}:3000"' in boot
    assert boot.index("kamal-proxy deploy") < boot.index("docker stop app-web-v1")  # the old one, once live
    assert "Booted app version v2" in boot
    final = after_lock[-2]
    assert "Pruned containers" in final and "docker image prune --force --filter label=service=app" in final
    # no proxy command: it is running and recent
    assert not any("kamal-proxy:v0.9.2" in c or "docker container start kamal-proxy" in c for c in h1)


def test_secrets_go_through_stdin_never_on_a_line_nor_in_output(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))
    boots = [c for c in executor.calls if c.kind == "run" and "docker run --detach" in c.display]
    assert len(boots) == 4  # web on h1, h2; worker on h2, h3
    for call in boots:
        assert SECRET not in call.shell
        assert call.stdin == f"DB_PASSWORD={SECRET}\n"
        assert "(umask 077 && cat > .kamal/apps/app/env/roles/" in call.shell
        assert "chmod 600" in call.shell
    everything = "\n".join(c.shell for c in executor.calls if c.kind == "run") + printed(run)
    assert SECRET not in everything and REGISTRY_PASSWORD not in everything


def test_worker_waits_for_the_first_healthy_web_container_then_polls_readiness(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(r"docker run .*--name app-web-v2", delay=0.05)
    go(deploy.deploy(run, skip_push=True))
    runs = [
        (c.host, c.display) for c in executor.calls if c.kind == "run" and "docker run --detach" in c.display
    ]
    first_web = next(i for i, (_, d) in enumerate(runs) if "app-web-v2" in d)
    workers = [i for i, (_, d) in enumerate(runs) if "app-worker-v2" in d]
    assert all(i > first_web for i in workers)
    worker = next(d for h, d in runs if h == "h2" and "app-worker-v2" in d)
    assert "kamal-proxy deploy" not in worker
    assert "sleep 2" in worker and "container not ready after 9 seconds" in worker
    assert "docker stop -t 4" in worker  # old worker stopped with the drain timeout
    assert "app-worker-v0" in worker  # the stale one stopped first
    log = printed(run)
    assert "Waiting for the first healthy web container before booting worker" in log


def test_first_web_failure_halts_other_roles_and_reports_logs(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(
        r"kamal-proxy deploy app-web",
        exit_status=1,
        stderr="Error: target failed to become healthy within configured timeout (9s)",
    )
    executor.respond(r"xargs docker logs", stdout="booting\nfailed to bind\n@pykamal-health-log\nnull\n")
    with pytest.raises(RemoteError) as error:
        go(deploy.deploy(run, skip_push=True))
    message = str(error.value)
    assert "Failed to boot web on h1: Error: target failed to become healthy" in message
    assert not any("--name app-worker-v2" in c for c in executor.commands())
    assert not executor.hosts_for(r"docker tag ")
    assert "rm -r .kamal/lock-app" in executor.commands("h1")[-1]  # lock released
    log = printed(run)
    assert "failed to bind" in log and "First web container is unhealthy" in log


def test_hosts_already_switched_are_switched_back_when_another_fails(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(
        r"kamal-proxy deploy app-web", host="h2", exit_status=1, stderr="Error: unhealthy", delay=0.05
    )
    with pytest.raises(RemoteError) as error:
        go(deploy.deploy(run, skip_push=True))
    h1 = executor.commands("h1")
    back = h1[index_of(h1, "docker start app-web-v1")]
    assert "Switching back to version v1" in back
    assert 'kamal-proxy deploy app-web --target="${id}:3000"' in back
    assert back.index("kamal-proxy deploy") < back.index("docker stop app-web-v2")
    assert not any("docker start app-web-v1" in c for c in executor.commands("h2"))
    assert "Switched h1 (web) back to version v1" in str(error.value)
    assert not executor.hosts_for(r"docker tag ")


def interrupt_when(run: Run, executor: RecordingExecutor, pattern: str, host: str) -> None:
    """Run a deploy and cancel it (as Ctrl-C does) once ``pattern`` was sent to ``host``."""

    async def main() -> None:
        task = asyncio.ensure_future(deploy.deploy(run, skip_push=True))
        while host not in executor.hosts_for(pattern):
            await asyncio.sleep(0.005)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        go(main())


def test_an_interrupt_stops_the_boots_in_flight_and_switches_the_finished_ones_back(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(r"kamal-proxy deploy app-web", host="h2", delay=30, times=1)  # h2's boot hangs

    interrupt_when(run, executor, r"kamal-proxy deploy app-web", "h2")

    h1, h2 = executor.commands("h1"), executor.commands("h2")
    boot = h2[index_of(h2, "--name app-web-v2")]
    marker = re.search(r"ln -s \$\$ (\S+)", boot)
    assert marker, boot
    undo = h2[index_of(h2, "Abandoned the unfinished boot of app version v2")]
    assert undo.index(f"ln -s abandoned {marker.group(1)}") < undo.index("docker start app-web-v1")
    assert undo.index("docker start app-web-v1") < undo.index("docker stop app-web-v2")
    assert undo.count("kamal-proxy deploy app-web") == 2  # before and after stopping the new container
    assert undo.rindex("kamal-proxy deploy app-web") > undo.index("docker stop app-web-v2")
    assert "Switching back to version v1" in h1[index_of(h1, "docker start app-web-v1")]  # h1 had switched
    assert not executor.hosts_for(r"docker tag ")
    assert "rm -r .kamal/lock-app" in executor.commands("h1")[-1]  # the lock released after the undo
    log = printed(run)
    assert "Stopped the boot on h2 (web), back on version v1" in log
    assert "Switched h1 (web) back to version v1" in log
    assert "unhealthy" not in log


def test_an_interrupt_before_any_boot_finished_touches_only_the_hosts_in_flight(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(r"kamal-proxy deploy app-web", delay=30, times=2)

    interrupt_when(run, executor, r"kamal-proxy deploy app-web", "h2")

    assert sorted(executor.hosts_for("Abandoned the unfinished boot of app version v2")) == ["h1", "h2"]
    assert not executor.hosts_for("Switching back to version v1")


def test_an_interrupted_first_boot_stops_the_new_container(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, {"h1": host_state(), "h2": host_state()})  # type: ignore[arg-type]
    executor.respond(r"kamal-proxy deploy app-web", delay=30)

    interrupt_when(run, executor, r"kamal-proxy deploy app-web", "h1")

    undo = executor.commands("h1")[index_of(executor.commands("h1"), "Abandoned the unfinished boot")]
    assert "docker stop app-web-v2" in undo
    assert "docker start" not in undo and "kamal-proxy deploy" not in undo
    assert "Stopped the boot on h1 (web) and its new container" in printed(run)


def test_a_boot_whose_connection_broke_is_stopped_on_its_host(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    lost = HostError("h2", "lost the connection while running `...`: connection reset")
    executor.respond(r"--name app-web-v2", host="h2", raises=lost, times=1, delay=0.05)

    with pytest.raises(RemoteError) as error:
        go(deploy.deploy(run, skip_push=True))

    h2 = executor.commands("h2")
    undo = h2[index_of(h2, "Abandoned the unfinished boot of app version v2")]
    assert "docker start app-web-v1" in undo and "docker stop app-web-v2" in undo
    assert "Stopped the boot on h2 (web), back on version v1" in str(error.value)
    assert "Switched h1 (web) back to version v1" in str(error.value)
    assert "rm -r .kamal/lock-app" in executor.commands("h1")[-1]


def test_a_host_that_cannot_be_reached_to_stop_its_boot_is_named(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    lost = HostError("h2", "lost the connection while running `...`: connection reset")
    executor.respond(r"--name app-web-v2", host="h2", raises=lost, times=1)
    unreachable = HostError("h2", "could not connect to root@h2:22: connection refused")
    executor.respond(r"Abandoned the unfinished boot", host="h2", raises=unreachable)

    with pytest.raises(RemoteError) as error:
        go(deploy.deploy(run, skip_push=True))

    assert "Could not stop the boot on h2 (web): could not connect" in str(error.value)


def test_no_rollback_keeps_kamals_behaviour(project: Project) -> None:
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(
        r"kamal-proxy deploy app-web", host="h2", exit_status=1, stderr="Error: unhealthy", delay=0.05
    )
    with pytest.raises(RemoteError) as error:
        go(deploy.deploy(run, skip_push=True, rollback_on_failure=False))
    assert not executor.hosts_for(r"docker start app-web-v1")
    assert "Still on version v2 (--no-rollback): h1 (web)" in str(error.value)


def test_proxy_is_started_or_run_only_where_needed(project: Project) -> None:
    states = dict(RUNNING_V1)
    states["h1"] = host_state(proxy="basecamp/kamal-proxy:v0.9.2 false")
    states["h2"] = host_state(proxy=None)
    run = project.run()
    executor = scripted(run.executor, states)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))
    assert executor.hosts_for(r"^docker container start kamal-proxy$") == ["h1"]
    runs = [c for c in executor.calls if "xargs docker run --name kamal-proxy" in c.display]
    assert [c.host for c in runs] == ["h2"]
    assert runs[0].display.startswith("docker login registry.example.test -u [REDACTED] --password-stdin && ")
    assert runs[0].stdin == REGISTRY_PASSWORD
    assert not any("kamal-proxy" in c for c in executor.commands("h3"))  # not a proxy host


def test_an_old_proxy_stops_the_deploy(project: Project) -> None:
    states = dict(RUNNING_V1)
    states["h1"] = host_state(proxy="basecamp/kamal-proxy:v0.8.7 true")
    run = project.run()
    scripted(run.executor, states)  # type: ignore[arg-type]
    with pytest.raises(RemoteError, match=r"kamal-proxy version v0.8.7 is too old on h1"):
        go(deploy.deploy(run, skip_push=True))


def test_hooks_run_in_order_with_kamals_environment(project: Project) -> None:
    project.add_hooks("pre-connect", "pre-deploy", "pre-app-boot", "post-app-boot", "post-deploy")
    run = project.run()
    scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))
    runs = project.hook_runs()
    assert [name for name, _ in runs] == [
        "pre-connect",
        "pre-deploy",
        "pre-app-boot",
        "post-app-boot",
        "post-deploy",
    ]
    env = dict(runs)
    assert env["pre-deploy"]["KAMAL_LOCK"] == "true" and env["post-deploy"]["KAMAL_LOCK"] == "false"
    assert env["pre-deploy"]["DB_PASSWORD"] == SECRET and env["post-deploy"]["DB_PASSWORD"] == SECRET
    assert "DB_PASSWORD" not in env["pre-app-boot"]
    assert env["pre-app-boot"]["KAMAL_HOSTS"] == "h1,h2,h3"
    assert env["post-deploy"]["KAMAL_RUNTIME"].isdigit()
    assert env["pre-deploy"]["KAMAL_COMMAND"] == "deploy"
    assert env["pre-deploy"]["KAMAL_VERSION"] == "v2" and env["pre-deploy"]["KAMAL_SERVICE"] == "app"


COUNTING_PASSWORD_MANAGER = """#!/bin/sh
echo "$*" >> "{calls}"
printf '%s\\n' "{value}"
"""


def test_a_deploy_asks_the_password_manager_once(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a password manager on PATH that counts its calls, read through $(...) in .kamal/secrets
    bin_dir, calls = tmp_path / "bin", tmp_path / "password-manager-calls"
    bin_dir.mkdir()
    manager = bin_dir / "counting-pm"
    manager.write_text(COUNTING_PASSWORD_MANAGER.format(calls=calls, value=SECRET))
    manager.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (project.root / ".kamal" / "secrets").write_text(
        f"KAMAL_REGISTRY_PASSWORD={REGISTRY_PASSWORD}\nDB_PASSWORD=$(counting-pm get db)\n"
    )
    project.add_hooks("pre-connect", "pre-deploy", "post-deploy")  # each gets the secrets
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))
    runs = dict(project.hook_runs())
    assert sorted(runs) == ["post-deploy", "pre-connect", "pre-deploy"]
    assert all(env["DB_PASSWORD"] == SECRET for env in runs.values())
    boots = [c for c in executor.calls if c.kind == "run" and "docker run --detach" in c.display]
    assert len(boots) == 4 and all(call.stdin == f"DB_PASSWORD={SECRET}\n" for call in boots)
    assert calls.read_text().splitlines() == ["get db"]


def test_boot_limit_makes_groups_with_their_own_hooks(tmp_path: Path) -> None:
    from deploy_flow_helpers import CONFIG

    project = Project(tmp_path, CONFIG + "boot:\n  limit: 2\n")
    project.add_hooks("pre-app-boot", "post-app-boot")
    run = project.run()
    scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))
    groups = [(name, env["KAMAL_HOSTS"]) for name, env in project.hook_runs()]
    assert groups == [
        ("pre-app-boot", "h1,h2"),
        ("post-app-boot", "h1,h2"),
        ("pre-app-boot", "h3"),
        ("post-app-boot", "h3"),
    ]


def test_redeploy_skips_proxy_and_prune(project: Project) -> None:
    run = project.run(command="redeploy")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True, redeploy=True))
    everything = "\n".join(executor.commands())
    assert "kamal-proxy --format" not in everything and "network create" not in everything
    assert "Pruned" not in everything
    assert "docker tag" in everything


def test_redeploying_a_running_version_renames_it_and_stops_the_renamed_one(project: Project) -> None:
    states = {"h1": host_state([("app-web-v2", "web", "running", "v2")], latest="v2")}
    run = project.run(hosts="h1", roles="web")
    executor = scripted(run.executor, states)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True, redeploy=True))
    boot = next(c for c in executor.commands("h1") if "docker run --detach" in c)
    renamed = boot.split("docker rename app-web-v2 app-web-", 1)[1].split()[0]
    assert renamed.startswith("v2_replaced_") and len(renamed) == len("v2_replaced_") + 16
    assert f"docker stop app-web-{renamed}" in boot.split("kamal-proxy deploy", 1)[1]


def test_plan_runs_nothing_and_prints_every_command_per_host(project: Project) -> None:
    from pykamal.flows.plan import print_plan

    run = project.run()
    run.plan = True
    go(deploy.deploy(run, skip_push=True))
    print_plan(run)
    out = printed(run)
    for host in ("h1", "h2", "h3"):
        assert f"Host {host}:" in out
    assert "docker run --detach --restart unless-stopped --name app-worker-v2" in out
    assert "Plan only: nothing was run on any host" in out


def test_rollback_picks_the_version_switched_away_from(project: Project) -> None:
    history = {
        # failed v3 stopped long after v2 went live; v1 stopped right after v2 started
        "h1": (
            "/app-web-v3 2030-01-01T10:05:00.0Z 2030-01-01T10:05:30.0Z false\n"
            "/app-web-v2 2030-01-01T10:00:00.0Z 0001-01-01T00:00:00Z true\n"
            "/app-web-v1 2029-12-31T09:00:00.0Z 2030-01-01T10:00:02.0Z false\n"
        ),
        "h2": (
            "/app-web-v3 2030-01-01T10:05:00.0Z 2030-01-01T10:05:31.0Z false\n"
            "/app-web-v2 2030-01-01T10:00:00.0Z 0001-01-01T00:00:00Z true\n"
            "/app-web-v1 2029-12-31T09:00:00.0Z 2030-01-01T10:00:03.0Z false\n"
        ),
    }
    run = project.run(roles="web", version="unused", command="rollback")
    executor = run.executor
    for host, text in history.items():
        executor.respond(r"xargs -r docker inspect", host=host, stdout=text)  # type: ignore[attr-defined]
    go(deploy.rollback(run))
    boots = [c for c in executor.commands() if "docker run --detach" in c]  # type: ignore[attr-defined]
    assert len(boots) == 2 and all("--name app-web-v1 " in c for c in boots)
    assert "Rolling back to v1" in printed(run)


def test_rollback_to_a_version_missing_somewhere_is_refused(project: Project) -> None:
    run = project.run(roles="web", command="rollback")
    run.executor.respond(  # type: ignore[attr-defined]
        r"xargs -r docker inspect",
        host="h1",
        stdout="/app-web-v1 2030-01-01T10:00:00Z 2030-01-01T10:00:00Z false\n",
    )
    with pytest.raises(PykamalError, match="The app version 'v1' is not available as a container"):
        go(deploy.rollback(run, "v1"))
    assert not any("docker run" in c for c in run.executor.commands())  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", ["v1;touch /tmp/x", "-v1", "v" * 129, "$(id)", ""])
def test_rollback_to_a_version_no_tag_can_name_is_refused_before_any_host_is_asked(
    project: Project, version: str
) -> None:
    run = project.run(roles="web", command="rollback")
    with pytest.raises(UsageError, match=r"^rollback VERSION: .* is not a valid image tag"):
        go(deploy.rollback(run, version))
    assert run.executor.commands() == []  # type: ignore[attr-defined]


def test_deploy_lock_held_elsewhere_stops_before_anything_changes(project: Project) -> None:
    from pykamal.errors import LockError

    run = project.run()
    executor: RecordingExecutor = run.executor  # type: ignore[assignment]
    executor.respond(
        r"^mkdir .kamal/lock-app", exit_status=1, stderr="mkdir: cannot create directory: File exists"
    )
    with pytest.raises(LockError):
        go(deploy.deploy(run, skip_push=True))
    assert not executor.hosts_for(r"docker run")


def test_plan_from_the_cli_opens_no_connection(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pykamal.cli import run as cli_run
    from pykamal.remote import runtime

    def no_ssh(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a plan must not create an SSH executor")

    monkeypatch.setattr(runtime, "ssh_executor", no_ssh)
    monkeypatch.chdir(project.root)
    assert cli_run(["deploy", "--plan", "--version", "v9"]) == 0
    out = capsys.readouterr().out
    assert "Host h1:" in out and "Host h3:" in out
    assert "--name app-web-v9" in out and "docker pull registry.example.test/team/app:v9" in out
    assert "is not built" in out
