"""Canary rollouts: the new version on a few hosts of each proxied role first, judged by its traffic.

The canary hosts boot the new version; for ``watch`` seconds kamal-proxy's request log on them is
read for the new container's answers. Too many 5xx (or, unless failing open, too few requests to
tell) switches the canary hosts back to the version they ran and stops the deploy before any other
host boots it. Otherwise the rest of the fleet follows.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pykamal.commands import canary as canary_commands
from pykamal.commands.base import Command, combine
from pykamal.errors import RemoteError, UsageError
from pykamal.remote import events

if TYPE_CHECKING:
    from pykamal.commands.canary import Request
    from pykamal.config.extensions import Canary
    from pykamal.config.model import Config, Role
    from pykamal.flows.app_boot import Booted
    from pykamal.flows.context import Run
    from pykamal.flows.host_state import HostState

POLL_SECONDS = 2.0  # how often the request log is read during the watch
FAILING_PATHS_SHOWN = 5
WAIT_STEP = "wait for canary"  # the step of the other app hosts while the canary is watched


class CanaryFailed(RemoteError):
    """The canary's answers were judged bad (or too few); it was switched back."""


# --- judging (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    requests: int = 0
    errors: int = 0  # 5xx answers
    statuses: dict[int, int] = field(default_factory=dict)
    failing_paths: tuple[str, ...] = ()  # the most frequent paths answered with a 5xx

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def tally(requests: Iterable[Request]) -> Tally:
    statuses: Counter[int] = Counter()
    failing: Counter[str] = Counter()
    for request in requests:
        statuses[request.status] += 1
        if request.status >= 500:
            failing[request.path] += 1
    errors = sum(count for status, count in statuses.items() if status >= 500)
    paths = tuple(path for path, _ in failing.most_common(FAILING_PATHS_SHOWN))
    return Tally(sum(statuses.values()), errors, dict(sorted(statuses.items())), paths)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "watching" | "pass" | "fail"
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.outcome != "watching"


def judge(numbers: Tally, settings: Canary, *, elapsed: float) -> Verdict:
    """Whether the canary is good, bad, or still to be watched after ``elapsed`` seconds.

    Too many 5xx fails at once, as soon as ``min_requests`` answers are in; passing takes the whole
    watch. At its end, fewer than ``min_requests`` answers fail, unless ``fail_open``.
    """
    limit = settings.max_error_rate
    rate = f"{numbers.error_rate * 100:.1f} % 5xx ({numbers.errors} of {numbers.requests})"
    limit_text = f"{limit * 100:g} %"
    enough = numbers.requests >= settings.min_requests
    if enough and numbers.requests and numbers.error_rate > limit:
        return Verdict("fail", f"{rate}, above the limit of {limit_text}")
    if elapsed < settings.watch:
        return Verdict("watching")
    if not enough:
        few = (
            f"only {numbers.requests} requests reached the new version in {settings.watch} s, "
            f"fewer than min_requests ({settings.min_requests})"
        )
        if settings.fail_open:
            return Verdict("pass", f"{few}; going on (fail open)")
        return Verdict("fail", f"{few}; not enough to judge (--canary-fail-open goes on anyway)")
    return Verdict("pass", f"{rate}, within the limit of {limit_text}")


# --- choosing the canary hosts -----------------------------------------------------------------


def with_hosts(settings: Canary, hosts: int | None, fail_open: bool) -> Canary:
    """The settings from ``x-pykamal/canary`` with the command line's ``--canary [N]`` and
    ``--canary-fail-open`` over them."""
    if hosts is not None:
        settings = replace(settings, enabled=True, hosts=hosts or settings.hosts)
    if fail_open:
        settings = replace(settings, fail_open=True)
    return settings


def check_host_count(run: Run, settings: Canary) -> None:
    """``--canary N`` larger than a proxied role's host count is a usage error."""
    for role in proxied_roles(run):
        hosts = [h for h in run.selection.app_hosts if h in role.hosts]
        if hosts and settings.hosts > len(hosts):
            raise UsageError(
                f"--canary: {settings.hosts} canary hosts, but role {role.name} has only {len(hosts)}"
            )


def proxied_roles(run: Run) -> list[Role]:
    return [role for role in run.selection.roles if role.running_proxy]


def canary_pairs(run: Run, settings: Canary) -> list[tuple[str, Role]]:
    """The first ``hosts`` hosts of each proxied role (the run's host order, primary host first)."""
    pairs = []
    for role in proxied_roles(run):
        hosts = [h for h in run.selection.app_hosts if h in role.hosts]
        pairs += [(host, role) for host in hosts[: settings.hosts]]
    return pairs


# --- the rollout -------------------------------------------------------------------------------


