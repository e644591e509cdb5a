"""build push: local login only for builders that push from here; buildx checks and fallback."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from build_flow_helpers import (
    BASE,
    CANARY,
    assert_no_secret_anywhere,
    index_of,
    load,
)
from flow_runs import MakeRun

from pykamal.errors import PykamalError
from pykamal.flows import build
from pykamal.flows.context import BuildOptions
from pykamal.flows.local import DiskWorkspace

LOCAL_CONTEXT = BASE.replace("  arch: amd64\n", "  arch: amd64\n  context: .\n")


def builder_section(extra: str) -> str:
    return BASE.replace("builder:\n  arch: amd64\n", "builder:\n" + extra)


pytestmark = [pytest.mark.usefixtures("project_dir"), pytest.mark.recorded(command="build", skip_hooks=True)]


def push(  # type: ignore[no-untyped-def]
    make_run: MakeRun,
    root: Path,
    text: str,
    *,
    buildx: bool = True,
    arch: str = "x86_64",
    output_type: str | None = None,
):
    run, ex, stream = make_run(load(root, text), build=BuildOptions(output=output_type))
    ex.respond(r"Architecture", stdout=arch + "\n")
    ex.respond(r"^git rev-parse$", exit_status=128, stderr="fatal: not a git repository")
    if not buildx:
        ex.respond(
            r"^docker buildx version$", exit_status=1, stderr="docker: 'buildx' is not a docker command."
        )
    asyncio.run(build.push(run))
    return run, ex, stream


def test_local_builder_logs_in_locally_before_building_and_touches_no_host(
    project_dir: Path, make_run: MakeRun
) -> None:
    _, ex, stream = push(make_run, project_dir, LOCAL_CONTEXT)
    login = index_of(
        ex, "localhost", r"^docker login registry\.example\.test:5000 -u \[REDACTED\] --password-stdin$"
    )
    built = index_of(ex, "localhost", r"^docker buildx build --output=type=registry --platform linux/amd64")
    assert login < built
    assert ex.calls[login].stdin == CANARY
    assert [c for c in ex.calls if c.host != "localhost"] == []
    assert_no_secret_anywhere(ex, stream)


@pytest.mark.parametrize(
    "builder",
    [
        "  arch: amd64\n  context: .\n  local: false\n  remote: ssh://builder@buildhost\n",  # remote
        "  arch: [amd64, arm64]\n  context: .\n  remote: ssh://builder@buildhost\n",  # hybrid
    ],
    ids=["remote", "hybrid"],
)
def test_remote_and_hybrid_builders_never_log_in_locally(
    project_dir: Path, builder: str, make_run: MakeRun
) -> None:
    _, ex, _ = push(make_run, project_dir, builder_section(builder))
    assert ex.hosts_for(r"docker login") == []
    build_call = ex.calls[index_of(ex, "localhost", r"^docker buildx build")]
    assert "--builder kamal-" in build_call.display
    # the builder host is checked for reachability over SSH, as builder@buildhost
    assert ex.commands("buildhost") == ["true"]


def test_remote_builder_pushes_without_a_client_token(project_dir: Path) -> None:
    from pykamal.commands import builder as commands

    config = load(project_dir, builder_section("  arch: amd64\n  local: false\n  remote: ssh://b@bh\n"))
    assert commands.push_env(config.builder, "amd64") == {"BUILDKIT_NO_CLIENT_TOKEN": "1"}


@pytest.mark.parametrize(
    "builder",
    [
        "  arch: amd64\n  context: .\n  pack:\n    builder: heroku/builder:24\n"
        "    buildpacks: [heroku/ruby]\n",
        "  arch: amd64\n  context: .\n  driver: cloud org/builder\n",
    ],
    ids=["pack", "cloud"],
)
def test_pack_and_cloud_builders_log_in_locally(project_dir: Path, builder: str, make_run: MakeRun) -> None:
    _, ex, _ = push(make_run, project_dir, builder_section(builder))
    assert ex.hosts_for(r"^docker login") == ["localhost"]


def test_export_to_the_local_image_store_needs_no_login(project_dir: Path, make_run: MakeRun) -> None:
    _, ex, _ = push(make_run, project_dir, LOCAL_CONTEXT, output_type="docker")
    assert ex.hosts_for(r"docker login") == []
    assert index_of(ex, "localhost", r"--output=type=docker")


def test_local_registry_starts_the_registry_container_instead_of_logging_in(
    project_dir: Path, make_run: MakeRun
) -> None:
    text = LOCAL_CONTEXT.replace("server: registry.example.test:5000", "server: localhost:5555").replace(
        "  username: deployer\n  password: [KAMAL_REGISTRY_PASSWORD]\n", ""
    )
    _, ex, _ = push(make_run, project_dir, text)
    setup = index_of(
        ex,
        "localhost",
        r"docker start kamal-docker-registry \|\| docker run --detach -p 127\.0\.0\.1:5555:5000",
    )
    assert setup < index_of(ex, "localhost", r"^docker buildx build")
    assert ex.hosts_for(r"docker login") == []
    assert "-t localhost:5555/team/app:abc123" in ex.calls[index_of(ex, "localhost", r"buildx build")].display


def test_build_secrets_travel_in_the_environment_never_on_the_command_line(
    project_dir: Path, make_run: MakeRun
) -> None:
    text = builder_section(
        "  arch: amd64\n  context: .\n  secrets: [GITHUB_TOKEN]\n  args:\n    RUBY: '3.3'\n"
    )
    run, ex, stream = make_run(
        load(project_dir, text, secrets=f"KAMAL_REGISTRY_PASSWORD={CANARY}\nGITHUB_TOKEN=ghp-secret-value\n")
    )
    ex.respond(r"^git rev-parse$", exit_status=128)
    asyncio.run(build.push(run))
    call = ex.calls[index_of(ex, "localhost", r"^docker buildx build")]
    assert '--secret id="GITHUB_TOKEN"' in call.display
    assert "ghp-secret-value" not in call.shell and "ghp-secret-value" not in stream.getvalue()
    from pykamal.commands import builder as commands

    command = commands.push(run.config, run.config.secrets, local_arch=None)
    assert dict((k, getattr(v, "value", v)) for k, v in command.env)["GITHUB_TOKEN"] == "ghp-secret-value"


def test_missing_buildx_falls_back_to_docker_build_for_this_machines_platform(
    project_dir: Path, make_run: MakeRun
) -> None:
    _, ex, stream = push(make_run, project_dir, LOCAL_CONTEXT, buildx=False)
    assert ex.hosts_for(r"buildx build") == []
    build_call = index_of(
        ex,
        "localhost",
        r"^docker build --platform linux/amd64 -t registry\.example\.test:5000/team/app:abc123",
    )
    assert "docker push registry.example.test:5000/team/app:abc123" in ex.calls[build_call].display
    assert "with `docker build` (BuildKit) instead" in stream.getvalue()
    assert ex.hosts_for(r"buildx (inspect|create)") == []  # no builder to set up


def test_missing_buildx_for_a_multi_arch_build_is_a_clear_error(project_dir: Path, make_run: MakeRun) -> None:
    text = builder_section("  arch: [amd64, arm64]\n  context: .\n")
    with pytest.raises(
        PykamalError,
        match=r"buildx plugin is not installed locally: .*several platforms \(linux/amd64, linux/arm64\)",
    ):
        push(make_run, project_dir, text, buildx=False)


def test_missing_buildx_for_another_architecture_is_a_clear_error(
    project_dir: Path, make_run: MakeRun
) -> None:
    text = builder_section("  arch: arm64\n  context: .\n")
    with pytest.raises(PykamalError, match=r"needed to build for linux/arm64 on this linux/amd64 machine"):
        push(make_run, project_dir, text, buildx=False)


def test_missing_docker_is_reported_before_any_login(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_CONTEXT))
    ex.respond(r"^docker --version$", exit_status=127, stderr="sh: docker: not found")
    with pytest.raises(PykamalError, match="Docker is not installed locally"):
        asyncio.run(build.push(run))
    assert ex.hosts_for(r"docker login") == []


def test_missing_builder_is_recreated(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, stream = make_run(load(project_dir, LOCAL_CONTEXT))
    ex.respond(r"^git rev-parse$", exit_status=128)
    ex.respond(
        r"^docker buildx inspect kamal-local-docker-container$",
        exit_status=1,
        stderr='ERROR: no builder "kamal-local-docker-container" found',
    )
    asyncio.run(build.push(run))
    create = index_of(
        ex,
        "localhost",
        r"^docker buildx create --name kamal-local-docker-container --driver=docker-container$",
    )
    assert create < index_of(ex, "localhost", r"^docker buildx build")
    assert "Missing compatible builder, so creating a new one first" in stream.getvalue()


def test_unreachable_remote_builder_is_named(project_dir: Path, make_run: MakeRun) -> None:
    from pykamal.remote.result import ConnectError

    text = builder_section(
        "  arch: amd64\n  context: .\n  local: false\n  remote: ssh://builder@buildhost:2222\n"
    )
    run, ex, _ = make_run(load(project_dir, text))
    ex.respond(r"^git rev-parse$", exit_status=128)
    ex.respond(
        r"^true$",
        host="buildhost",
        raises=ConnectError("buildhost", "could not connect to builder@buildhost:2222: connection refused"),
    )
    with pytest.raises(
        PykamalError, match=r"Remote builder ssh://builder@buildhost:2222 is unreachable: could not connect"
    ):
        asyncio.run(build.push(run))
    assert ex.hosts_for(r"buildx build") == []


def test_missing_dockerfile(project_dir: Path, make_run: MakeRun) -> None:
    text = builder_section("  arch: amd64\n  context: .\n  dockerfile: Dockerfile.prod\n")
    run, _, _ = make_run(load(project_dir, text))
    real = dataclasses.replace(run, local=dataclasses.replace(run.local, workspace=DiskWorkspace()))
    with pytest.raises(PykamalError, match=r"Missing Dockerfile\.prod"):
        build.check_dockerfile(real)
    (project_dir / "Dockerfile.prod").write_text("FROM scratch\n")
    build.check_dockerfile(real)


def test_clone_build_when_no_context_is_set(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, stream = make_run(load(project_dir))
    ex.respond(r"^git rev-parse$", stdout="")
    ex.respond(r"^git rev-parse --show-toplevel$", stdout="/src/project\n")
    ex.respond(r"^git rev-parse HEAD$", stdout="abc123\n")
    ex.respond(r"^git status --porcelain$", stdout=" M app.rb\n")
    ex.respond(r"^git -C .* rev-parse HEAD$", stdout="abc123\n")
    ex.respond(r"^git -C .* status --porcelain$", stdout="")
    asyncio.run(build.push(run))
    clone = index_of(
        ex, "localhost", r"^git -C /.*/kamal-clones/app-[0-9a-f]{13} clone /src/project --recurse-submodules$"
    )
    assert clone < index_of(ex, "localhost", r"^docker buildx build")
    assert (
        "Building from a local git clone, so ignoring these uncommitted changes:\n M app.rb"
        in stream.getvalue()
    )
    clone_dir = ex.commands("localhost")[clone].split()[2]
    assert run.local.workspace.changes == [("make_directory", clone_dir)]  # only recorded
    assert not Path(clone_dir).exists()


def test_existing_clone_is_reset_to_head(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir))
    ex.respond(r"^git rev-parse --show-toplevel$", stdout="/src/project\n")
    ex.respond(r"^git rev-parse HEAD$", stdout="abc123\n")
    ex.respond(
        r"^git -C .* clone ",
        exit_status=128,
        stderr="fatal: destination path 'project' already exists and is not an empty directory.",
    )
    ex.respond(r"^git -C .* rev-parse HEAD$", stdout="abc123\n")
    asyncio.run(build.push(run))
    steps = [c for c in ex.commands("localhost") if c.startswith("git -C") and "/project/" in c]
    assert [s.split()[3:5] for s in steps[:5]] == [
        ["remote", "set-url"],
        ["fetch", "origin"],
        ["reset", "--hard"],
        ["clean", "-fdx"],
        ["submodule", "update"],
    ]


def test_local_registry_with_a_remote_builder_pushes_through_a_tunnel_to_the_builder(
    project_dir: Path,
    make_run: MakeRun,
) -> None:
    text = builder_section("  arch: amd64\n  context: .\n  local: false\n  remote: ssh://root@buildhost\n")
    text = text.replace("server: registry.example.test:5000", "server: localhost:5555").replace(
        "  username: deployer\n  password: [KAMAL_REGISTRY_PASSWORD]\n", ""
    )
    _, ex, _ = push(make_run, project_dir, text)
    forwards = [c for c in ex.calls if c.kind == "forward"]
    assert [(c.host, c.ports) for c in forwards] == [("buildhost", (5555, 5555))]
    build_at = index_of(ex, "localhost", r"^docker buildx build")
    assert ex.calls.index(forwards[0]) < build_at
    assert index_of(ex, "localhost", r"docker start kamal-docker-registry") < build_at
    assert "--builder kamal-remote-ssh---root-buildhost-local-registry" in ex.calls[build_at].display
    assert ex.hosts_for(r"docker login") == []


def test_deliver_pushes_then_pulls(project_dir: Path, make_run: MakeRun) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_CONTEXT))
    ex.respond(r"^git rev-parse$", exit_status=128)
    asyncio.run(build.deliver(run))
    built = index_of(ex, "localhost", r"^docker buildx build")
    assert all(built < index_of(ex, host, r"docker pull") for host in ("h1", "h2", "h3"))


def test_missing_pack_cli_is_named(project_dir: Path, make_run: MakeRun) -> None:
    from pykamal.remote.result import HostError

    text = builder_section("  arch: amd64\n  context: .\n  pack:\n    builder: heroku/builder:24\n")
    run, ex, _ = make_run(load(project_dir, text))
    ex.respond(r"^git rev-parse$", exit_status=128)
    ex.respond(r"^pack builder inspect", raises=HostError("localhost", "could not run `pack`: no such file"))
    with pytest.raises(PykamalError, match="the pack CLI is not installed locally"):
        asyncio.run(build.push(run))


def test_docker_clients_that_need_buildx_for_buildkit_are_explained(
    project_dir: Path, make_run: MakeRun
) -> None:
    run, ex, _ = make_run(load(project_dir, LOCAL_CONTEXT))
    ex.respond(r"^git rev-parse$", exit_status=128)
    ex.respond(r"^docker buildx version$", exit_status=1)
    ex.respond(r"Architecture", stdout="x86_64\n")
    ex.respond(
        r"^DOCKER_BUILDKIT|^docker build ",
        exit_status=1,
        stderr="ERROR: BuildKit is enabled but the buildx component is missing or broken.",
    )
    with pytest.raises(PykamalError, match="install docker-buildx"):
        asyncio.run(build.push(run))
