"""``deploy``, ``redeploy``, ``setup``, ``rollback``, ``remove`` and ``details``, in Kamal's order.

deploy:  image (build+push+pull, or pull with --skip-push) → lock → pre-deploy hook → proxy running
         → (setup: accessories) → stale containers stopped → app boot → prune → unlock → post-deploy.

Kamal's steps are kept, but a host's reads are made in one command and each container's boot in
another, so a host sees a handful of SSH commands instead of dozens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykamal.commands import app
from pykamal.commands import prune as prune_commands
from pykamal.commands.base import Command, chain, combine
from pykamal.config.names import tag_problem
from pykamal.errors import PykamalError, RemoteError, UsageError
from pykamal.flows.common import Runtime, audit, confirm, locked
from pykamal.remote.executor import run_on

if TYPE_CHECKING:
    from pykamal.config.extensions import Canary
    from pykamal.config.model import Config
    from pykamal.flows.context import Run
    from pykamal.flows.host_state import HostState


async def deliver_image(run: Run, *, skip_push: bool) -> None:
    from pykamal.flows import build

    if skip_push or run.plan:
        if not skip_push:  # a plan runs nothing: not even the local build
            run.output.say(f"Build and push app image... (plan: {run.config.absolute_image} is not built)")
        run.output.say("Pull app image...")
        await build.pull(run)
    else:
        run.output.say("Build and push app image...")
        await build.deliver(run)


async def deploy(
    run: Run,
    *,
    skip_push: bool = False,
    rollback_on_failure: bool = True,
    boot_accessories: bool = False,
    redeploy: bool = False,
    skip_release: bool = False,
    canary: Canary | None = None,
) -> None:
    """Deploy (or, with ``redeploy``, deploy without proxy boot and prune) the run's version.

    ``canary`` (enabled): the proxied roles' first hosts boot and are watched before the rest.
    """
    if canary is not None and canary.enabled:
        from pykamal.flows import canary as canary_flow

        canary_flow.check_host_count(run, canary)
    else:
        canary = None
    from pykamal.flows import notify

    async with notify.session(run):
        runtime = Runtime(run)
        try:
            await run.pre_connect()
            await deliver_image(run, skip_push=skip_push)
            async with locked(run):
                await run.hook("pre-deploy", with_secrets=True)
                states = await probe(run, with_proxy=not redeploy)
                notify.started(run, running_version(run, states))
                if not redeploy:
                    from pykamal.flows import proxy

                    run.output.say("Ensure kamal-proxy is running...")
                    await proxy.ensure_running(run, {h: s.values for h, s in states.items()})
                if boot_accessories:
                    from pykamal.flows import accessory

                    await accessory.boot(run, accessory.ALL)
                if not skip_release:
                    from pykamal.flows import release

                    await release.run_release(run)
                run.output.say("Detect stale containers...")
                await boot_app(
                    run, states, rollback_on_failure=rollback_on_failure, prune=not redeploy, canary=canary
                )
        finally:
            runtime.finish()
        await run.hook("post-deploy", with_secrets=True, runtime=round(runtime.seconds))


def running_version(run: Run, states: dict[str, HostState]) -> str | None:
    """The version the primary role runs on the primary host before the deploy (None: nothing yet)."""
    state = states.get(run.selection.primary_host)
    role = run.selection.primary_role
    if state is None or role is None:
        return None
    return state.current(role)


async def probe(run: Run, *, with_proxy: bool) -> dict[str, HostState]:
    """One command per host: the network and proxy state (deploy) and every role's state."""
    from pykamal.flows import app_boot, proxy
    from pykamal.flows.host_state import HostState

    config = run.config

    async def one(host: str) -> HostState:
        prepare, reads = proxy.probe_steps(run, host) if with_proxy else ([], [])
        command = app_boot.probe_command(run, config, host, prepare=prepare, reads=reads)
        result = await run.executor.run(host, command)
        return HostState.parse(host, result.stdout, config)

    return await run_on(run.selection.hosts, one, output=run.output, step="inspect")


