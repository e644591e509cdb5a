"""Which log lines to show, and the ``docker logs`` lines for a named container.

App, accessory and proxy logs take the same options (since, lines, grep, grep options,
timestamps): one ``LogQuery`` carries them from the command line to the builders.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pykamal.commands.args import docker, grep_args
from pykamal.commands.base import Command, Raw, cmd, pipe

DEFAULT_LOG_LINES = 100  # what ``logs`` prints per host when nothing narrows it
FOLLOW_LINES = 10  # what ``logs --follow`` prints before following, when nothing narrows it


@dataclass(frozen=True)
class LogQuery:
    since: str | None = None
    lines: int | None = None
    grep: str | None = None
    grep_options: str | None = None
    timestamps: bool = True

    @property
    def narrowed(self) -> bool:
        """A line count, a start time or a pattern was asked for."""
        return self.lines is not None or self.since is not None or self.grep is not None

    def or_last(self, lines: int) -> LogQuery:
        """This query, limited to the last ``lines`` lines when nothing else narrows it (as Kamal)."""
        return self if self.narrowed else dataclasses.replace(self, lines=lines)

    def grep_command(self, *, double: bool = False) -> Command | None:
        """``grep <pattern> [options]`` when a pattern was asked for (``double``: inside ``ssh -t '…'``)."""
        return cmd(grep_args(self.grep, self.grep_options, double=double)) if self.grep else None


DEFAULT_QUERY = LogQuery()  # every line, with timestamps (narrowed by the flows' defaults)


def container_logs(container: str, query: LogQuery = DEFAULT_QUERY) -> Command:
    """``docker logs <container> [--since] [--tail] [--timestamps] 2>&1 [| grep …]``."""
    return pipe(
        docker(
            "logs",
            container,
            ["--since", query.since] if query.since else None,
            ["--tail", str(query.lines)] if query.lines else None,
            "--timestamps" if query.timestamps else None,
            Raw("2>&1"),
        ),
        query.grep_command(),
    )


def follow_container_logs(container: str, query: LogQuery = DEFAULT_QUERY) -> Command:
    """What a local ``ssh -t`` runs on the host to follow a container: the last lines, then follow."""
    return pipe(
        docker(
            "logs",
            container,
            "--timestamps" if query.timestamps else None,
            "--tail",
            str(FOLLOW_LINES),
            "--follow",
            Raw("2>&1"),
        ),
        query.grep_command(double=True),
    )
