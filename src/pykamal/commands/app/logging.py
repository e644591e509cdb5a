"""App container logs, once or followed."""

from __future__ import annotations

from collections.abc import Sequence

from pykamal.commands.app.base import current_running_container_id
from pykamal.commands.base import Arg, Command, Raw, cmd, pipe
from pykamal.commands.logs import DEFAULT_QUERY, LogQuery
from pykamal.commands.ssh import run_over_ssh
from pykamal.config.model import Config, Role


def _container_id_source(config: Config, role: Role, container_id: str | Command | None) -> Command:
    if isinstance(container_id, Command):
        return container_id
    if container_id:
        return cmd("echo", container_id)
    return current_running_container_id(config, role)


def logs(
    config: Config, role: Role, query: LogQuery = DEFAULT_QUERY, *, container_id: str | Command | None = None
) -> Command:
    """Log lines of the current container (or ``container_id``, an id or a command printing one)."""
    options: list[Arg | Sequence[str] | None] = [
        "--timestamps" if query.timestamps else None,
        ["--since", query.since] if query.since else None,
        ["--tail", str(query.lines)] if query.lines else None,
    ]
    return _logs_pipeline(config, role, container_id, options, query.grep_command())


def follow_logs_on_host(
    config: Config, role: Role, query: LogQuery = DEFAULT_QUERY, *, container_id: str | None = None
) -> Command:
    """What ``logs --follow`` runs on the host through a local ``ssh -t``."""
    options: list[Arg | Sequence[str] | None] = [
        "--timestamps" if query.timestamps else None,
        ["--tail", str(query.lines)] if query.lines else None,
        "--follow",
    ]
    return _logs_pipeline(config, role, container_id, options, query.grep_command(double=True))


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
    config: Config, role: Role, host: str, query: LogQuery = DEFAULT_QUERY, *, container_id: str | None = None
) -> Command:
    """``ssh -t`` to ``host`` following the logs."""
    return run_over_ssh(config.ssh, host, follow_logs_on_host(config, role, query, container_id=container_id))