async def boot_app(
    run: Run,
    states: dict[str, HostState],
    *,
    rollback_on_failure: bool,
    prune: bool,
    canary: Canary | None = None,
) -> None:
    from pykamal.flows import app_boot

    config = run.config
    record = audit(run)
    app_hosts = set(run.selection.app_hosts)

    def finish(host: str) -> list[Command]:
        return prune_commands.everything(config, record) if prune else []

    if canary is not None:
        from pykamal.flows import canary as canary_flow

        await canary_flow.deploy(run, states, canary, rollback_on_failure=rollback_on_failure, finish=finish)
    else:
        await app_boot.boot(
            run, states=states, stop_stale=True, rollback_on_failure=rollback_on_failure, finish=finish
        )
    if prune:
        others = [h for h in run.selection.hosts if h not in app_hosts]
        if others:
            command = combine(*prune_commands.everything(config, record))
            await run_on(
                others, lambda host: run.executor.run(host, command), output=run.output, step="prune"
            )


async def setup(
    run: Run, *, skip_push: bool = False, rollback_on_failure: bool = True, skip_release: bool = False
) -> None:
    from pykamal.flows import notify

    async with notify.session(run):
        runtime = Runtime(run)
        try:
            async with locked(run):
                run.output.say("Ensure Docker is installed...")
                await bootstrap(run)
                await deploy(
                    run,
                    skip_push=skip_push,
                    rollback_on_failure=rollback_on_failure,
                    boot_accessories=True,
                    skip_release=skip_release,
                )
        finally:
            runtime.finish()


DOCKER_MISSING = (
    "Docker is not installed on {hosts} and can't be automatically installed without having root access "
    "and either `wget` or `curl`. Install Docker manually: https://docs.docker.com/engine/install/"
)


async def bootstrap(run: Run) -> None:
    """``server bootstrap``: Docker on every host (installed when missing and possible)."""
    from pykamal.commands import docker

    missing: list[str] = []

    async def one(host: str) -> None:
        if (await run.executor.run(host, docker.installed(), check=False)).ok:
            return
        if not (await run.executor.run(host, docker.superuser(), check=False)).ok:
            missing.append(host)
            return
        run.output.log("info", f"Missing Docker on {host}. Installing…")
        await run.executor.run(host, docker.install())
        if (await run.executor.run(host, docker.root(), check=False)).ok:
            return
        if (await run.executor.run(host, docker.in_docker_group(), check=False)).ok:
            return
        await run.executor.run(host, docker.add_to_docker_group())
        # ends the session's shell so the new group applies; the connection may drop
        if not (await run.executor.run(host, docker.refresh_session(), check=False)).ok:
            run.output.log("info", "Session refreshed due to group change.")

    await run_on(run.selection.hosts, one, output=run.output, label="docker check")
    if missing:
        raise RemoteError(DOCKER_MISSING.format(hosts=", ".join(missing)))
    await run.hook("docker-setup")


@dataclass(frozen=True)
class ContainerRun:
    version: str
    created: str
    finished: str
    running: bool


async def container_history(run: Run) -> dict[tuple[str, str], list[ContainerRun]]:
    """Every (host, role)'s containers: version, creation and stop times, whether it runs."""
    config = run.config

    async def one(host: str) -> dict[str, list[ContainerRun]]:
        roles = run.selection.roles_on(host)
        command = chain(*(app.history(config, role) for role in roles))
        result = await run.executor.run(host, command, check=False)
        return parse_history(result.stdout, [r.name for r in roles], config)

    found = await run_on(run.selection.app_hosts, one)
    return {(host, role): runs for host, by_role in found.items() for role, runs in by_role.items()}


def parse_history(stdout: str, roles: list[str], config: Config) -> dict[str, list[ContainerRun]]:
    by_role: dict[str, list[ContainerRun]] = {role: [] for role in roles}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        name = parts[0].lstrip("/")
        for role in roles:
            prefix = config.role(role).container_prefix + "-"
            if name.startswith(prefix) and "_replaced_" not in name:
                by_role[role].append(
                    ContainerRun(name[len(prefix) :], parts[1], parts[2], parts[3] == "true")
                )
    return by_role


