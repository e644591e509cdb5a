"""Helpers shared by the app, proxy, prune and deploy flows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from pykamal.commands.auditor import Audit
from pykamal.remote.executor import run_on
from pykamal.remote.result import FanOutError, HostError

if TYPE_CHECKING:
    from pykamal.config.model import Config, Role
    from pykamal.flows.context import Run

T = TypeVar("T")


def audit(run: Run, config: Config | None = None) -> Audit:
    from pykamal.remote.identity import performer

    return Audit(config or run.config, performer(), datetime.now(UTC))


@asynccontextmanager
async def locked(run: Run) -> AsyncIterator[None]:
    """The deploy lock around a block (re-entrant), taken on the primary host only."""
    from pykamal.remote.lock import deploy_lock

    await run.pre_connect()
    primary = run.selection.primary_host
    async with deploy_lock(
        run.config, run.executor, primary_host=primary, hosts=(primary,), wait=run.lock_wait
    ):
        yield


async def on_roles(
    run: Run,
    hosts: Sequence[str],
    fn: Callable[[str, Role], Awaitable[T]],
    *,
    roles: Sequence[Role] | None = None,
    parallel_roles: bool = False,
) -> list[tuple[str, Role, T]]:
    """Run ``fn(host, role)`` for every role on every host.

    Hosts run in parallel; a host's roles run one after the other, unless ``parallel_roles``
    (then every (host, role) pair runs at once). Failures are gathered into one FanOutError
    keyed by ``host`` (or ``host (role)`` with parallel roles).
    """
    selected = list(roles if roles is not None else run.selection.roles)
    results: list[tuple[str, Role, T]] = []

    if parallel_roles:
        pairs = {
            f"{host} ({role.name})": (host, role) for role in selected for host in hosts if host in role.hosts
        }

        async def pair(key: str) -> None:
            host, role = pairs[key]
            results.append((host, role, await fn(host, role)))

        await run_on(pairs, pair)
        return results

    async def one_host(host: str) -> None:
        for role in selected:
            if host in role.hosts:
                results.append((host, role, await fn(host, role)))

    await run_on(hosts, one_host)
    return results


def print_by_host(run: Run, host: str, text: str, kind: str = "App") -> None:
    from pykamal.remote.output import print_by_host as show

    show(run.output, host, text, kind=kind, quiet=run.output.verbosity == "error")


class Runtime:
    """Start and end of a deploy-like command: the output shows its steps per host from here on,
    and a summary with ``  Finished all in N.N seconds`` at the end."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.started = time.monotonic()
        if not run.plan:  # a plan prints its commands, not steps
            selection = run.selection
            hosts = {host: [role.name for role in selection.roles_on(host)] for host in selection.hosts}
            run.output.run_started(run.command or "deploy", known_version(run), hosts)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def finish(self) -> None:
        """Call from ``finally``: the exception on its way out, if any, is the run's error."""
        import sys

        if self.run.plan:
            self.run.output.puts(f"  Finished all in {self.seconds:.1f} seconds")
        else:
            self.run.output.run_finished(self.seconds, sys.exc_info()[1])


def known_version(run: Run) -> str | None:
    """The run's version, or None when it cannot be told yet (rollback without git finds it later)."""
    from pykamal.errors import PykamalError

    try:
        return run.config.version
    except PykamalError:
        return None


class NotStarted(HostError):
    """A host's step left undone because another host failed first: a consequence, not a cause."""


def failure_summary(exc: BaseException) -> str:
    """A short message for an error, listing each host's failure on its own line (the hosts that
    only stopped because of another host's failure are left out when that failure is listed)."""
    if isinstance(exc, FanOutError):
        errors = _flatten(exc)
        causes = [error for error in errors if not isinstance(error, NotStarted)] or errors
        return "\n".join(dict.fromkeys(str(error) for error in causes))
    return str(exc)


def _flatten(exc: FanOutError) -> list[BaseException]:
    out: list[BaseException] = []
    for error in exc.failures.values():
        out.extend(_flatten(error) if isinstance(error, FanOutError) else [error])
    return out


async def sleep(run: Run, seconds: float | None) -> None:
    if seconds and not run.plan:
        await asyncio.sleep(seconds)


def confirm(question: str, confirmed: bool) -> bool:
    """Kamal's ``y/N`` question (skipped with ``-y``)."""
    if confirmed:
        return True
    import click

    answer = click.prompt(f"{question} [y, N]", default="N", show_default=False)
    return str(answer).strip() == "y"
