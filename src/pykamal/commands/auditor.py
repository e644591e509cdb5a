"""The audit log: one line per mutating action, appended on the hosts it touched.

Line format (Kamal's): ``[<UTC ISO8601>] [<performer>] [<destination>] [<extra tags>…] <message>``,
absent tags omitted, written to ``.kamal/<service>[-<destination>]-audit.log``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pykamal.commands.base import Command, Quoted, Raw, cmd, combine
from pykamal.commands.lock import iso8601
from pykamal.config.model import Config, Role

RUN_DIRECTORY = ".kamal"
REVEAL_LINES = 50


def audit_line(
    config: Config,
    message: str,
    *,
    performer: str,
    at: datetime,
    details: Mapping[str, str | None] | None = None,
) -> str:
    tags = [iso8601(at), performer, config.destination, *((details or {}).values())]
    return " ".join(f"[{tag}]" for tag in tags if tag is not None) + f" {message}"


def record(
    config: Config,
    message: str,
    *,
    performer: str,
    at: datetime,
    details: Mapping[str, str | None] | None = None,
) -> Command:
    """``mkdir -p .kamal && echo "<line>" >> <audit log>``."""
    line = audit_line(config, message, performer=performer, at=at, details=details)
    return combine(
        cmd("mkdir", "-p", RUN_DIRECTORY),
        cmd("echo", Quoted(line), Raw(">>"), config.audit_log_file),
    )


def reveal(config: Config) -> Command:
    return cmd("tail", "-n", str(REVEAL_LINES), config.audit_log_file)


@dataclass(frozen=True)
class Audit:
    """Audit lines of one run (same performer and time stamp, as Kamal records them per command)."""

    config: Config
    performer: str
    at: datetime

    def record(self, message: str, role: Role | None = None) -> Command:
        details = {"role": role.name} if role is not None else None
        return record(self.config, message, performer=self.performer, at=self.at, details=details)

    def for_version(self, config: Config) -> Audit:
        return Audit(config, self.performer, self.at)
