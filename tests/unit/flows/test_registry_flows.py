"""registry setup|remove|login|logout: -L touches only hosts, -R only this machine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from build_flow_helpers import (
    BASE,
    CANARY,
    assert_no_secret_anywhere,
    load,
    local_commands,
    remote_calls,
)
from flow_runs import MakeRun

from pykamal.errors import PykamalError, UsageError
from pykamal.flows import registry

LOCAL_REGISTRY = BASE.replace("server: registry.example.test:5000", "server: localhost:5555").replace(
    "  username: deployer\n  password: [KAMAL_REGISTRY_PASSWORD]\n", ""
)
WITH_ACCESSORY = BASE + "accessories:\n  db:\n    image: postgres:16\n    host: h9\n"


pytestmark = [pytest.mark.usefixtures("project_dir"), pytest.mark.recorded(command="build", skip_hooks=True)]


def test_login_logs_in_here_and_on_every_selected_host(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, stream = make_run(load(project_dir, WITH_ACCESSORY))
    asyncio.run(registry.login(run))
    assert sorted(ex.hosts_for(r"^docker login .* --password-stdin$")) == [
        "h1",
        "h2",
        "h3",
        "h9",
        "localhost",
    ]
    assert all(c.stdin == CANARY for c in ex.calls if "docker login" in c.display)
    assert_no_secret_anywhere(ex, stream)


def test_skip_local_touches_only_hosts(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir))
    asyncio.run(registry.login(run, skip_local=True))
    assert local_commands(ex) == []
    assert sorted(host for host, _ in remote_calls(ex)) == ["h1", "h2", "h3"]


def test_skip_remote_touches_only_this_machine(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir))
    asyncio.run(registry.login(run, skip_remote=True))
    assert remote_calls(ex) == []
    assert [c for c in local_commands(ex) if c.startswith("docker login")] == [
        "docker login registry.example.test:5000 -u [REDACTED] --password-stdin"
    ]


def test_logout_with_skips(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir))
    asyncio.run(registry.logout(run, skip_remote=True))
    assert remote_calls(ex) == []
    assert "docker logout registry.example.test:5000" in local_commands(ex)

    run, ex, _ = make_run(load(project_dir))
    asyncio.run(registry.logout(run, skip_local=True))
    assert local_commands(ex) == []
    assert sorted(ex.hosts_for(r"^docker logout registry\.example\.test:5000$")) == ["h1", "h2", "h3"]


def test_login_refused_on_this_machine_names_the_registry(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, stream = make_run(load(project_dir))
    ex.respond(
        r"^docker login",
        host="localhost",
        exit_status=1,
        stderr="Error response from daemon: login attempt to http://registry.example.test:5000/v2/ "
        "failed with status: 401 Unauthorized",
    )
    with pytest.raises(
        PykamalError, match=r"registry registry\.example\.test:5000 refused the credentials .*on this machine"
    ):
        asyncio.run(registry.login(run))
    assert remote_calls(ex) == []  # stops before touching the hosts
    assert_no_secret_anywhere(ex, stream)


def test_login_refused_on_two_hosts_names_both(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir))
    for host in ("h1", "h3"):
        ex.respond(r"^docker login", host=host, exit_status=1, stderr="unauthorized: authentication required")
    with pytest.raises(PykamalError) as info:
        asyncio.run(registry.login(run, skip_local=True))
    message = str(info.value)
    assert "h1: registry registry.example.test:5000 refused the credentials" in message
    assert "h3: registry registry.example.test:5000 refused the credentials" in message
    assert "h2" not in message


def test_local_registry_setup_starts_the_container_here_only(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_REGISTRY))
    asyncio.run(registry.setup(run))
    assert remote_calls(ex) == []
    assert local_commands(ex)[-1] == (
        "docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:5555:5000 "
        "--name kamal-docker-registry registry:3"
    )
    run, ex, _ = make_run(load(project_dir, LOCAL_REGISTRY))
    asyncio.run(registry.remove(run))
    assert local_commands(ex) == ["docker stop kamal-docker-registry && docker rm kamal-docker-registry"]


def test_local_registry_setup_with_skip_local_does_nothing(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_REGISTRY))
    asyncio.run(registry.setup(run, skip_local=True))
    assert ex.calls == []


@pytest.mark.parametrize("step", ["login", "logout"])
def test_login_and_logout_refuse_a_local_registry(project_dir: Path, step: str, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_REGISTRY))
    with pytest.raises(UsageError, match=f"Cannot use {step} command with a local registry"):
        asyncio.run(getattr(registry, step)(run))
    assert ex.calls == []


def test_login_remote_is_a_no_op_for_a_local_registry(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_REGISTRY))
    asyncio.run(registry.login_remote(run, ["h1", "h2"]))
    assert ex.calls == []


def test_login_remote_on_given_hosts_only(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, stream = make_run(load(project_dir))
    asyncio.run(registry.login_remote(run, ["h2"]))
    assert remote_calls(ex) == [
        ("h2", "docker login registry.example.test:5000 -u [REDACTED] --password-stdin")
    ]
    assert_no_secret_anywhere(ex, stream)
