"""Running a local hook (``.kamal/hooks/<name>``) with Kamal's ``KAMAL_*`` environment.

Kept small: the hooks this part of pykamal needs are ``pre-connect`` (before the first SSH
connection of a run) and ``docker-setup`` (end of ``server bootstrap``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pykamal.commands import hook as hook_commands
from pykamal.commands.base import cmd
from pykamal.errors import HookError
from pykamal.remote.identity import performer
from pykamal.remote.local import LocalExecutor
from pykamal.remote.lock import lock_held
from pykamal.remote.result import CommandFailed

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.config.selection import Selection
    from pykamal.remote.output import Output


# ``hooks_output`` levels as output verbosities
HOOK_VERBOSITY = {"verbose": "debug", "quiet": "error"}


def hook_path(config: Config, name: str) -> Path:
    return Path(hook_commands.hook_path(config, name))


def hook_output(config: Config, name: str, output: Output) -> Output:
    """The output a hook runs with: ``hooks_output`` applies only at the default verbosity (-v/-q win)."""
    verbosity = HOOK_VERBOSITY.get(config.hooks_output_for(name) or "")
    if verbosity is None or output.verbosity != "info":
        return output
    adjusted = copy.copy(output)  # same streams and redactor
    adjusted.verbosity = verbosity
    return adjusted


def hook_env(
    config: Config,
    *,
    selection: Selection | None = None,
    command: str | None = None,
    subcommand: str | None = None,
    hosts: Sequence[str] | None = None,
    runtime: int | None = None,
) -> dict[str, str]:
    """The ``KAMAL_*`` variables for this run (``hosts`` defaults to the selected hosts)."""
    if hosts is None and selection is not None:
        hosts = selection.hosts
    roles = None
    if selection is not None and selection.specific_roles:
        roles = [role.name for role in selection.specific_roles]
    return hook_commands.env(
        config,
        at=datetime.now(UTC),
        performer=performer(),
        hosts=hosts,
        roles=roles,
        lock=lock_held(),
        command=command,
        subcommand=subcommand,
        runtime=runtime,
    )


async def run_hook(
    config: Config,
    name: str,
    output: Output,
    *,
    skip: bool = False,
    selection: Selection | None = None,
    command: str | None = None,
    subcommand: str | None = None,
    with_secrets: bool = False,
    hosts: Sequence[str] | None = None,
    runtime: int | None = None,
) -> bool:
    """Run the hook if it exists (and hooks are not skipped). Returns whether it ran."""
    path = hook_path(config, name)
    if skip or not path.exists():
        return False
    env = dict(os.environ)
    env.update(
        hook_env(
            config, selection=selection, command=command, subcommand=subcommand, hosts=hosts, runtime=runtime
        )
    )
    if with_secrets:
        values = config.secrets.all(tell_readers=False)
        output.redactor.add_all(values.values())
        env.update(values)
    executor = LocalExecutor(hook_output(config, name, output), env=env)
    try:
        await executor.run("localhost", cmd("/usr/bin/env", str(path)))
    except CommandFailed as exc:
        detail = (exc.result.stderr or exc.result.stdout).strip()
        raise HookError(f"Hook `{name}` failed:\n{detail}" if detail else f"Hook `{name}` failed") from None
    return True
