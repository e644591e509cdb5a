"""From a Kamal 1.x layout to 2.0: Traefik gives way to kamal-proxy, the app boots behind it,
and accessories move onto the ``kamal`` network.

``proxy upgrade`` does the proxy and app part per host group (every host at once, or one after
another with ``rolling``); ``upgrade`` adds the accessories, host by host when rolling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pykamal.commands import proxy as proxy_commands
from pykamal.commands.base import combine, ignore_failure
from pykamal.flows.common import audit, confirm, locked
from pykamal.remote.executor import run_on

if TYPE_CHECKING:
    from pykamal.flows.context import Run

PROXY_QUESTION = "Each host stops serving for a moment while kamal-proxy replaces Traefik. Are you sure?"
UPGRADE_QUESTION = "Traefik gives way to kamal-proxy and every accessory gets a new container. Are you sure?"


def _on(run: Run, hosts: Sequence[str]) -> Run:
    from pykamal.config.selection import select

    return run.with_selection(select(run.config, hosts=list(hosts)))


async def proxy_upgrade(run: Run, *, rolling: bool = False, confirmed: bool = False) -> None:
    """Per host group: remove Traefik and any kamal-proxy, boot kamal-proxy, boot the app, prune."""
    if not confirm(PROXY_QUESTION, confirmed):
        run.output.say("Aborted", "red")
        return
    hosts = list(run.selection.hosts)
    async with locked(run):
        for group in [[host] for host in hosts] if rolling else [hosts]:
            await _upgrade_proxy_on(run, group)


async def _upgrade_proxy_on(run: Run, hosts: list[str]) -> None:
    from pykamal.flows import app, prune
    from pykamal.flows import proxy as proxy_flow

    listed = ",".join(hosts)
    run.output.say(f"Upgrading proxy on {listed}...", "magenta")
    await run.hook("pre-proxy-reboot", hosts=tuple(hosts))
    record = audit(run)
    clear = combine(
        record.record("Rebooted proxy"),
        proxy_flow.login(run),
        ignore_failure(proxy_commands.cleanup_traefik()),
        ignore_failure(proxy_commands.stop()),
        proxy_commands.remove_container(),
        proxy_commands.remove_image(),
    )
    await run_on(hosts, lambda host: run.executor.run(host, clear))
    group_run = _on(run, hosts)
    await proxy_flow.boot(group_run)
    if group_run.selection.app_hosts:
        await app.boot(group_run)
    await prune.prune_all(group_run)
    await run.hook("post-proxy-reboot", hosts=tuple(hosts))
    run.output.say(f"Upgraded proxy on {listed}", "magenta")


async def upgrade(run: Run, *, rolling: bool = False, confirmed: bool = False) -> None:
    """``proxy upgrade`` then ``accessory upgrade all``: on every host at once, or host by host."""
    from pykamal.flows import accessory

    if not confirm(UPGRADE_QUESTION, confirmed):
        run.output.say("Aborted", "red")
        return
    async with locked(run):
        if not rolling:
            run.output.say("Upgrading all hosts...", "magenta")
            await proxy_upgrade(run, confirmed=True)
            if run.selection.accessory_hosts:
                await accessory.upgrade(run, accessory.ALL)
            run.output.say("Upgraded all hosts", "magenta")
            return
        for host in run.selection.hosts:
            host_run = _on(run, [host])
            run.output.say(f"Upgrading {host}...", "magenta")
            if host_run.selection.app_hosts:
                await proxy_upgrade(host_run, confirmed=True)
            if host_run.selection.accessory_hosts:
                await accessory.upgrade(host_run, accessory.ALL)
            run.output.say(f"Upgraded {host}", "magenta")
