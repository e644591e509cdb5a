"""Building the image here and getting it onto the hosts: ``build push|pull|deliver|create|remove|
details|dev``.

``push`` is the only step that needs Docker on this machine, and the only one that logs in here
(and only for builders that push from this machine: local, cloud, pack). ``pull`` runs nothing
locally: it logs in on the app hosts, pulls there (through SSH reverse tunnels for a local
registry, seeding each registry mirror from one host first) and checks the ``service`` label.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from pykamal.commands import auditor, docker
from pykamal.commands import builder as commands
from pykamal.commands.base import Command, cmd
from pykamal.errors import ConfigError, PykamalError
from pykamal.flows import registry
from pykamal.flows.local import LOCALHOST, ensure_local_docker, local_executor
from pykamal.remote.executor import run_on
from pykamal.remote.result import CommandFailed, HostError, Result

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.flows.context import Run
    from pykamal.remote.executor import Executor
    from pykamal.remote.ssh_settings import SshSettings


class BuildError(PykamalError):
    """The image could not be built, pushed or pulled."""


@dataclass(frozen=True)
class LocalDocker:
    """What this machine's Docker offers."""

    buildx: bool
    arch: str | None  # the daemon's architecture as amd64/arm64/…, None when unknown
    builder: commands.Builder  # the configured builder mode, chosen once for that architecture


# --- push ------------------------------------------------------------------------------------------


async def push(run: Run) -> None:
    """Build the image here (or on the configured builder) and push it to the registry.

    ``run.build``: the buildx export type (default ``registry``) and ``no_cache``.
    """
    with run.output.step(LOCALHOST, "build and push"):
        await build_and_push(run)


async def build_and_push(run: Run) -> None:
    config = run.config
    output_type = run.build.output or "registry"
    await run.pre_connect()
    tools = await inspect_local_docker(run)
    builder = tools.builder
    use_buildx = choose_build_tool(run, tools, output_type)

    if config.registry.is_local:
        await registry.setup_local_registry(run)
    elif pushes_from_here(run, tools, output_type):
        await registry.login_local(run)

    await run.hook("pre-build")
    build_dir = await prepare_build_directory(run)
    check_dockerfile(run)

    if builder.BUILDS_ON_REMOTE_HOST:
        await check_remote_builder(run)
    async with forward_registry_to_remote_builder(run, builder):
        if use_buildx:
            await ensure_builder(run, builder)
        command = build_command(run, builder, use_buildx, output_type, tag_as_dirty=False)
        await run_build(run, command, build_dir)


def build_command(
    run: Run, builder: commands.Builder, use_buildx: bool, output_type: str, *, tag_as_dirty: bool
) -> Command:
    """The mode's own build (buildx, or pack's), or plain ``docker build`` when buildx is missing."""
    config, no_cache = run.config, run.build.no_cache
    if use_buildx or not builder.USES_BUILDX:
        return builder.push(config.secrets, output=output_type, tag_as_dirty=tag_as_dirty, no_cache=no_cache)
    return commands.build_without_buildx(
        config, config.secrets, output=output_type, tag_as_dirty=tag_as_dirty, no_cache=no_cache
    )


def pushes_from_here(run: Run, tools: LocalDocker, output_type: str) -> bool:
    """A local login is needed: the builder pushes from this machine, and something is pushed
    (the image, or a registry build cache)."""
    builder = run.config.builder
    if not tools.builder.LOGIN_LOCALLY:
        return False
    registry_cache = builder.cache is not None and builder.cache.type == "registry"
    return output_type == "registry" or registry_cache


async def inspect_local_docker(run: Run) -> LocalDocker:
    """Docker must be installed; buildx and the daemon's architecture are looked up."""
    local = local_executor(run)
    # both at once: a missing docker client is reported by ensure_local_docker, whichever ends first
    installed, buildx = await asyncio.gather(
        ensure_local_docker(run),
        local.run(LOCALHOST, docker.local_buildx_version(), check=False, log_level="debug"),
        return_exceptions=True,
    )
    if isinstance(installed, BaseException):
        raise installed
    if isinstance(buildx, BaseException):
        raise buildx
    arch: str | None = None
    builder = run.config.builder
    if builder.remote or not buildx.ok:
        info = await local.run(LOCALHOST, docker.local_architecture(), check=False, log_level="debug")
        arch = docker.normalize_arch(info.stdout) if info.ok and info.stdout.strip() else None
    return LocalDocker(buildx=buildx.ok, arch=arch, builder=commands.for_config(run.config, arch))


