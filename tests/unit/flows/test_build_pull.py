"""build pull: logs in only on the app hosts that pull, password on stdin, nothing local."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from build_flow_helpers import (
    BASE,
    CANARY,
    assert_no_secret_anywhere,
    index_of,
    load,
    local_commands,
    make_run,
    remote_calls,
)

from pykamal.errors import PykamalError
from pykamal.flows import build

ACCESSORY = (
    BASE
    + """
accessories:
  db:
    image: postgres:16
    host: h9
"""
)


@pytest.fixture(autouse=True)
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_pull_logs_in_then_pulls_on_each_app_host_and_runs_nothing_locally(in_project: Path) -> None:
    run, ex, stream = make_run(load(in_project))
    asyncio.run(build.pull(run))

    assert local_commands(ex) == []
    for host in ("h1", "h2", "h3"):
        login = index_of(
            ex, host, r"^docker login registry\.example\.test:5000 -u \[REDACTED\] --password-stdin$"
        )
        pull = index_of(ex, host, r"^docker pull registry\.example\.test:5000/team/app:abc123$")
        validate = index_of(ex, host, r"docker inspect -f .*Labels\.service")
        assert login < pull < validate
        assert ex.calls[login].stdin == CANARY  # the password goes to stdin only
        assert "--password-stdin" in ex.calls[login].shell and "-p" not in ex.calls[login].shell.split()
    assert_no_secret_anywhere(ex, stream)


def test_pull_never_logs_in_on_accessory_hosts(in_project: Path) -> None:
    run, ex, _ = make_run(load(in_project, ACCESSORY))
    asyncio.run(build.pull(run))
    assert sorted(set(ex.hosts_for(r"^docker login"))) == ["h1", "h2", "h3"]
    assert ex.commands("h9") == []


def test_pull_respects_host_selection(in_project: Path) -> None:
    run, ex, _ = make_run(load(in_project), hosts="h2")
    asyncio.run(build.pull(run))
    assert {host for host, _ in remote_calls(ex)} == {"h2"}


def test_local_registry_pull_goes_through_reverse_tunnels_without_any_login(in_project: Path) -> None:
    text = BASE.replace("server: registry.example.test:5000", "server: localhost:5555").replace(
        "  username: deployer\n  password: [KAMAL_REGISTRY_PASSWORD]\n", ""
    )
    run, ex, _ = make_run(load(in_project, text))
    asyncio.run(build.pull(run))
    forwards = [c for c in ex.calls if c.kind == "forward"]
    assert sorted(c.host for c in forwards) == ["h1", "h2", "h3"]
    assert all(c.ports == (5555, 5555) for c in forwards)
    assert ex.hosts_for(r"docker login") == []
    assert sorted(ex.hosts_for(r"^docker pull localhost:5555/team/app:abc123$")) == ["h1", "h2", "h3"]
    first_pull = min(index_of(ex, h, r"^docker pull") for h in ("h1", "h2", "h3"))
    assert all(ex.calls.index(c) < first_pull for c in forwards)  # tunnels are up before any pull
    assert local_commands(ex) == []


def test_one_host_per_mirror_pulls_first(in_project: Path) -> None:
    text = BASE.replace("hosts: [h1, h2]", "hosts: [h1, h2, h4]")
    run, ex, stream = make_run(load(in_project, text))
    ex.respond(r"RegistryConfig\.Mirrors", host="h1", stdout="http://mirror-a\n")
    ex.respond(r"RegistryConfig\.Mirrors", host="h2", stdout="http://mirror-a\n")
    ex.respond(r"RegistryConfig\.Mirrors", host="h4", stdout="http://mirror-b\n")
    ex.respond(
        r"RegistryConfig\.Mirrors",
        host="h3",
        exit_status=1,
        stderr='template: :1:2: executing "" at <index .RegistryConfig.Mirrors 0>: '
        "error calling index: reflect: slice index out of range",
    )
    asyncio.run(build.pull(run))
    seeds = [index_of(ex, h, r"^docker pull") for h in ("h1", "h4")]
    rest = [index_of(ex, h, r"^docker pull") for h in ("h2", "h3")]
    assert max(seeds) < min(rest)
    assert "to seed the mirrors" in stream.getvalue()


def test_no_mirror_query_with_a_single_app_host(in_project: Path) -> None:
    run, ex, _ = make_run(load(in_project), hosts="h1")
    asyncio.run(build.pull(run))
    assert ex.hosts_for(r"RegistryConfig") == []


def test_pull_of_a_missing_tag_names_image_registry_and_host(in_project: Path) -> None:
    run, ex, _ = make_run(load(in_project))
    ex.respond(
        r"^docker pull",
        host="h2",
        exit_status=1,
        stderr="Error response from daemon: manifest for registry.example.test:5000/team/app:abc123 "
        "not found: manifest unknown: manifest unknown",
    )
    with pytest.raises(PykamalError) as info:
        asyncio.run(build.pull(run))
    message = str(info.value)
    assert "h2" in message and "registry.example.test:5000/team/app:abc123" in message
    assert "does not exist in registry registry.example.test:5000" in message
    assert "h1" not in message  # only the failing host is named


def test_registry_refusing_credentials_names_host_and_registry(in_project: Path) -> None:
    run, ex, stream = make_run(load(in_project))
    ex.respond(
        r"^docker login",
        host="h3",
        exit_status=1,
        stderr='Error response from daemon: Get "https://registry.example.test:5000/v2/": unauthorized: '
        "incorrect username or password",
    )
    with pytest.raises(PykamalError) as info:
        asyncio.run(build.pull(run))
    message = str(info.value)
    assert "registry registry.example.test:5000 refused the credentials" in message
    assert "h3" in message
    assert ex.hosts_for(r"^docker pull") == []  # nothing pulled after a failed login
    assert_no_secret_anywhere(ex, stream)


def test_image_without_the_service_label_is_refused(in_project: Path) -> None:
    run, ex, _ = make_run(load(in_project), hosts="h1")
    ex.respond(r"docker inspect -f", exit_status=1, stdout="Image ... is missing the 'service' label\n")
    with pytest.raises(PykamalError, match="missing the 'service' label"):
        asyncio.run(build.pull(run))


def test_pull_records_an_audit_line_and_cleans_the_old_copy_first(in_project: Path) -> None:
    run, ex, _ = make_run(load(in_project), hosts="h1")
    asyncio.run(build.pull(run))
    audit = index_of(ex, "h1", r"Pulled image with version abc123.*>> \.kamal/app-audit\.log")
    clean = index_of(ex, "h1", r"^docker image rm --force registry\.example\.test:5000/team/app:abc123$")
    assert audit < clean < index_of(ex, "h1", r"^docker pull")
