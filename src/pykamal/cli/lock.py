"""``pykamal lock acquire|release|status``: the deploy lock on the primary host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click

from pykamal.cli.core import group

if TYPE_CHECKING:
    from pykamal.flows.context import Run
    from pykamal.remote.lock import DeployLock


@group("lock")
def lock() -> None:
    pass


def _with_lock(
    subcommand: str, fn: Callable[[Run, DeployLock], Awaitable[None]], *, all_hosts: bool = False
) -> None:
    """Run ``fn`` with the deploy lock of the primary host, after the pre-connect hook."""
    from pykamal.cli.running import execute
    from pykamal.remote.lock import DeployLock

    async def main(run: Run) -> None:
        await run.pre_connect()
        selection = run.selection
        hosts = selection.hosts if all_hosts else None
        await fn(run, DeployLock(run.config, run.executor, primary_host=selection.primary_host, hosts=hosts))

    execute("lock", subcommand, main)


@lock.command("acquire", help="Take the deploy lock")
@click.option("-m", "--message", required=True, help="Why the lock is held")
def acquire(message: str) -> None:
    async def acquire_lock(run: Run, deploy_lock: DeployLock) -> None:
        await deploy_lock.acquire(message)
        run.output.say("Acquired the deploy lock")

    _with_lock("acquire", acquire_lock, all_hosts=True)


@lock.command("release", help="Give the deploy lock back")
def release() -> None:
    async def release_lock(run: Run, deploy_lock: DeployLock) -> None:
        if await deploy_lock.release():
            run.output.say("Released the deploy lock")
        else:
            run.output.puts("There is no deploy lock")

    _with_lock("release", release_lock)


@lock.command("status", help="Show who holds the deploy lock")
def status() -> None:
    async def show_status(run: Run, deploy_lock: DeployLock) -> None:
        from datetime import UTC, datetime

        from pykamal.remote.lock import format_age, is_stale, stale_after

        output = run.output
        details = await deploy_lock.status()
        if details is None:
            output.puts("There is no deploy lock")
            return
        output.puts(details.text)
        now = datetime.now(UTC)
        age = details.age(now)
        if age is not None:
            output.puts(f"Held for: {format_age(age)}")
        limit = stale_after()
        if is_stale(details, now=now, stale_seconds=limit):
            output.warn(
                f"This lock is stale: held by {details.locked_by or 'unknown'} for {format_age(age or 0)}, "
                f"longer than {format_age(limit)}. If nobody is deploying, run 'pykamal lock release'."
            )

    _with_lock("status", show_status)