def choose_build_tool(run: Run, tools: LocalDocker, output_type: str) -> bool:
    """True to build with buildx; False to fall back to ``docker build`` (said so); else an error."""
    config = run.config
    builder = config.builder
    if not tools.builder.USES_BUILDX or tools.buildx:
        return True
    if tools.builder.can_build_without_buildx():
        platform = f"linux/{builder.arches[0]}" if builder.arches else "this machine's platform"
        ignored = [
            name
            for name, value in (
                ("cache", builder.cache),
                ("provenance", builder.provenance),
                ("sbom", builder.sbom),
            )
            if value is not None
        ]
        note = f"; builder {', '.join(ignored)} settings need buildx and are ignored" if ignored else ""
        run.output.warn(
            f"Docker buildx plugin is not installed locally: building for {platform} with "
            f"`docker build` (BuildKit) instead{note}"
        )
        if output_type not in ("registry", "docker"):
            raise BuildError(f"--output={output_type} needs the docker buildx plugin, which is not installed")
        return False
    raise BuildError(f"Docker buildx plugin is not installed locally: {_why_buildx(config, tools)}")


def _why_buildx(config: Config, tools: LocalDocker) -> str:
    builder = config.builder
    platforms = ", ".join(f"linux/{a}" for a in builder.arches)
    if len(builder.arches) > 1:
        return (
            f"it is needed to build for several platforms ({platforms}); install docker-buildx, "
            "or set builder/arch to one platform"
        )
    if builder.remote:
        return f"it is needed for the remote builder {builder.remote}; install docker-buildx"
    if builder.is_cloud:
        return f"it is needed for the cloud builder ({builder.driver}); install docker-buildx"
    here = f"linux/{tools.arch}" if tools.arch else "an unknown platform"
    return f"it is needed to build for {platforms} on this {here} machine; install docker-buildx"


async def prepare_build_directory(run: Run) -> str:
    """The directory to build in: a clean clone of HEAD when no context is set, else here."""
    from pykamal.flows.build_clone import git_state, prepare_clone

    state = await git_state(run)
    if state is None:
        return "."
    if run.config.builder.context is None:
        if state.uncommitted_changes:
            run.output.warn(
                "Building from a local git clone, so ignoring these uncommitted changes:\n "
                + state.uncommitted_changes
            )
        return await prepare_clone(run, state)
    if state.uncommitted_changes:
        run.output.warn("Building with uncommitted changes:\n " + state.uncommitted_changes)
    return "."


def check_dockerfile(run: Run) -> None:
    builder = run.config.builder
    if builder.is_pack:
        return
    if not run.local.workspace.exists(builder.dockerfile):
        raise ConfigError(f"Missing {builder.dockerfile}")


async def ensure_builder(run: Run, builder: commands.Builder) -> None:
    """Check the buildx builder; create it when missing or pointing elsewhere."""
    inspect = builder.inspect()
    if inspect is None:
        return
    local = local_executor(run)
    try:
        result = await local.run(LOCALHOST, inspect, check=False)
    except HostError as exc:
        if run.config.builder.is_pack:
            raise BuildError(f"the pack CLI is not installed locally ({exc.reason})") from None
        raise BuildError(f"cannot check the builder: {exc.reason}") from None
    if result.ok:
        return
    if not commands.builder_missing(result.stderr + result.stdout):
        raise BuildError(f"builder check failed: {_last_line(result)}")
    run.output.warn("Missing compatible builder, so creating a new one first")
    removal = builder.remove()
    if removal is not None:
        await local.run(LOCALHOST, removal, check=False)
    await create_builder(run, builder)


async def create_builder(run: Run, builder: commands.Builder) -> None:
    if run.config.builder.remote and builder.BUILDS_ON_REMOTE_HOST:
        await check_remote_builder(run)
    command = builder.create()
    if command is None:
        return
    run.output.log("debug", f"Using builder: {builder.MODE}")
    result = await local_executor(run).run(LOCALHOST, command, check=False)
    if not result.ok:
        raise BuildError(f"Couldn't create builder: {_last_line(result)}")


