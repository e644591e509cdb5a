"""``app boot``: put a version on every app host, role by role, with no request dropped.

Per host it costs one command to read the state (current version, running versions, clashing
container), one command per role to boot (env file through stdin, ``docker run``, the proxy
switch or the readiness poll, stopping the old container) and one to tag the image as latest.

If a container fails after others already switched, those are switched back to the version they
ran before, so the fleet never stays mixed (``rollback_on_failure=False`` keeps Kamal's behaviour:
the switched hosts stay on the new version).

A boot whose result never comes back (the run is interrupted by Ctrl-C or SIGTERM, the connection
breaks, the command times out) would carry on without the deploy lock, so it is stopped on its
host and the previous version made live again, before the lock is released.
"""

from __future__ import annotations

import asyncio
import secrets as _random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from pykamal.commands import app, env_file
from pykamal.commands.auditor import Audit
from pykamal.commands.base import Command, combine, concurrently
from pykamal.errors import RemoteError
from pykamal.flows import diagnosis
from pykamal.flows.common import NotStarted, failure_summary, on_roles, sleep
from pykamal.flows.common import audit as make_audit
from pykamal.flows.host_state import HostState
from pykamal.remote.executor import run_on
from pykamal.remote.result import HostError, Result, describe_failure

if TYPE_CHECKING:
    from pykamal.config.model import Config, Role
    from pykamal.flows.context import Run


@dataclass(frozen=True)
class Booted:
    host: str
    role: Role
    old_version: str | None
    marker: str = ""

    @property
    def key(self) -> str:
        return f"{self.host} ({self.role.name})"


STOP_UNFINISHED_TIMEOUT = 20.0  # seconds to reach a host again and undo a boot left running there


class BootFailed(HostError):
    """A container did not become live; ``reason`` is the last line the host gave."""


class Barrier:
    """The first container of the primary role opens it; the other roles wait for it."""

    def __init__(self) -> None:
        self._future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def open(self) -> bool:
        if self._future.done():
            return False
        self._future.set_result(True)
        return True

    def close(self) -> bool:
        if self._future.done():
            return False
        self._future.set_result(False)
        return True

    async def wait(self) -> bool:
        return await asyncio.shield(self._future)


def probe_command(
    run: Run,
    config: Config,
    host: str,
    *,
    prepare: Sequence[Command] = (),
    reads: Sequence[Command] = (),
) -> Command:
    """One command: ``prepare`` steps, then the service's containers and images (and ``reads``) at once."""
    queries = list(reads)
    if run.selection.roles_on(host):
        queries += [app.service_containers(config), app.service_images(config)]
    return combine(*prepare, concurrently(*queries))


async def probe(run: Run, config: Config, hosts: Sequence[str]) -> dict[str, HostState]:
    async def one(host: str) -> HostState:
        result = await run.executor.run(host, probe_command(run, config, host))
        return HostState.parse(host, result.stdout, config)

    return await run_on(hosts, one)


def boot_groups(run: Run, hosts: Sequence[str]) -> list[list[str]]:
    limit = run.config.boot.limit
    if not limit:
        return [list(hosts)]
    return [list(hosts[i : i + limit]) for i in range(0, len(hosts), limit)]


async def boot(
    run: Run,
    *,
    version: str | None = None,
    states: dict[str, HostState] | None = None,
    stop_stale: bool = False,
    rollback_on_failure: bool = True,
    finish: Callable[[str], list[Command]] | None = None,
    wanted: Callable[[str, Role], bool] | None = None,
    booted: list[Booted] | None = None,
    settle: bool = True,
) -> None:
    """Boot ``version`` (default: the run's version) of every selected role on its hosts.

    ``wanted`` limits the boot to some (host, role) pairs (a canary and the rest of the fleet).
    ``booted`` collects what went live; the ones already in it count as live from an earlier call:
    a failure switches them back too. ``settle=False`` leaves out tagging and cleaning up (a canary
    phase: the rest of the fleet settles every host).
    """
    config = run.config.with_version(version) if version else run.config
    run.output.say(f"Start container with version {config.version} (or reboot if already running)...")
    booting = Boot(
        run,
        config,
        stop_stale=stop_stale,
        rollback_on_failure=rollback_on_failure,
        wanted=wanted,
        booted=booted,
    )
    hosts = booting.hosts()
    booting.states = states if states is not None else await probe(run, config, hosts)
    await prepare(run, config, hosts, booting.states)
    booting.open_barrier_without_primary(hosts)
    for group in boot_groups(run, hosts):
        await booting.group(group)
    if settle:
        await booting.settle(finish)


