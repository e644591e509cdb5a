"""``prune all|containers|images``: stopped containers beyond ``retain_containers`` and unused images."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykamal.commands import prune as prune_commands
from pykamal.commands.base import Command, combine
from pykamal.errors import UsageError
from pykamal.flows.common import audit, locked
from pykamal.remote.executor import run_on

if TYPE_CHECKING:
    from pykamal.flows.context import Run


def check_retain(retain: int | None) -> None:
    if retain is not None and retain < 1:
        raise UsageError("retain must be at least 1")


async def _on_hosts(run: Run, steps: list[Command]) -> None:
    command = combine(*steps)
    async with locked(run):
        await run_on(run.selection.hosts, lambda host: run.executor.run(host, command))


async def prune_all(run: Run) -> None:
    await _on_hosts(run, prune_commands.everything(run.config, audit(run)))


async def containers(run: Run, retain: int | None = None) -> None:
    check_retain(retain)
    await _on_hosts(run, prune_commands.containers(run.config, audit(run), retain))


async def images(run: Run) -> None:
    await _on_hosts(run, prune_commands.images(run.config, audit(run)))
