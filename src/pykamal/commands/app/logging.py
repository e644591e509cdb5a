"""App container logs, once or followed."""

from __future__ import annotations

from collections.abc import Sequence

from pykamal.commands.app.base import current_running_container_id
from pykamal.commands.args import (
    grep_args,
)
from pykamal.commands.base import (
    Arg,
    Command,
    Raw,
    cmd,
    pipe,
)
from pykamal.commands.ssh import run_over_ssh
from pykamal.config.model import Config, Role

# --- logs ------------------------------------------------------------------------------------------


def _container_id_source(config: Config, role: Role, container_id: str | Command | None) -> Command:
    if isinstance(container_id, Command):
        return container_id
    if container_id:
        return cmd("echo", container_id)
    return current_running_container_id(config, role)


def logs(
    config: Config,
    role: Role,
    *,
    container_id: str | Command | None = None,
    timestamps: bool = True,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """Log lines of the current container (or ``container_id``, an id or a command printing one)."""
    return _logs_pipeline(
        config,
        role,
        container_id,
        ["--timestamps" if timestamps else None, ["--since", since] if since else None,
         ["--tail", str(lines)] if lines else None],
        cmd(grep_args(grep, grep_options)) if grep else None,
    )  # fmt: skip


def follow_logs_on_host(
    config: Config,
    role: Role,
    *,
    container_id: str | None = None,
    timestamps: bool = True,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """What ``logs --follow`` runs on the host through a local ``ssh -t``."""
    return _logs_pipeline(
        config,
        role,
        container_id,
        ["--timestamps" if timestamps else None, ["--tail", str(lines)] if lines else None, "--follow"],
        cmd(grep_args(grep, grep_options, double=True)) if grep else None,
    )


def _logs_pipeline(
    config: Config,
    role: Role,
    container_id: str | Command | None,
    options: Sequence[Arg | Sequence[str] | None],
    grep: Command | None,
) -> Command:
    """``<container id> | xargs docker logs <options> 2>&1 [| grep …]``."""
    return pipe(
        _container_id_source(config, role, container_id),
        cmd("xargs", "docker", "logs", *options, Raw("2>&1")),
        grep,
    )


def follow_logs(
    config: Config,
    role: Role,
    host: str,
    *,
    container_id: str | None = None,
    timestamps: bool = True,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """``ssh -t`` to ``host`` following the logs."""
    remote = follow_logs_on_host(
        config,
        role,
        container_id=container_id,
        timestamps=timestamps,
        lines=lines,
        grep=grep,
        grep_options=grep_options,
    )
    return run_over_ssh(config.ssh, host, remote)