class Boot:
    """One version booting on the selected hosts, group by group (``boot.limit``).

    The first container of the primary role opens the barrier for the other roles. A group that
    fails or is interrupted is recovered in one place (``recover``): boots whose result never came
    back are stopped on their hosts, and containers already switched go back to their old version.
    """

    def __init__(
        self,
        run: Run,
        config: Config,
        *,
        stop_stale: bool = False,
        rollback_on_failure: bool = True,
        wanted: Callable[[str, Role], bool] | None = None,
        booted: list[Booted] | None = None,
    ) -> None:
        self.run = run
        self.config = config
        self.output = run.output
        self.states: dict[str, HostState] = {}
        self.stop_stale = stop_stale
        self.rollback_on_failure = rollback_on_failure
        self.wanted = wanted
        self.audit = make_audit(run, config)
        self.barrier = Barrier()
        self.primary_role = run.selection.primary_role
        self.booted: list[Booted] = booted if booted is not None else []
        self.in_flight: dict[tuple[str, str], Booted] = {}  # until its result is in
        self.failures: list[diagnosis.BootReport] = []

    def pending(self, host: str, role: Role) -> bool:
        """Whether this boot puts ``role`` on ``host`` (all of them unless limited by ``wanted``)."""
        return self.wanted is None or self.wanted(host, role)

    def hosts(self) -> tuple[str, ...]:
        """The app hosts with at least one role to boot."""
        selection = self.run.selection
        return tuple(h for h in selection.app_hosts if any(self.pending(h, r) for r in selection.roles_on(h)))

    def open_barrier_without_primary(self, hosts: Sequence[str]) -> None:
        """The primary role's containers are live already (or not part of this boot): nothing to wait for."""
        primary = self.primary_role
        if primary is not None and not any(self.pending(h, primary) for h in primary.hosts if h in hosts):
            self.barrier.open()

    async def group(self, hosts: list[str]) -> None:
        """Boot every role on ``hosts``, between the pre- and post-app-boot hooks."""
        run = self.run
        await run.hook("pre-app-boot", hosts=tuple(hosts))
        try:
            await on_roles(run, hosts, self.boot_one, parallel_roles=run.config.boot.parallel_roles)
        except asyncio.CancelledError:
            await self.recover()
            raise
        except Exception as exc:
            raise RemoteError(await self.recover(exc)) from exc
        await run.hook("post-app-boot", hosts=tuple(hosts))
        await sleep(run, run.config.boot.wait)

    async def boot_one(self, host: str, role: Role) -> None:
        """Boot one role on one host; the primary role's first container decides the barrier."""
        if not self.pending(host, role):
            return
        gatekeeper = self.primary_role is not None and role == self.primary_role
        try:
            with self.output.step(host, f"boot {role.name}"):
                await self.boot_container(host, role, gatekeeper)
        except asyncio.CancelledError:
            self.barrier.close()
            raise
        except BaseException:
            if gatekeeper and self.barrier.close():
                self.output.log(
                    "info", f"First {role.name} container is unhealthy on {host}, not booting any other roles"
                )
            raise
        if gatekeeper and self.barrier.open():
            self.output.log(
                "info", f"First {role.name} container is healthy on {host}, booting any other roles"
            )

    async def boot_container(self, host: str, role: Role, gatekeeper: bool) -> None:
        state = self.states.get(host) or HostState(host, config=self.config)
        old_version, rename_to = self.replacing(state, host, role)
        if self.primary_role is not None and not gatekeeper:
            await self.wait_at_barrier(host, role, self.primary_role.name)
        marker = app.boot_marker_path(self.config, role, _random.token_hex(8))
        command = self.boot_command(state, host, role, old_version, rename_to, marker)
        how = "switching the proxy to it" if role.running_proxy else "waiting until it is ready"
        self.output.log("info", f"Booting {app.container_name(self.config, role)} on {host}, {how}...")
        item = Booted(host, role, old_version, marker)
        self.in_flight[host, role.name] = item  # an interrupt must stop it on the host
        result = await self.run.executor.run(host, command, check=False, log_level="debug")
        del self.in_flight[host, role.name]
        if not result.ok:
            await self.failed(host, role, result, marker)
        self.booted.append(item)

    def replacing(self, state: HostState, host: str, role: Role) -> tuple[str | None, str | None]:
        """The version the new container replaces, and the name to move a same-version container to."""
        config = self.config
        old_version = state.current(role)
        if not state.exists(role, config.version):
            return old_version, None
        rename_to = app.replaced_version(config.version, _random.token_hex(8))
        self.output.log(
            "info", f"Renaming container {config.version} to {rename_to} as already deployed on {host}"
        )
        return (rename_to if old_version == config.version else old_version), rename_to

    def boot_command(
        self,
        state: HostState,
        host: str,
        role: Role,
        old_version: str | None,
        rename_to: str | None,
        marker: str,
    ) -> Command:
        config = self.config
        _, content = env_file.role_env_file(config, role, host, config.secrets)
        stale = [v for v in state.stale(role) if v != config.version] if self.stop_stale else ()
        return app.boot(
            config,
            role,
            host,
            hostname=app.hostname(host, _random.token_hex(6)),
            env_content=content,
            audit=self.audit,
            rename_to=rename_to,
            stale_versions=stale,
            old_version=old_version,
            marker=marker,
        )

    async def failed(self, host: str, role: Role, result: Result, marker: str) -> NoReturn:
        """Read why the container failed (kept for the diagnosis) and raise ``BootFailed``."""
        reason = _last_line(result.stderr) or _last_line(result.stdout) or f"exit status {result.exit_status}"
        report = await fetch_failure(self.run, self.config, host, role, reason, marker)
        self.failures.append(report)
        raise BootFailed(
            host,
            f"Failed to boot {role.name}: {report.what}",
            f"Failed to boot {role.name} on {host}: {report.what}",
        )

    async def wait_at_barrier(self, host: str, role: Role, primary: str) -> None:
        log = self.output.log
        log(
            "info",
            f"Waiting for the first healthy {primary} container before booting {role.name} on {host}...",
        )
        if not await self.barrier.wait():
            log("info", f"First {primary} container is unhealthy, not booting {role.name} on {host}")
            raise NotStarted(host, f"First {primary} container is unhealthy, not booting {role.name}")
        log("info", f"First {primary} container is healthy, booting {role.name} on {host}...")

    async def recover(self, error: Exception | None = None) -> str:
        """After a failure (``error``) or an interrupt (None): stop the boots whose result never came
        back, switch already switched containers back (unless --no-rollback); the summary."""
        self.barrier.close()
        lines = []
        if error is not None:
            diagnosis.show(self.output, self.failures)
            lines.append(failure_summary(error))
        unfinished = list(self.in_flight.values())
        if unfinished:  # interrupted, the connection broke or the command timed out: it may still run
            if error is None:
                where = ", ".join(item.key for item in unfinished)
                self.output.say(f"Interrupted while booting; stopping the boot on {where}...", "yellow")
            lines.append(await stop_unfinished(self.run, self.config, unfinished, self.audit))
        if self.rollback_on_failure and self.booted:
            reason = "\n".join(lines) if error is not None else "interrupted"
            lines.append(await switch_back(self.run, self.config, self.booted, self.audit, reason))
        elif self.booted and error is not None:
            switched = ", ".join(item.key for item in self.booted)
            lines.append(f"Still on version {self.config.version} (--no-rollback): {switched}")
        return "\n".join(lines)

    async def settle(self, finish: Callable[[str], list[Command]] | None) -> None:
        """Finish every app host (the ones this boot left alone too)."""
        await run_on(
            self.run.selection.app_hosts,
            lambda host: self.finish_host(host, finish),
            output=self.output,
            step="prune" if finish is not None else "finish",
        )

    async def finish_host(self, host: str, finish: Callable[[str], list[Command]] | None) -> None:
        """Tag the image as latest, clean up, and whatever the caller adds (e.g. pruning)."""
        config = self.config
        steps = app.tag_latest(config, self.audit) + app.clean_up(config, self.run.selection.roles_on(host))
        if finish is not None:
            steps += finish(host)
        await self.run.executor.run(host, combine(*steps))


