"""build pull: logs in only on the app hosts that pull, password on stdin, nothing local; one remote
command per host (two on a host whose registry mirror is seeded by another host first: only for
images on Docker Hub, the one registry Docker's mirrors serve)."""

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
    remote_calls,
)
from flow_runs import MakeRun

from pykamal.commands import builder
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


pytestmark = [pytest.mark.usefixtures("project_dir"), pytest.mark.recorded(command="build", skip_hooks=True)]


IMAGE = "registry.example.test:5000/team/app:abc123"


def positions(display: str, *parts: str) -> list[int]:
    found = [display.find(part) for part in parts]
    assert -1 not in found, (parts, display)
    return found


def test_pull_logs_in_then_pulls_on_each_app_host_and_runs_nothing_locally(
    project_dir: Path, make_run: MakeRun
) -> None:
    run, ex, stream = make_run(load(project_dir))
    asyncio.run(build.pull(run))

    assert local_commands(ex) == []
    for host in ("h1", "h2", "h3"):
        [call] = [c for c in ex.calls if c.host == host]  # one command per host
        login, pull, validate = positions(
            call.display,
            "docker login registry.example.test:5000 -u [REDACTED] --password-stdin",
            f"docker pull {IMAGE}",
            "docker inspect -f '{{ .Config.Labels.service }}'",
        )
        assert login < pull < validate
        assert "RegistryConfig.Mirrors" not in call.display  # mirrors serve Docker Hub images only
        assert call.stdin == CANARY  # the password goes to stdin only
        login_words = call.shell.split("2>&1)")[0].split()
        assert "-p" not in login_words and "--password" not in login_words
    assert_no_secret_anywhere(ex, stream)


def test_pull_never_logs_in_on_accessory_hosts(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, ACCESSORY))
    asyncio.run(build.pull(run))
    assert sorted(set(ex.hosts_for(r"docker login"))) == ["h1", "h2", "h3"]
    assert ex.commands("h9") == []


def test_pull_respects_host_selection(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir), hosts="h2")
    asyncio.run(build.pull(run))
    assert {host for host, _ in remote_calls(ex)} == {"h2"}


def test_local_registry_pull_goes_through_reverse_tunnels_without_any_login(
    project_dir: Path, make_run: MakeRun
) -> None:
    text = BASE.replace("server: registry.example.test:5000", "server: localhost:5555").replace(
        "  username: deployer\n  password: [KAMAL_REGISTRY_PASSWORD]\n", ""
    )
    run, ex, _ = make_run(load(project_dir, text))
    asyncio.run(build.pull(run))
    forwards = [c for c in ex.calls if c.kind == "forward"]
    assert sorted(c.host for c in forwards) == ["h1", "h2", "h3"]
    assert all(c.ports == (5555, 5555) for c in forwards)
    assert ex.hosts_for(r"docker login") == []
    assert all(c.stdin is None for c in ex.calls if c.kind == "run")
    assert sorted(ex.hosts_for(r"docker pull localhost:5555/team/app:abc123 ")) == ["h1", "h2", "h3"]
    first_pull = min(index_of(ex, h, r"docker pull") for h in ("h1", "h2", "h3"))
    assert all(ex.calls.index(c) < first_pull for c in forwards)  # tunnels are up before any pull
    assert local_commands(ex) == []


HUB_IMAGE = "team/app:abc123"


def test_one_host_per_mirror_pulls_first(project_dir: Path, make_run: MakeRun) -> None:
    text = BASE.replace("hosts: [h1, h2]", "hosts: [h1, h2, h4]").replace(
        "  server: registry.example.test:5000\n", ""
    )
    run, ex, stream = make_run(load(project_dir, text))
    # what the script prints on a host with a mirror (it stops there); h3 has none and pulls at once
    ex.respond(r"RegistryConfig\.Mirrors", host="h1", stdout="@pykamal mirror http://mirror-a\n")
    ex.respond(r"RegistryConfig\.Mirrors", host="h2", stdout="@pykamal mirror http://mirror-a\n")
    ex.respond(r"RegistryConfig\.Mirrors", host="h4", stdout="@pykamal mirror http://mirror-b\n")
    asyncio.run(build.pull(run))
    assert {h: len(ex.commands(h)) for h in ("h1", "h2", "h3", "h4")} == {"h1": 2, "h2": 2, "h3": 1, "h4": 2}
    second = {h: [i for i, c in enumerate(ex.calls) if c.host == h][1] for h in ("h1", "h2", "h4")}
    assert max(second["h1"], second["h4"]) < second["h2"]  # seeds first, then the rest
    for host in ("h1", "h2", "h4"):
        again = ex.commands(host)[1]
        assert f"docker pull {HUB_IMAGE}" in again
        assert "docker login" not in again and "RegistryConfig" not in again  # logged in already
    output = stream.getvalue()
    assert "Pulling image on h1, h4 to seed the mirrors..." in output
    assert "Pulling image on remaining hosts..." in output