async def deploy(
    run: Run,
    states: dict[str, HostState],
    settings: Canary,
    *,
    rollback_on_failure: bool,
    finish: Callable[[str], list[Command]],
) -> None:
    """Boot the canary hosts, watch them, then the rest of the fleet (or switch the canary back)."""
    from pykamal.flows import app_boot

    config = run.config
    pairs = canary_pairs(run, settings)
    without_previous = (
        [] if run.plan else [f"{h} ({r.name})" for h, r in pairs if not _previous(states, h, r)]
    )
    if not pairs or without_previous:
        why = "no role runs behind kamal-proxy"
        if pairs:
            why = f"nothing to go back to on {', '.join(without_previous)}"
        run.output.say(f"Canary skipped: {why}; deploying every host at once", "yellow")
        await app_boot.boot(
            run, states=states, stop_stale=True, rollback_on_failure=rollback_on_failure, finish=finish
        )
        return

    chosen = {(host, role.name) for host, role in pairs}
    booted: list[Booted] = []
    run.output.say(f"Canary: booting version {config.version} on {len(pairs)} of the proxied hosts first...")
    await app_boot.boot(
        run,
        states=states,
        stop_stale=True,
        rollback_on_failure=rollback_on_failure,
        wanted=lambda host, role: (host, role.name) in chosen,
        booted=booted,
        settle=False,
    )
    canaries = [item for item in booted if (item.host, item.role.name) in chosen]
    try:
        await _mark(run, config, canaries)
        verdict, numbers, seconds = await watch(run, config, canaries, settings)
    except BaseException:
        await switch_back(run, config, canaries, "the deploy was interrupted during the canary watch")
        raise
    run.output.canary(_finished(verdict, numbers, seconds))
    if verdict.outcome == "fail":
        summary = await switch_back(run, config, canaries, verdict.reason)
        raise CanaryFailed(f"{failure_line(config.version, verdict, numbers)}\n{summary}")

    canary_hosts = {item.host for item in canaries}

    def finish_and_unmark(host: str) -> list[Command]:
        steps = finish(host)
        if host in canary_hosts:
            steps.append(canary_commands.unmark(config, [i.role for i in canaries if i.host == host]))
        return steps

    run.output.say(f"Deploying version {config.version} to the rest of the fleet...")
    try:
        await app_boot.boot(
            run,
            states=states,
            stop_stale=True,
            rollback_on_failure=rollback_on_failure,
            finish=finish_and_unmark,
            wanted=lambda host, role: (host, role.name) not in chosen,
            booted=booted,
        )
    except Exception:
        if rollback_on_failure:  # the canary hosts were switched back with the rest
            await _unmark(run, config, canaries)
        raise


def failure_line(version: str, verdict: Verdict, numbers: Tally) -> str:
    """``Canary of version v2 failed: <why>; status codes: 200 x57, 500 x9; failing paths: /a``."""
    codes = ", ".join(f"{code} x{count}" for code, count in numbers.statuses.items()) or "none"
    text = f"Canary of version {version} failed: {verdict.reason}; status codes: {codes}"
    if numbers.failing_paths:
        text += f"; failing paths: {', '.join(numbers.failing_paths)}"
    return text + "; no other host was deployed"


def _previous(states: dict[str, HostState], host: str, role: Role) -> str | None:
    state = states.get(host)
    return state.current(role) if state is not None else None


async def watch(
    run: Run, config: Config, canaries: Sequence[Booted], settings: Canary
) -> tuple[Verdict, Tally, float]:
    """Read the canaries' request logs every few seconds until the verdict is in."""
    hosts: dict[str, list[str]] = {}
    for item in canaries:
        hosts.setdefault(item.host, []).append(item.role.name)
    run.output.canary(
        events.CanaryStarted(
            version=config.version,
            hosts=hosts,
            watch=settings.watch,
            max_error_rate=settings.max_error_rate,
            min_requests=settings.min_requests,
        )
    )
    logs = {item.key: _Log() for item in canaries}
    started = time.monotonic()
    if run.plan:  # the read is shown once; nothing is watched
        await _read(run, config, canaries, logs)
        return Verdict("pass", "not watched (plan)"), Tally(), 0.0
    waiting = [h for h in run.selection.app_hosts if h not in hosts]
    for host in hosts:
        run.output.begin_step(host, "canary")
    for host in waiting:
        run.output.begin_step(host, WAIT_STEP)
    verdict = Verdict("watching")
    numbers = Tally()
    try:
        while not verdict.done:
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(min(POLL_SECONDS, settings.watch - elapsed), 0.2))
            await _read(run, config, canaries, logs)
            elapsed = time.monotonic() - started
            numbers = tally(r for log in logs.values() for r in log.requests)
            verdict = judge(numbers, settings, elapsed=elapsed)
            run.output.canary(_progress(canaries, logs, numbers, elapsed))
    except BaseException as exc:
        for host in hosts:
            run.output.end_step(host, "canary", error=exc)
        for host in waiting:
            run.output.end_step(host, WAIT_STEP, error=exc)
        raise
    for host in hosts:
        run.output.end_step(host, "canary", error=None if verdict.outcome == "pass" else verdict.reason)
    for host in waiting:
        run.output.end_step(host, WAIT_STEP)
    return verdict, numbers, time.monotonic() - started