def previous_versions(
    history: dict[tuple[str, str], list[ContainerRun]], primary: tuple[str, str]
) -> list[str]:
    """Versions with a container for every (host, role), the likeliest previous one first.

    The previous version is the one whose container stopped closest to when the running one was
    created (it was switched away from then); a failed deploy's container stopped much later.
    Creation, not start: switching back after a failed deploy restarts the old container.
    """
    pairs = list(history.values())
    if not pairs:
        return []
    common = set.intersection(*({c.version for c in runs} for runs in pairs))
    runs = history.get(primary) or pairs[0]
    current = next((c for c in runs if c.running), None)

    def distance(c: ContainerRun) -> float:
        finished = _timestamp(c.finished)
        if current is None:
            return -finished
        return abs(finished - _timestamp(current.created))

    stopped = [c for c in runs if not c.running and c.version in common]
    ordered = sorted(stopped, key=distance)
    return list(dict.fromkeys(c.version for c in ordered))


def _timestamp(text: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return 0.0


async def choose_previous_version(run: Run) -> str:
    history = await container_history(run)
    primary_role = run.selection.primary_role
    primary = (run.selection.primary_host, primary_role.name if primary_role else "")
    candidates = previous_versions(history, primary)
    running = sorted({c.version for runs in history.values() for c in runs if c.running})
    run.output.say(f"Versions on every host, likeliest previous first: {', '.join(candidates) or 'none'}")
    if not candidates:
        raise PykamalError(
            "No previous version is available as a container on every host "
            "(use 'pykamal app containers' to see what is there)"
        )
    run.output.say(f"Rolling back to {candidates[0]} (running now: {', '.join(running) or 'none'})")
    return candidates[0]


def version_everywhere(history: dict[tuple[str, str], list[ContainerRun]], version: str) -> bool:
    return bool(history) and all(any(c.version == version for c in runs) for runs in history.values())


def version_running(history: dict[tuple[str, str], list[ContainerRun]], run: Run) -> str | None:
    """The version running for the primary role on the primary host (None: none runs)."""
    role = run.selection.primary_role
    runs = history.get((run.selection.primary_host, role.name if role else ""), [])
    return next((c.version for c in runs if c.running), None)


async def rollback(run: Run, version: str | None = None, *, rollback_on_failure: bool = True) -> None:
    """Boot an older version whose containers are still on every app host (default: the previous one).

    Without a version, the versions present on every host are listed and the newest one that is not
    running now is chosen (before taking the lock, so the lock names the version rolled back to).
    """
    from dataclasses import replace

    from pykamal.flows import app_boot, notify

    problem = tag_problem(version) if version is not None else None
    if problem:
        raise UsageError(f"rollback VERSION: {problem}")
    async with notify.session(run):
        runtime = Runtime(run)
        rolled_back = False
        try:
            if version is None:
                await run.pre_connect()
                version = await choose_previous_version(run)
            run = replace(run, config=run.config.with_version(version))
            run.output.run_version(version)
            async with locked(run):
                history = await container_history(run)
                if not version_everywhere(history, version):
                    raise PykamalError(
                        f"The app version '{version}' is not available as a container "
                        "(use 'pykamal app containers' for available versions)"
                    )
                notify.started(run, version_running(history, run))
                await run.hook("pre-deploy", with_secrets=True)
                from pykamal.flows.release import skipped_note

                note = skipped_note(run)
                if note:
                    run.output.say(note)
                await app_boot.boot(run, rollback_on_failure=rollback_on_failure)
                rolled_back = True
        finally:
            runtime.finish()
        if rolled_back:
            await run.hook("post-deploy", with_secrets=True, runtime=round(runtime.seconds))


async def remove(run: Run, *, confirmed: bool = False) -> None:
    """App, proxy, accessories and the registry session, from every host."""
    from pykamal.flows import app as app_flow
    from pykamal.flows import proxy

    if not confirm(
        "Deletes the app, kamal-proxy and accessories with their images from every host. Are you sure?",
        confirmed,
    ):
        run.output.say("Aborted", "red")
        return
    async with locked(run):
        await app_flow.remove(run)
        await proxy.remove(run)
        if run.config.accessories:
            from pykamal.flows import accessory

            await accessory.remove(run, accessory.ALL)
        from pykamal.flows import registry

        await registry.remove(run, skip_local=True)


async def details(run: Run) -> None:
    from pykamal.flows import app as app_flow
    from pykamal.flows import proxy

    await proxy.details(run)
    await app_flow.details(run)
    if run.config.accessories:
        from pykamal.flows import accessory

        await accessory.details(run, accessory.ALL)
