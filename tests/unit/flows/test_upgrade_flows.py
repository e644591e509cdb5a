"""``upgrade`` and ``proxy upgrade`` on a recording executor: order per host group, hooks, questions."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_flow_helpers import Project, host_state, printed, scripted
from flow_runs import go

from pykamal.flows import upgrade

OLD_APP = [("app-web-k1", "web", "running", "k1"), ("app-worker-k1", "worker", "running", "k1")]


def states() -> dict[str, str]:
    return {host: host_state(OLD_APP, proxy=None, latest="k1") for host in ("h1", "h2", "h3")}


def first(commands: list[str], text: str) -> int:
    return next(i for i, c in enumerate(commands) if text in c)


def test_proxy_upgrade_removes_traefik_before_booting_proxy_and_app(tmp_path: Path) -> None:
    project = Project(tmp_path)
    run = project.run(command="proxy", subcommand="upgrade")
    executor = scripted(run.executor, states())  # type: ignore[arg-type]
    go(upgrade.proxy_upgrade(run, confirmed=True))
    for host in ("h1", "h2", "h3"):
        commands = executor.commands(host)
        traefik = first(commands, "docker container stop traefik")
        assert "label=org.opencontainers.image.title=Traefik" in commands[traefik]
        app_run = first(commands, "docker run --detach")
        if host == "h3":  # worker only: no kamal-proxy there
            assert not any("docker run --name kamal-proxy" in c for c in commands)
            continue
        proxy_run = first(commands, "docker run --name kamal-proxy")
        assert traefik < proxy_run < app_run, commands
        assert "team/app:v2" in commands[app_run]  # the version asked for (else latest: see integration)
        assert "docker stop app-web-k1" in commands[app_run]  # the Kamal 1 container gives way
        assert any("docker image prune" in c and "label=service=app" in c for c in commands[app_run:])


def test_rolling_upgrade_finishes_a_host_before_the_next_and_runs_hooks_per_host(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_hooks("pre-proxy-reboot", "post-proxy-reboot")
    run = project.run(command="upgrade")
    executor = scripted(run.executor, states())  # type: ignore[arg-type]
    go(upgrade.upgrade(run, rolling=True, confirmed=True))
    assert [(n, e["KAMAL_HOSTS"]) for n, e in project.hook_runs()] == [
        (name, host) for host in ("h1", "h2", "h3") for name in ("pre-proxy-reboot", "post-proxy-reboot")
    ]
    said = printed(run)
    assert said.index("Upgraded h1") < said.index("Upgrading h2...") < said.index("Upgraded h2")
    assert all(executor.commands(host) for host in ("h1", "h2", "h3"))


def test_upgrade_asks_first_and_does_nothing_on_no(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = Project(tmp_path).run(command="upgrade")
    executor = scripted(run.executor, states())  # type: ignore[arg-type]
    monkeypatch.setattr("click.prompt", lambda *args, **kwargs: "n")
    go(upgrade.upgrade(run))
    go(upgrade.proxy_upgrade(run))
    assert not executor.commands()
    assert "Aborted" in printed(run)
