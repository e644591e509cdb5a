"""``pykamal lock acquire|release|status``: the deploy lock on the primary host."""

from __future__ import annotations

from datetime import UTC

import click

from pykamal.cli.context import get_globals
from pykamal.cli.core import group


@group("lock", help="Manage the deploy lock")
def lock() -> None:
    pass


def _context():  # type: ignore[no-untyped-def]
    from pykamal.cli.selection import from_globals
    from pykamal.remote.runtime import make_output

    globals_ = get_globals()
    return globals_, globals_.config(), from_globals(globals_), make_output(globals_)


@lock.command("acquire", help="Acquire the deploy lock")
@click.option("-m", "--message", required=True, help="A lock message")
def acquire(message: str) -> None:
    from pykamal.remote.hooks import run_hook
    from pykamal.remote.lock import DeployLock
    from pykamal.remote.runtime import run_async, ssh_executor

    globals_, config, selection, output = _context()

    async def main() -> None:
        await run_hook(
            config,
            "pre-connect",
            output,
            skip=globals_.skip_hooks,
            selection=selection,
            command="lock",
            subcommand="acquire",
            with_secrets=True,
        )
        async with ssh_executor(config, output) as executor:
            await DeployLock(
                config, executor, primary_host=selection.primary_host, hosts=selection.hosts
            ).acquire(message)
            output.say("Acquired the deploy lock")

    run_async(main)


@lock.command("release", help="Release the deploy lock")
def release() -> None:
    from pykamal.remote.hooks import run_hook
    from pykamal.remote.lock import DeployLock
    from pykamal.remote.runtime import run_async, ssh_executor

    globals_, config, selection, output = _context()

    async def main() -> None:
        await run_hook(
            config,
            "pre-connect",
            output,
            skip=globals_.skip_hooks,
            selection=selection,
            command="lock",
            subcommand="release",
            with_secrets=True,
        )
        async with ssh_executor(config, output) as executor:
            if await DeployLock(config, executor, primary_host=selection.primary_host).release():
                output.say("Released the deploy lock")
            else:
                output.puts("There is no deploy lock")

    run_async(main)


@lock.command("status", help="Report lock status")
def status() -> None:
    from datetime import datetime

    from pykamal.remote.hooks import run_hook
    from pykamal.remote.lock import DeployLock, format_age, is_stale, stale_after
    from pykamal.remote.runtime import run_async, ssh_executor

    globals_, config, selection, output = _context()

    async def main() -> None:
        await run_hook(
            config,
            "pre-connect",
            output,
            skip=globals_.skip_hooks,
            selection=selection,
            command="lock",
            subcommand="status",
            with_secrets=True,
        )
        async with ssh_executor(config, output) as executor:
            details = await DeployLock(config, executor, primary_host=selection.primary_host).status()
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

    run_async(main)