@pytest.mark.parametrize(
    ("server", "queried"),
    [
        (None, True),
        ("docker.io", True),
        ("index.docker.io", True),
        ("registry.example.test:5000", False),
        ("ghcr.io", False),
        ("localhost:5555", False),
    ],
)
def test_the_mirror_is_read_only_for_images_on_docker_hub(
    project_dir: Path,
    server: str | None,
    queried: bool,
    make_run: MakeRun,
) -> None:
    text = BASE.replace("  server: registry.example.test:5000\n", f"  server: {server}\n" if server else "")
    run, ex, _ = make_run(load(project_dir, text))
    asyncio.run(build.pull(run))
    assert sorted(ex.hosts_for(r"RegistryConfig")) == (["h1", "h2", "h3"] if queried else [])
    assert all(len(ex.commands(h)) == 1 for h in ("h1", "h2", "h3"))  # no mirror answered: one round


@pytest.mark.parametrize(
    ("image", "served"),
    [
        ("app", True),
        ("team/app:v1", True),
        ("docker.io/team/app", True),
        ("index.docker.io/team/app", True),
        ("Docker.IO/team/app", False),  # Docker compares registry names as written
        ("registry-1.docker.io/library/app", False),
        ("Team/app", False),  # a capital letter makes the first part a registry name
        ("LOCALHOST/app", False),
        ("ghcr.io/team/app", False),
        ("registry.example.test:5000/team/app", False),
        ("localhost/app", False),
        ("localhost:5555/app", False),
    ],
)
def test_mirrors_serve_docker_hub_references_only(image: str, served: bool) -> None:
    assert builder.mirrors_can_serve(image) is served


def test_no_mirror_query_with_a_single_app_host(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir), hosts="h1")
    asyncio.run(build.pull(run))
    assert ex.hosts_for(r"RegistryConfig") == []
    assert len(ex.commands("h1")) == 1


def test_pull_of_a_missing_tag_names_image_registry_and_host(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir))
    ex.respond(
        r"docker pull",
        host="h2",
        exit_status=builder.PULL_FAILED,
        stderr=f"Error response from daemon: manifest for {IMAGE} not found: manifest unknown",
    )
    with pytest.raises(PykamalError) as info:
        asyncio.run(build.pull(run))
    message = str(info.value)
    assert "h2" in message and IMAGE in message
    assert "does not exist in registry registry.example.test:5000" in message
    assert "h1" not in message  # only the failing host is named


def test_registry_refusing_credentials_names_host_and_registry(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, stream = make_run(load(project_dir))
    ex.respond(
        r"docker login",
        host="h3",
        exit_status=builder.LOGIN_FAILED,
        stderr='Error response from daemon: Get "https://registry.example.test:5000/v2/": unauthorized: '
        "incorrect username or password",
    )
    with pytest.raises(PykamalError) as info:
        asyncio.run(build.pull(run))
    message = str(info.value)
    assert "registry registry.example.test:5000 refused the credentials" in message
    assert "h3" in message and "does not exist" not in message
    assert len(ex.commands("h3")) == 1  # nothing more on that host
    assert_no_secret_anywhere(ex, stream)


def test_image_without_the_service_label_is_refused(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir), hosts="h1")
    ex.respond(
        r"docker inspect -f",
        exit_status=builder.LABEL_MISSING,
        stdout="Image ... is missing the 'service' label\n",
    )
    with pytest.raises(PykamalError) as info:
        asyncio.run(build.pull(run))
    message = str(info.value)
    assert f"Image {IMAGE} is missing the 'service' label" in message
    assert "registry registry.example.test:5000" in message and "(on h1)" in message


def test_any_other_failure_names_image_registry_and_host(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir), hosts="h1")
    ex.respond(
        r"docker pull", exit_status=1, stderr="mkdir: cannot create directory '.kamal': No space left\n"
    )
    with pytest.raises(PykamalError) as info:
        asyncio.run(build.pull(run))
    message = str(info.value)
    assert f"pulling {IMAGE} from registry registry.example.test:5000 failed (exit 1)" in message
    assert "No space left" in message and "(on h1)" in message


def test_pull_records_an_audit_line_and_cleans_the_old_copy_first(
    project_dir: Path, make_run: MakeRun
) -> None:
    run, ex, _ = make_run(load(project_dir), hosts="h1")
    asyncio.run(build.pull(run))
    [command] = ex.commands("h1")
    audit, clean, pull = positions(
        command,
        'Pulled image with version abc123" >> .kamal/app-audit.log',
        f"docker image rm --force {IMAGE}",
        f"docker pull {IMAGE}",
    )
    assert audit < clean < pull
