"""The log of a state-changing command, also sent where ``output:`` says (Kamal 2.12).

``output.file.path``: one file per run in that directory, named
``<local time>_[<destination>_]<command>[_<subcommand>].log``, holding the progress messages and
every remote command's log lines (all levels, whatever -v/-q show), then ``# Completed in Ns`` or
``# FAILED: <kind>: <message> (Ns)``.

``output.otel.endpoint``: the same lines as OTLP log records, POSTed as OTLP/HTTP JSON to
``<endpoint>/v1/logs`` in batches, framed by ``kamal.start`` and ``kamal.complete``/``kamal.failed``
events. A collector that cannot be reached is reported once and never fails the run.

Sinks receive text already masked by the run's ``Redactor``.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

DEPLOY_COMMANDS = ("deploy", "redeploy", "rollback", "setup")
BATCH_SIZE = 100
FLUSH_INTERVAL = 5.0
SEVERITIES = {"debug": (5, "DEBUG"), "info": (9, "INFO"), "warn": (13, "WARN"), "error": (17, "ERROR")}
# resource attribute names of the run's tags, as Kamal 2.12 names them
TAG_KEYS = {
    "performer": "kamal.performer",
    "destination": "deployment.environment.name",
    "version": "kamal.deploy_version",
    "service": "service.namespace",
}


@dataclass(frozen=True)
class RunInfo:
    """What a log sink knows about the run it records."""

    command: str
    subcommand: str | None
    service: str
    destination: str | None
    version: str
    performer: str
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def full_command(self) -> str:
        return " ".join(part for part in (self.command, self.subcommand) if part)

    @property
    def is_deploy(self) -> bool:
        return self.command in DEPLOY_COMMANDS


class LogSink(Protocol):
    def line(self, level: str, text: str, host: str | None = None, iostream: str | None = None) -> None: ...

    def finish(self, seconds: float, error: BaseException | None) -> str:
        """Close the record of the run; returns the line telling the user where it went."""
        ...


def failure_text(error: BaseException) -> tuple[str, str]:
    """(kind, one-line message) of the error that ended a run."""
    if not isinstance(error, Exception):
        return type(error).__name__, "interrupted"
    message = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return type(error).__name__, message


def clean(text: str) -> str:
    """Text safe to write as UTF-8 (binary command output carries undecodable bytes)."""
    return text.encode("utf-8", "replace").decode("utf-8")


# --- file --------------------------------------------------------------------------------------


def log_file_name(run: RunInfo, now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y-%m-%dT%H-%M-%S")
    command = "_".join(part for part in (run.command, run.subcommand) if part)
    return "_".join(part for part in (stamp, run.destination, command) if part) + ".log"


class FileSink:
    def __init__(self, directory: str, run: RunInfo) -> None:
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, log_file_name(run))
        self._file = open(self.path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._lock = threading.Lock()

    def line(self, level: str, text: str, host: str | None = None, iostream: str | None = None) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.write(clean(text) + "\n")
                self._file.flush()

    def finish(self, seconds: float, error: BaseException | None) -> str:
        if error is None:
            self.line("info", f"# Completed in {seconds:.1f}s")
        else:
            kind, message = failure_text(error)
            self.line("error", f"# FAILED: {kind}: {message} ({seconds:.1f}s)")
        with self._lock:
            self._file.close()
        return f"Logs written to {self.path}"


# --- OpenTelemetry -----------------------------------------------------------------------------


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def _attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": _value(value)} for key, value in values.items()]


def resource_attributes(run: RunInfo, tool_version: str) -> list[dict[str, Any]]:
    tags = {
        "performer": run.performer,
        "destination": run.destination,
        "version": run.version,
        "service": run.service,
    }
    values: dict[str, Any] = {
        "service.name": "kamal",
        "service.version": tool_version,
        "kamal.run_id": run.run_id,
    }
    values.update({TAG_KEYS[key]: value for key, value in tags.items() if value is not None})
    return _attributes(values)


Post = Callable[[str, bytes], int]  # (url, JSON body) -> HTTP status


def http_post(url: str, body: bytes) -> int:
    import urllib.request

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(response.status)


class OtelSink:
    """Log records shipped from a background thread: every BATCH_SIZE records or FLUSH_INTERVAL."""

    def __init__(
        self,
        endpoint: str,
        run: RunInfo,
        tool_version: str,
        *,
        post: Post = http_post,
        warn: Callable[[str], None],
    ) -> None:
        self.endpoint = endpoint
        self.url = endpoint.rstrip("/") + "/v1/logs"
        self.run = run
        self._resource = resource_attributes(run, tool_version)
        self._tool_version = tool_version
        self._post = post
        self._warn = warn
        self._failed = False
        self._records: queue.Queue[dict[str, Any]] = queue.Queue()
        self._wake = threading.Event()
        self._stopping = False
        self._ship_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="otel-logs", daemon=True)
        self._thread.start()
        self.event("kamal.start", {"kamal.command": run.full_command, **self._deployment()})

    def _deployment(self, status: str | None = None) -> dict[str, Any]:
        if not self.run.is_deploy:
            return {}
        values = {
            "deployment.id": self.run.run_id,
            "deployment.name": f"{self.run.full_command} {self.run.service}",
        }
        if status is not None:
            values["deployment.status"] = status
        return values

    def line(self, level: str, text: str, host: str | None = None, iostream: str | None = None) -> None:
        context = {"server.address": host, "log.iostream": iostream}
        attributes = {key: value for key, value in context.items() if value is not None}
        for piece in clean(text).splitlines() or [""]:
            self._add(self._record(piece, level, attributes=attributes))

    def event(self, name: str, attributes: dict[str, Any], level: str = "info") -> None:
        self._add(self._record(name, level, event=name, attributes=attributes))

    def _record(
        self, body: str, level: str, *, event: str | None = None, attributes: dict[str, Any]
    ) -> dict[str, Any]:
        now = str(time.time_ns())
        number, text = SEVERITIES.get(level, SEVERITIES["info"])
        record: dict[str, Any] = {
            "timeUnixNano": now,
            "observedTimeUnixNano": now,
            "severityNumber": number,
            "severityText": text,
            "body": {"stringValue": body},
        }
        if event is not None:
            record["eventName"] = event
        if attributes:
            record["attributes"] = _attributes(attributes)
        return record

    def _add(self, record: dict[str, Any]) -> None:
        self._records.put(record)
        if self._records.qsize() >= BATCH_SIZE:
            self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._ship_lock:
            records: list[dict[str, Any]] = []
            while True:
                try:
                    records.append(self._records.get_nowait())
                except queue.Empty:
                    break
            for start in range(0, len(records), BATCH_SIZE):
                self._ship(records[start : start + BATCH_SIZE])

    def _ship(self, records: list[dict[str, Any]]) -> None:
        if self._failed:
            return  # a collector that failed once is not tried again during this run
        payload = {
            "resourceLogs": [
                {
                    "resource": {"attributes": self._resource},
                    "scopeLogs": [
                        {"scope": {"name": "kamal", "version": self._tool_version}, "logRecords": records}
                    ],
                }
            ]
        }
        try:
            status = self._post(self.url, json.dumps(payload).encode())
        except Exception as exc:
            self._give_up(f"{type(exc).__name__}: {_reason(exc)}")
            return
        if not 200 <= status < 300:
            self._give_up(f"HTTP {status}")

    def _give_up(self, reason: str) -> None:
        self._failed = True
        self._warn(f"OTel log shipping to {self.url} failed: {reason}")

    def finish(self, seconds: float, error: BaseException | None) -> str:
        runtime = round(seconds, 1)
        if error is None:
            self.event(
                "kamal.complete",
                {
                    "kamal.command": self.run.full_command,
                    "kamal.runtime": runtime,
                    **self._deployment("succeeded"),
                },
            )
        else:
            kind, message = failure_text(error)
            attributes = {
                "kamal.command": self.run.full_command,
                "kamal.runtime": runtime,
                "exception.type": kind,
                "exception.message": message,
                **self._deployment("failed"),
            }
            self.event("kamal.failed", attributes, level="error")
        self._stopping = True
        self._wake.set()
        self._thread.join(FLUSH_INTERVAL + 1)
        self.flush()
        return f"Logs sent to {self.endpoint}"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc)


def warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr)