async def run_build(run: Run, command: Command, build_dir: str) -> None:
    """Run the build here, in ``build_dir``, showing its output as it comes."""
    show = run.output.verbosity == "info"

    def on_line(_stream: str, line: str) -> None:
        if show:
            run.output.log("info", "\t" + line)

    local = local_executor(run, cwd=None if build_dir == "." else build_dir)
    try:
        await local.run(LOCALHOST, command, on_line=on_line)
    except CommandFailed as exc:
        if run.output.stepping:  # the build's lines were folded into its step: show them now
            for line in run.output.output_of(LOCALHOST):
                run.output.detail(line)
        raise BuildError(explain_build_failure(run, exc.result)) from None
    except HostError as exc:
        raise BuildError(f"build failed: {exc.reason}") from None


def explain_build_failure(run: Run, result: Result) -> str:
    config = run.config
    text = (result.stdout + "\n" + result.stderr).lower()
    detail = _last_line(result)
    builder = config.builder
    if "multiple platforms feature is currently not supported" in text:
        return (
            f"the builder cannot build several platforms at once ({', '.join(builder.arches)}): "
            f"use builder/driver docker-container, or a remote builder ({detail})"
        )
    if "exec format error" in text or "no match for platform" in text:
        return (
            f"building for {', '.join(f'linux/{a}' for a in builder.arches)} needs QEMU emulation "
            f"(binfmt) on the builder or a remote builder of that architecture ({detail})"
        )
    if "buildx component is missing or broken" in text:
        return (
            "this docker client builds with BuildKit only through the buildx plugin, which is missing "
            f"or broken: install docker-buildx ({detail})"
        )
    if "booting buildkit" in text:
        where = f"on the remote builder {builder.remote}" if builder.remote else "on this machine"
        return (
            f"the {builder.driver} builder could not start BuildKit {where} (it runs the "
            f"moby/buildkit image in a privileged container): {detail}"
        )
    if builder.remote and any(m in text for m in ("error during connect", "ssh:", "connection refused")):
        return f"Remote builder {builder.remote} is unreachable: {detail}"
    if any(m in text for m in ("unauthorized", "denied", "authentication required")):
        return (
            f"registry {registry.registry_name(config.registry)} refused the push of "
            f"{config.absolute_image}: {detail}"
        )
    return f"Build failed: {detail}" if detail else f"Build failed with exit status {result.exit_status}"


# --- remote builders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteBuilderHost:
    host: str
    user: str | None
    port: int | None


def remote_builder_host(run: Run) -> RemoteBuilderHost | None:
    """Host, user and port of an ``ssh://`` remote builder (None for other kinds of remote)."""
    remote = run.config.builder.remote
    if not remote:
        return None
    url = urlparse(remote)
    if url.scheme != "ssh" or not url.hostname:
        return None
    return RemoteBuilderHost(url.hostname, url.username, url.port)


@asynccontextmanager
async def builder_executor(run: Run) -> AsyncIterator[tuple[Executor, str]]:
    """An SSH executor reaching the remote builder host with the URL's user and port."""
    target = remote_builder_host(run)
    assert target is not None

    def settings() -> SshSettings:
        import dataclasses

        from pykamal.remote.ssh_settings import SshSettings

        base = SshSettings.from_config(run.config)
        return dataclasses.replace(
            base, user=target.user or base.user, port=target.port or 22, proxy=None, proxy_command=None
        )

    async with run.local.connect(settings) as executor:
        yield executor, target.host


async def check_remote_builder(run: Run) -> None:
    """Fail early, naming the builder, when an ``ssh://`` remote builder cannot be reached."""
    if remote_builder_host(run) is None:
        return
    async with builder_executor(run) as (executor, host):
        try:
            await executor.run(host, cmd("true"), timeout=60, log_level="debug")
        except HostError as exc:
            raise BuildError(
                f"Remote builder {run.config.builder.remote} is unreachable: {exc.reason}"
            ) from None


@asynccontextmanager
async def forward_registry_to_remote_builder(run: Run, builder: commands.Builder) -> AsyncIterator[None]:
    """With a local registry, a remote builder pushes to it through a reverse tunnel."""
    port = run.config.registry.local_port
    if not run.config.registry.is_local or not builder.BUILDS_ON_REMOTE_HOST or not port:
        yield
        return
    from pykamal.flows.port_forwarding import forward_local_port

    async with (
        builder_executor(run) as (executor, host),
        forward_local_port(executor, [host], port, output=run.output),
    ):
        yield


