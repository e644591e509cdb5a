"""Where each host stands during a run: its steps, the one it is in, and what its commands last said.

The board only records events; the live view, the plain step lines and the summary table read it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from pykamal.remote import events

OUTPUT_KEPT = 200  # lines of command output kept per host, shown when one of its steps fails


@dataclass
class HostLine:
    host: str
    roles: list[str] = field(default_factory=list)
    step: str | None = None
    step_started: float = 0.0
    first_started: float | None = None
    last_finished: float | None = None
    last_output: str = ""
    failed_step: str | None = None
    error: str | None = None
    steps_done: int = 0
    output: deque[str] = field(default_factory=lambda: deque(maxlen=OUTPUT_KEPT))

    @property
    def seconds(self) -> float:
        if self.first_started is None:
            return 0.0
        end = time.monotonic() if self.step is not None else (self.last_finished or self.first_started)
        return end - self.first_started

    @property
    def result(self) -> str:
        if self.failed_step is not None:
            how = "interrupted" if self.error == "interrupted" else "failed"
            return f"{how} ({self.failed_step})"
        if self.step is not None:
            return f"stopped ({self.step})"
        return "done" if self.steps_done else "skipped"


class Board:
    def __init__(self) -> None:
        self.command = ""
        self.version: str | None = None
        self.hosts: dict[str, HostLine] = {}
        self.started = time.monotonic()
        self._command_hosts: dict[str, str] = {}
        self.canary: dict[str, object] | None = None  # the canary phase's settings and numbers

    def line(self, host: str) -> HostLine:
        found = self.hosts.get(host)
        if found is None:
            found = self.hosts[host] = HostLine(host)
        return found

    def record(self, event: events.Event) -> None:
        now = time.monotonic()
        if isinstance(event, events.RunStarted):
            self.command, self.version, self.started = event.command, event.version, now
            for host, roles in event.hosts.items():
                self.line(host).roles = list(roles)
        elif isinstance(event, events.StepStarted):
            line = self.line(event.host)
            line.step, line.step_started, line.last_output = event.step, now, ""
            if line.first_started is None:
                line.first_started = now
        elif isinstance(event, events.StepFinished):
            line = self.line(event.host)
            line.step, line.last_finished = None, now
            line.steps_done += 1
            if not event.ok and line.failed_step is None:
                line.failed_step, line.error = event.step, event.error
        elif isinstance(event, (events.CanaryStarted, events.CanaryProgress, events.CanaryFinished)):
            self._record_canary(event)
        elif isinstance(event, events.CommandStarted):
            self._command_hosts[event.command_id] = event.host
        elif isinstance(event, events.CommandOutput):
            shown = self.hosts.get(event.host)
            if shown is not None:
                shown.output.append(event.line)
                if event.line.strip():
                    shown.last_output = event.line.strip()

    def _record_canary(self, event: events.Event) -> None:
        data = {k: v for k, v in event.as_dict().items() if k not in ("event", "at")}
        if isinstance(event, events.CanaryStarted):
            self.canary = {"phase": "watching", **data}
            return
        if self.canary is None:
            self.canary = {}
        if isinstance(event, events.CanaryFinished):
            self.canary.update(data, phase="passed" if event.passed else "failed")
            return
        assert isinstance(event, events.CanaryProgress)
        self.canary.update({k: v for k, v in data.items() if k != "hosts"})
        watch = self.canary.get("watch")
        for host, counts in event.hosts.items():
            line = self.hosts.get(host)
            if line is not None:
                line.last_output = canary_numbers(counts["requests"], counts["errors"], event.seconds, watch)

    def host_of(self, command_id: str) -> str | None:
        return self._command_hosts.get(command_id)

    @property
    def active(self) -> bool:
        return any(line.step is not None for line in self.hosts.values())


def canary_numbers(requests: int, errors: int, seconds: float, watch: object = None) -> str:
    """``12.0s/60s  340 requests, 2 5xx (0.6 %)``: a canary's numbers so far."""
    rate = errors / requests * 100 if requests else 0.0
    of = f"/{watch}s" if watch is not None else "s"
    return f"{seconds:.1f}{of}  {requests} requests, {errors} 5xx ({rate:.1f} %)"


def summary_rows(board: Board) -> list[tuple[str, str, str, str, str]]:
    """host, role, version, result, time: one row per host that took part."""
    rows = []
    for line in board.hosts.values():
        if line.first_started is None and not line.roles:
            continue
        rows.append(
            (
                line.host,
                ",".join(line.roles) or "-",
                board.version or "-",
                line.result,
                f"{line.seconds:.1f}s",
            )
        )
    return rows


def plain_table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]


SUMMARY_HEADER = ("HOST", "ROLE", "VERSION", "RESULT", "TIME")