async def fetch_failure(
    run: Run, config: Config, host: str, role: Role, reason: str, marker: str | None = None
) -> diagnosis.BootReport:
    """Read what the failed container left (logs, state, kamal-proxy's health check), and stop it."""
    result = await run.executor.run(host, app.failure_report(config, role, marker), check=False)
    name = app.container_name(config, role)
    return diagnosis.parse_report(host, role, name, reason, result.stdout)


async def switch_back(
    run: Run, config: Config, booted: list[Booted], audit: Audit, reason: str = "", *, optional: bool = True
) -> str:
    """Switch every already switched container back to the version it replaced (because of
    ``reason``); return a summary. ``optional=False``: --no-rollback does not keep it (a canary)."""
    targets = [b for b in booted if b.old_version]
    without = [b for b in booted if not b.old_version]
    lines: list[str] = []
    if targets:
        hint = " (use --no-rollback to keep it)" if optional else ""
        run.output.say(
            f"Switching back to the previous version where the new one already went live{hint}...", "yellow"
        )

    def back(item: Booted) -> Command:
        previous = run.config.with_version(item.old_version or "")
        return app.switch_back(
            previous, item.role, item.host, failed_version=config.version, audit=audit.for_version(previous)
        )

    failed = await on_containers(run, targets, back)
    for item in targets:
        key = item.key
        if key in failed:
            lines.append(
                f"Could not switch {key} back to version {item.old_version}: {describe_failure(failed[key])}"
            )
        else:
            lines.append(f"Switched {key} back to version {item.old_version}")
    for item in without:
        lines.append(f"{item.host} ({item.role.name}) had no previous version and stays on {config.version}")
    _tell_rolled_back(
        run,
        [item for item in targets if item.key not in failed],
        reason or f"version {config.version} failed",
    )
    for line in lines:
        run.output.say(line, "yellow")
    return "\n".join(lines)