# --- pull ------------------------------------------------------------------------------------------

PULL_STEP = "pull"
DAEMON_DOWN = "Cannot connect to the Docker daemon"


async def pull(run: Run) -> None:
    """Pull the image on the selected app hosts. Runs no command on this machine.

    One remote command per host logs in, pulls and checks the label. Where there are several
    hosts and the image is on Docker Hub (the only registry Docker's ``registry-mirrors`` serve),
    it first reads the host's registry mirror: a host with one stops there, and pulls once one
    host per mirror has seeded it. Kamal seeds mirrors for images on any registry, where they
    cannot help: this skips that round.
    """
    config = run.config
    hosts = run.selection.app_hosts
    if not hosts:
        return
    await run.pre_connect()
    login = registry.login_command(config)
    for host in hosts:  # a host waiting for its mirror to be seeded stays in this step
        run.output.begin_step(host, PULL_STEP)
    async with forward_registry_to_hosts(run, hosts):
        check_mirror = len(hosts) > 1 and commands.mirrors_can_serve(config.absolute_image)
        mirrors = await pull_on_hosts(run, hosts, login=login, check_mirror=check_mirror)
        if mirrors:
            seeds: dict[str, str] = {}
            for host in hosts:
                if host in mirrors:
                    seeds.setdefault(mirrors[host], host)
            first = list(seeds.values())
            noun = "mirror" if len(first) == 1 else "mirrors"
            run.output.say(f"Pulling image on {', '.join(first)} to seed the {noun}...")
            await pull_on_hosts(run, first)
            rest = [h for h in hosts if h in mirrors and h not in first]
            if rest:
                run.output.say("Pulling image on remaining hosts...")
                await pull_on_hosts(run, rest)


@asynccontextmanager
async def forward_registry_to_hosts(run: Run, hosts: Iterable[str]) -> AsyncIterator[None]:
    port = run.config.registry.local_port
    if not run.config.registry.is_local or not port:
        yield
        return
    from pykamal.flows.port_forwarding import forward_local_port

    async with forward_local_port(run.executor, hosts, port, output=run.output):
        yield


async def pull_on_hosts(
    run: Run, hosts: Iterable[str], *, login: Command | None = None, check_mirror: bool = False
) -> dict[str, str]:
    """Pull on ``hosts`` in parallel; returns the hosts that stopped at their registry mirror."""
    from pykamal.remote.identity import performer

    config = run.config
    record = auditor.record(
        config, f"Pulled image with version {config.version}", performer=performer(), at=datetime.now(UTC)
    )
    command = commands.pull_on_host(config, audit=record, login=login, check_mirror=check_mirror)

    async def one(host: str) -> str | None:
        try:
            result = await run.executor.run(host, command, check=False)
        except BaseException as exc:
            run.output.end_step(host, PULL_STEP, error=exc)
            raise
        if not result.ok:
            reason = pull_failure(run, result)
            run.output.end_step(host, PULL_STEP, error=reason)
            raise HostError(host, reason, f"{reason} (on {host})")
        mirror = commands.stopped_at_mirror(result.stdout)
        if not mirror:
            run.output.end_step(host, PULL_STEP)
        return mirror

    found = await run_on(hosts, one)
    return {host: mirror for host, mirror in found.items() if mirror}