@dataclass
class _Log:
    """What was read so far from one canary container's requests."""

    since: int | None = None
    seen: set[str] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)

    def add(self, read: canary_commands.LogRead) -> None:
        for request in read.requests:
            if request.line not in self.seen:
                self.seen.add(request.line)
                self.requests.append(request)
        if read.now is not None:
            self.since = read.now - canary_commands.SINCE_OVERLAP


async def _read(run: Run, config: Config, canaries: Sequence[Booted], logs: dict[str, _Log]) -> None:
    async def one(item: Booted) -> None:
        log = logs[item.key]
        command = canary_commands.request_log(config, item.role, log.since)
        result = await run.executor.run(item.host, command, check=False, log_level="debug")
        log.add(canary_commands.parse_request_log(result.stdout))

    await asyncio.gather(*(one(item) for item in canaries))


def _progress(
    canaries: Sequence[Booted], logs: dict[str, _Log], numbers: Tally, elapsed: float
) -> events.CanaryProgress:
    per_host: dict[str, dict[str, int]] = {}
    for item in canaries:
        counts = per_host.setdefault(item.host, {"requests": 0, "errors": 0})
        host_numbers = tally(logs[item.key].requests)
        counts["requests"] += host_numbers.requests
        counts["errors"] += host_numbers.errors
    return events.CanaryProgress(
        seconds=round(elapsed, 3),
        requests=numbers.requests,
        errors=numbers.errors,
        error_rate=round(numbers.error_rate, 4),
        statuses={str(k): v for k, v in numbers.statuses.items()},
        hosts=per_host,
    )


def _finished(verdict: Verdict, numbers: Tally, seconds: float) -> events.CanaryFinished:
    return events.CanaryFinished(
        passed=verdict.outcome == "pass",
        reason=verdict.reason,
        seconds=round(seconds, 3),
        requests=numbers.requests,
        errors=numbers.errors,
        error_rate=round(numbers.error_rate, 4),
        statuses={str(k): v for k, v in numbers.statuses.items()},
        failing_paths=list(numbers.failing_paths),
    )


async def _mark(run: Run, config: Config, canaries: Sequence[Booted]) -> None:
    by_host: dict[str, list[Command]] = {}
    for item in canaries:
        by_host.setdefault(item.host, []).append(canary_commands.mark(config, item.role))
    await asyncio.gather(
        *(run.executor.run(host, combine(*steps), log_level="debug") for host, steps in by_host.items())
    )


async def _unmark(run: Run, config: Config, canaries: Sequence[Booted]) -> None:
    by_host: dict[str, list[Role]] = {}
    for item in canaries:
        by_host.setdefault(item.host, []).append(item.role)

    async def one(host: str, roles: list[Role]) -> None:
        try:
            command = canary_commands.unmark(config, roles)
            await run.executor.run(host, command, check=False, log_level="debug")
        except Exception as exc:  # the host may be the reason the deploy failed
            run.output.warn(f"  WARN could not remove the canary marker on {host}: {exc}")

    await asyncio.gather(*(one(host, roles) for host, roles in by_host.items()))


async def switch_back(run: Run, config: Config, canaries: Sequence[Booted], reason: str) -> str:
    """Put the canary hosts back on their previous version, drop the markers; tell who listens."""
    from pykamal.flows import app_boot
    from pykamal.flows.common import audit

    summary = await app_boot.switch_back(
        run, config, list(canaries), audit(run, config), reason, optional=False
    )
    await _unmark(run, config, canaries)
    back = {item.host: item.old_version for item in canaries if item.old_version}
    automatic_rollback(run, config.version, {h: v for h, v in back.items() if v}, reason)
    return summary


def automatic_rollback(run: Run, version: str, hosts: dict[str, str], reason: str) -> None:
    """pykamal switched ``version`` back on ``hosts`` (host -> version it is back on) by itself:
    ``automatic_rollback`` for every view (an event in ``--output json``)."""
    run.output.canary(events.AutomaticRollback(version=version, hosts=hosts, reason=reason))
