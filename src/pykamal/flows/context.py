"""What every flow receives: the config, the chosen hosts/roles, where to print, and how to run.

A ``Run`` lives for one CLI invocation. Flows call each other with the same ``Run`` so they share
one SSH connection per host, one lock, and the version pinned at the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykamal.cli.context import Globals
    from pykamal.cli.selection import Selection
    from pykamal.config.model import Config
    from pykamal.flows.notify import Notifications
    from pykamal.remote.executor import Executor
    from pykamal.remote.lock import LockWait
    from pykamal.remote.output import Output


@dataclass
class Run:
    config: Config
    selection: Selection
    output: Output
    executor: Executor  # SSH executor (or a recording fake in unit tests / --plan)
    skip_hooks: bool = False
    command: str | None = None  # for KAMAL_COMMAND / KAMAL_SUBCOMMAND in hooks
    subcommand: str | None = None
    plan: bool = False  # dry run: the executor only records and prints
    options: Mapping[str, object] = field(default_factory=dict)
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
    globals_: Globals,
    command: str,
    subcommand: str | None = None,
    *,
    plan: bool = False,
    executor: Executor | None = None,
    **options: object,
) -> Run:
    """Build the Run for a CLI command from the global options (config loaded once, here)."""
    from pykamal.cli.selection import from_globals
    from pykamal.remote.runtime import make_output, ssh_executor

    output = make_output(globals_)  # first: a configuration error is shown through it too
    config = globals_.config()
    config.secrets.on_read(output.secret_read)
    if executor is None:
        if plan:
            from pykamal.remote.fake import RecordingExecutor

            executor = RecordingExecutor(output=output)
        else:
            executor = ssh_executor(config, output)
    lock_wait = None
    if globals_.lock_wait:
        from pykamal.remote.lock import LockWait

        lock_wait = LockWait(globals_.lock_wait_timeout, globals_.lock_wait_interval)
    return Run(
        config=config,
        selection=from_globals(globals_),
        output=output,
        executor=executor,
        skip_hooks=globals_.skip_hooks,
        command=command,
        subcommand=subcommand,
        plan=plan,
        options=options,
        lock_wait=lock_wait,
    )