def pull_failure(run: Run, result: Result) -> str:
    """Why ``pull_on_host`` failed on a host (without the host name), from the step's exit status."""
    config = run.config
    name = registry.registry_name(config.registry)
    detail = _last_line(result)
    status = result.exit_status
    from pykamal.remote.result import DOCKER_MISSING_FIX, docker_missing

    if docker_missing(result):
        return DOCKER_MISSING_FIX
    if DAEMON_DOWN in result.stderr + result.stdout:  # any step: login, mirror read or pull
        return "cannot connect to the Docker daemon (is it running?)"
    if status == commands.LOGIN_FAILED:
        return registry.login_failure(config.registry, result)
    if status == commands.MIRROR_UNREADABLE:
        if "nil pointer" in detail:
            # `docker info --format` prints only a template error when the daemon does not answer
            detail = "cannot connect to the Docker daemon (is it running?)"
        return f"could not read the registry mirrors: {detail}"
    if status == commands.LABEL_MISSING:
        return (
            f"Image {config.absolute_image} is missing the 'service' label (service={config.service}, "
            f"registry {name}): refusing an image not built for this service"
        )
    text = (result.stderr + "\n" + result.stdout).lower()
    if status != commands.PULL_FAILED:
        return f"pulling {config.absolute_image} from registry {name} failed (exit {status}): {detail}"
    if "manifest unknown" in text or "not found" in text:
        return (
            f"image {config.absolute_image} does not exist in registry {name} "
            f"(tag {config.version} was never pushed?): {detail}"
        )
    if any(m in text for m in ("unauthorized", "denied", "no basic auth credentials", "authentication")):
        return f"registry {name} refused to serve {config.absolute_image} (check the credentials): {detail}"
    if config.registry.is_local and ("connection refused" in text or "dial tcp" in text):
        return (
            f"the local registry {config.registry.server} is not reachable through the SSH tunnel "
            f"(is it running? `pykamal registry setup`): {detail}"
        )
    return f"docker pull {config.absolute_image} failed: {detail}"


# --- deliver ---------------------------------------------------------------------------------------


async def deliver(run: Run) -> None:
    """``push`` then ``pull``; the app hosts' connections open while the image builds."""
    await run.pre_connect()
    opening = [asyncio.ensure_future(run.executor.connect(host)) for host in run.selection.app_hosts]
    try:
        await push(run)
        await pull(run)  # a host's first command waits for its connection (or its failure)
    finally:
        for task in opening:
            task.cancel()
        await asyncio.gather(*opening, return_exceptions=True)


# --- builder setup, details, dev -------------------------------------------------------------------


async def create(run: Run) -> None:
    tools = await inspect_local_docker(run)
    if not tools.buildx and tools.builder.USES_BUILDX:
        raise BuildError("Docker buildx plugin is not installed locally: it is needed to create a builder")
    await create_builder(run, tools.builder)


async def remove(run: Run) -> None:
    tools = await inspect_local_docker(run)
    command = tools.builder.remove()
    if command is not None:
        await local_executor(run).run(LOCALHOST, command)


async def details(run: Run) -> None:
    tools = await inspect_local_docker(run)
    run.output.puts(f"Builder: {tools.builder.MODE}")
    result = await local_executor(run).run(LOCALHOST, tools.builder.info())
    run.output.puts(result.stdout.rstrip("\n"))


async def dev(run: Run) -> None:
    """Build the working tree (tags suffixed ``-dirty``), warning about files git does not have."""
    output_type = run.build.output or "docker"
    tools = await inspect_local_docker(run)
    use_buildx = choose_build_tool(run, tools, output_type)
    await warn_about_dirty_files(run)
    if use_buildx:
        await ensure_builder(run, tools.builder)
    await run_build(run, build_command(run, tools.builder, use_buildx, output_type, tag_as_dirty=True), ".")


async def warn_about_dirty_files(run: Run) -> None:
    from pykamal.commands import git

    context = commands.build_context(run.config)
    prefix = "" if os.path.normpath(context) == "." else os.path.normpath(context) + "/"
    included = {prefix + path for path in run.local.workspace.context_files(context)}
    local = local_executor(run)
    listings = []
    for command in (git.uncommitted_files(), git.untracked_files()):
        try:
            result = await local.run(LOCALHOST, command, check=False, log_level="debug")
            listings.append(set(result.stdout.split("\n")) - {""} if result.ok else set())
        except HostError:
            listings.append(set())
    uncommitted, untracked = listings
    for title, files in (
        ("Files with uncommitted changes will be present in the dev container:", included & uncommitted),
        ("Untracked files will be present in the dev container:", included & untracked),
    ):
        if files:
            run.output.warn("WARNING: " + title)
            for path in sorted(files):
                run.output.warn(f"  {path}")


def _last_line(result: Result) -> str:
    for text in (result.stderr, result.stdout):
        for line in reversed(text.splitlines()):
            if line.strip():
                return line.strip()
    return ""


__all__ = [
    "BuildError",
    "create",
    "deliver",
    "details",
    "dev",
    "pull",
    "push",
    "remove",
]
