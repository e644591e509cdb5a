"""What every flow receives: the config, the chosen hosts/roles, where to print, and how to run.

A ``Run`` lives for one CLI invocation. Flows call each other with the same ``Run`` so they share
one SSH connection per host, one lock, and the version pinned at the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.config.selection import Selection
    from pykamal.flows.local import Machine
    from pykamal.flows.notify import Notifications
    from pykamal.remote.executor import Executor
    from pykamal.remote.lock import LockWait
    from pykamal.remote.output import Output


@dataclass(frozen=True)
class BuildOptions:
    """How ``build push|deliver|dev`` (and deploys) build the image."""

    output: str | None = None  # buildx export type (``--output``); None: the command's default
    no_cache: bool = False


@dataclass
class Run:
    config: Config
    selection: Selection
    output: Output
    executor: Executor  # SSH executor (or a recording fake in unit tests / --plan)
    local: Machine  # this machine (recorded along with the executor in unit tests / --plan)
    skip_hooks: bool = False
    command: str | None = None  # for KAMAL_COMMAND / KAMAL_SUBCOMMAND in hooks
    subcommand: str | None = None
    plan: bool = False  # dry run: the executor only records and prints
    build: BuildOptions = field(default_factory=BuildOptions)
    pre_connect_done: bool = False
    notifications: Notifications | None = None  # the webhooks of a deploy-like run (x-pykamal/notify)
    lock_wait: LockWait | None = None  # --lock-wait: wait for a lock held by another deploy

    def with_selection(self, selection: Selection) -> Run:
        return replace(self, selection=selection)

    async def hook(
        self,
        name: str,
        *,
        with_secrets: bool = False,
        hosts: tuple[str, ...] | None = None,
        runtime: int | None = None,
    ) -> bool:
        """Run a local hook with Kamal's KAMAL_* environment; returns whether it ran."""
        from pykamal.remote.hooks import run_hook

        return await run_hook(
            self.config,
            name,
            self.output,
            skip=self.skip_hooks or self.plan,
            selection=self.selection,
            command=self.command,
            subcommand=self.subcommand,
            with_secrets=with_secrets,
            hosts=hosts,
            runtime=runtime,
        )

    async def pre_connect(self) -> None:
        """The pre-connect hook, once per run, before the first SSH connection."""
        if not self.pre_connect_done:
            self.pre_connect_done = True
            await self.hook("pre-connect", with_secrets=True)


def make_run(
    config: Config,
    output: Output,
    command: str,
    subcommand: str | None = None,
    *,
    hosts: str | None = None,
    roles: str | None = None,
    primary: bool = False,
    skip_hooks: bool = False,
    plan: bool = False,
    executor: Executor | None = None,
    lock_wait: LockWait | None = None,
    build: BuildOptions | None = None,
) -> Run:
    """The Run of one command on ``config``, acting on the hosts and roles the filters pick.

    Without an ``executor``: a recorder under ``plan`` (its own lines kept quiet), SSH otherwise.
    Under ``plan`` this machine's commands go to the same recorder and its files are left alone.
    """
    from pykamal.config.selection import select
    from pykamal.flows.local import Machine
    from pykamal.remote.runtime import ssh_executor

    config.secrets.on_read(output.secret_read)
    if plan:
        from pykamal.remote.fake import RecordingExecutor
        from pykamal.remote.output import Output

        if executor is None:
            executor = RecordingExecutor(output=Output("error"))
        local = Machine.recording(executor)
    else:
        if executor is None:
            executor = ssh_executor(config, output)
        local = Machine.real(output)
    return Run(
        config=config,
        selection=select(config, hosts=hosts, roles=roles, primary=primary),
        output=output,
        executor=executor,
        local=local,
        skip_hooks=skip_hooks,
        command=command,
        subcommand=subcommand,
        plan=plan,
        lock_wait=lock_wait,
        build=build or BuildOptions(),
    )