def _tell_rolled_back(run: Run, back_on: list[Booted], reason: str) -> None:
    """The deploy notifications hear of the hosts switched back."""
    from pykamal.flows import notify

    notify.rolled_back(
        run,
        hosts=list(dict.fromkeys(item.host for item in back_on)),
        to_version=back_on[0].old_version if back_on else None,
        reason=reason,
    )


async def stop_unfinished(run: Run, config: Config, unfinished: list[Booted], audit: Audit) -> str:
    """Stop boots whose result never came back (interrupt, lost connection, timeout) on their hosts and
    put the previous version back; return a summary. A host that cannot be reached in time is reported.
    """

    def abandon(item: Booted) -> Command:
        previous = run.config.with_version(item.old_version) if item.old_version else None
        return app.abandon_boot(
            config, item.role, item.host, marker=item.marker, previous=previous, audit=audit
        )

    failed = await on_containers(run, unfinished, abandon, timeout=STOP_UNFINISHED_TIMEOUT)
    lines = []
    for item in unfinished:
        key = item.key
        if key in failed:
            line = f"Could not stop the boot on {key}: {describe_failure(failed[key])}"
            run.output.warn(line)
        elif item.old_version:
            line = f"Stopped the boot on {key}, back on version {item.old_version}"
            run.output.say(line, "yellow")
        else:
            line = f"Stopped the boot on {key} and its new container"
            run.output.say(line, "yellow")
        lines.append(line)
    return "\n".join(lines)


async def on_containers(
    run: Run,
    items: Sequence[Booted],
    command_for: Callable[[Booted], Command],
    *,
    timeout: float | None = None,
) -> dict[str, BaseException]:
    """Run one command per booted container, all at once; return the failures by ``host (role)``.
    ``timeout`` bounds each host's whole attempt, connecting again included."""
    by_key = {item.key: item for item in items}

    async def one(key: str) -> None:
        item = by_key[key]
        try:
            await asyncio.wait_for(run.executor.run(item.host, command_for(item)), timeout)
        except TimeoutError:
            raise HostError(item.host, f"not done within {timeout:g} s") from None

    try:
        await run_on(by_key, one)
    except Exception as exc:
        from pykamal.remote.result import FanOutError

        return dict(exc.failures) if isinstance(exc, FanOutError) else dict.fromkeys(by_key, exc)
    return {}


async def prepare(run: Run, config: Config, hosts: Sequence[str], states: dict[str, HostState]) -> None:
    """Error pages, asset bridging and custom TLS certificates, on every app host before booting."""
    from pykamal.flows import app_files

    await app_files.prepare(run, config, hosts, states)


def _last_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""
