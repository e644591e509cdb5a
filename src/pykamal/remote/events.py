"""What happens during a run, as data: the one stream every view (live, plain lines, JSON) reads.

Flows and executors report events to ``Output``; they never decide how something looks. Texts in
events are raw (unmasked): masking happens in the view, just before anything is written.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Event:
    at: float = field(default_factory=time.time, kw_only=True)

    @property
    def name(self) -> str:
        return _snake(type(self).__name__)

    def as_dict(self) -> dict[str, object]:
        return {"event": self.name, **asdict(self)}


@dataclass(frozen=True)
class RunStarted(Event):
    command: str
    version: str | None
    hosts: dict[str, list[str]]  # host -> roles on it (empty for hosts without app roles)


@dataclass(frozen=True)
class StepStarted(Event):
    host: str
    step: str


@dataclass(frozen=True)
class StepFinished(Event):
    host: str
    step: str
    ok: bool
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class CommandStarted(Event):
    host: str
    command_id: str
    command: str  # as displayed: sensitive arguments already replaced by markers


@dataclass(frozen=True)
class CommandOutput(Event):
    host: str
    command_id: str
    line: str


@dataclass(frozen=True)
class CommandFinished(Event):
    host: str
    command_id: str
    exit_status: int
    seconds: float


@dataclass(frozen=True)
class Message(Event):
    level: str  # debug | info | warn | error
    text: str


@dataclass(frozen=True)
class RunFinished(Event):
    ok: bool
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class CanaryStarted(Event):
    version: str
    hosts: dict[str, list[str]]  # canary host -> its proxied roles on the new version
    watch: int
    max_error_rate: float
    min_requests: int


@dataclass(frozen=True)
class CanaryProgress(Event):
    seconds: float
    requests: int
    errors: int  # 5xx answers of the new version
    error_rate: float
    statuses: dict[str, int]
    hosts: dict[str, dict[str, int]]  # host -> {"requests": n, "errors": n}


@dataclass(frozen=True)
class CanaryFinished(Event):
    passed: bool
    reason: str
    seconds: float
    requests: int
    errors: int
    error_rate: float
    statuses: dict[str, int]
    failing_paths: list[str]


@dataclass(frozen=True)
class AutomaticRollback(Event):
    """The new version was switched back on hosts by pykamal itself (a failed canary)."""

    version: str
    hosts: dict[str, str]  # host -> the version it is back on
    reason: str


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
