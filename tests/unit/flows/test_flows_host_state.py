"""Reading a host's probe output: Kamal's notion of the current container, stale ones, clashes."""

from __future__ import annotations

from pathlib import Path

from deploy_flow_helpers import Project, host_state

from pykamal.flows.host_state import HostState


def state(tmp_path: Path, text: str) -> tuple[HostState, object, object]:
    run = Project(tmp_path).run()
    config = run.config
    return HostState.parse("h2", text, config), config.role("web"), config.role("worker")


def test_current_is_the_newest_running_container_of_the_latest_image(tmp_path: Path) -> None:
    text = host_state(
        [
            ("app-web-v3", "web", "running", "v3"),  # newest, but not what latest points at
            ("app-web-v2", "web", "running", "v2"),
            ("app-web-v1", "web", "exited", "v1"),
            ("app-worker-v2", "worker", "restarting", "v2"),
        ],
        latest="v2",
    )
    host, web, worker = state(tmp_path, text)
    assert host.current(web) == "v2"  # type: ignore[arg-type]
    assert host.stale(web) == ["v3"]  # type: ignore[arg-type]
    assert host.current(worker) == "v2"  # type: ignore[arg-type]
    assert host.exists(web, "v1") and not host.exists(worker, "v1")  # type: ignore[arg-type]
    assert host.values["proxy"] == ["basecamp/kamal-proxy:v0.9.2", "true"]


def test_without_a_latest_tag_the_newest_running_one_is_current(tmp_path: Path) -> None:
    text = host_state([("app-web-v3", "web", "running", "v3"), ("app-web-v2", "web", "running", "v2")])
    host, web, _ = state(tmp_path, text)
    assert host.current(web) == "v3" and host.stale(web) == ["v2"]  # type: ignore[arg-type]


def test_containers_of_other_roles_or_names_are_not_mixed_up(tmp_path: Path) -> None:
    text = host_state(
        [
            ("app-web-exec-v2-a1b2c3", "web", "running", "v2"),  # labelled like the role, other prefix
            ("app-worker-v2", "web", "running", "v2"),  # a role label that does not match the name
        ],
        latest="v2",
    )
    host, web, worker = state(tmp_path, text)
    assert host.running(web) == ["exec-v2-a1b2c3"]  # type: ignore[arg-type]
    assert host.current(worker) is None  # type: ignore[arg-type]
