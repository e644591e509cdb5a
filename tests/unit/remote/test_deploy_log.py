"""``output:`` sinks: the per-run log file and OTLP/HTTP JSON records, fed by the run's Output."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from remote_helpers import Captured

from pykamal.errors import LockError
from pykamal.remote.deploy_log import FileSink, OtelSink, RunInfo, log_file_name


def info(command: str = "deploy", subcommand: str | None = None, destination: str | None = None) -> RunInfo:
    return RunInfo(command, subcommand, "app", destination, "v42", "jane@example.test", run_id="run-1")


@pytest.mark.parametrize(
    ("run", "name"),
    [
        (info(), "2026-06-02T14-03-59_deploy.log"),
        (info(destination="staging"), "2026-06-02T14-03-59_staging_deploy.log"),
        (info("app", "boot"), "2026-06-02T14-03-59_app_boot.log"),
        (info("app", "boot", "staging"), "2026-06-02T14-03-59_staging_app_boot.log"),
    ],
)
def test_log_file_names_follow_kamal(run: RunInfo, name: str) -> None:
    assert log_file_name(run, datetime(2026, 6, 2, 14, 3, 59)) == name


def test_file_sink_gets_every_level_masked_and_ends_with_the_outcome(tmp_path: Path) -> None:
    captured = Captured("error")  # the terminal shows errors only; the file keeps everything
    output = captured.output
    output.redactor.add("hunter2-secret")
    sink = FileSink(str(tmp_path / "logs"), info())
    output.add_sink(sink)
    output.say("Acquiring the deploy lock...")
    output.command_started("abcd1234", "docker ps", "10.0.0.1", "info")
    output.command_output("abcd1234", "password is hunter2-secret\n", "stdout")
    output.command_finished("abcd1234", 0.25, 0, "info")
    output.remove_sink(sink)
    output.say("after the run")
    assert sink.finish(12.34, None) == f"Logs written to {sink.path}"
    assert captured.text == ""
    lines = Path(sink.path).read_text().splitlines()
    assert lines == [
        "Acquiring the deploy lock...",
        "  INFO [abcd1234] Running docker ps on 10.0.0.1",
        " DEBUG [abcd1234] \tpassword is [REDACTED]",
        "  INFO [abcd1234] Finished in 0.250 seconds with exit status 0 (successful).",
        "# Completed in 12.3s",
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d_deploy\.log", Path(sink.path).name)


def test_file_sink_names_the_failure(tmp_path: Path) -> None:
    sink = FileSink(str(tmp_path), info())
    sink.finish(3.0, LockError("Deploy lock found on h1:\nheld by Bob"))
    assert Path(sink.path).read_text().splitlines()[-1] == (
        "# FAILED: LockError: Deploy lock found on h1:; held by Bob (3.0s)"
    )


class Receiver:
    """Stands in for the HTTP POST: keeps each decoded body."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[dict[str, Any]] = []
        self.urls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, url: str, body: bytes) -> int:
        with self.lock:
            self.urls.append(url)
            self.bodies.append(json.loads(body))
        return self.status

    def records(self) -> list[dict[str, Any]]:
        return [
            record
            for body in self.bodies
            for resource in body["resourceLogs"]
            for scope in resource["scopeLogs"]
            for record in scope["logRecords"]
        ]


def attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {item["key"]: next(iter(item["value"].values())) for item in items}


def test_otel_records_of_a_deploy() -> None:
    receiver = Receiver()
    warnings: list[str] = []
    sink = OtelSink(
        "http://collector:4318/", info(destination="staging"), "9.9.9", post=receiver, warn=warnings.append
    )
    output = Captured("info").output
    output.add_sink(sink)
    output.command_started("c0ffee00", "docker ps", "10.0.0.7", "info")
    output.command_output("c0ffee00", "oops\n", "stderr")
    output.command_finished("c0ffee00", 0.1, 0, "info")
    assert sink.finish(2.0, None) == "Logs sent to http://collector:4318/"
    assert set(receiver.urls) == {"http://collector:4318/v1/logs"}
    resource = attributes(receiver.bodies[0]["resourceLogs"][0]["resource"]["attributes"])
    assert resource == {
        "service.name": "kamal",
        "service.version": "9.9.9",
        "kamal.run_id": "run-1",
        "kamal.performer": "jane@example.test",
        "deployment.environment.name": "staging",
        "kamal.deploy_version": "v42",
        "service.namespace": "app",
    }
    records = receiver.records()
    start, running, data, finished, complete = records
    assert start["eventName"] == "kamal.start" and start["body"] == {"stringValue": "kamal.start"}
    assert attributes(start["attributes"]) == {
        "kamal.command": "deploy",
        "deployment.id": "run-1",
        "deployment.name": "deploy app",
    }
    assert running["body"]["stringValue"] == "  INFO [c0ffee00] Running docker ps on 10.0.0.7"
    assert running["severityText"] == "INFO" and running["severityNumber"] == 9
    assert attributes(running["attributes"]) == {"server.address": "10.0.0.7"}
    assert data["severityText"] == "DEBUG" and data["severityNumber"] == 5
    assert attributes(data["attributes"]) == {"server.address": "10.0.0.7", "log.iostream": "stderr"}
    assert finished["body"]["stringValue"].endswith("with exit status 0 (successful).")
    assert complete["eventName"] == "kamal.complete"
    assert attributes(complete["attributes"])["deployment.status"] == "succeeded"
    assert attributes(complete["attributes"])["kamal.runtime"] == 2.0
    assert all(int(r["timeUnixNano"]) > 0 and r["observedTimeUnixNano"] == r["timeUnixNano"] for r in records)
    assert warnings == []


def test_otel_failure_event_and_batches_of_at_most_100() -> None:
    receiver = Receiver()
    sink = OtelSink("http://collector:4318", info("app", "boot"), "9.9.9", post=receiver, warn=print)
    for number in range(250):
        sink.line("info", f"line {number}")
    sink.finish(1.5, LockError("held"))
    assert all(len(body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]) <= 100 for body in receiver.bodies)
    records = receiver.records()
    assert [r["body"]["stringValue"] for r in records[1:251]] == [f"line {n}" for n in range(250)]
    failed = records[-1]
    assert failed["eventName"] == "kamal.failed" and failed["severityText"] == "ERROR"
    values = attributes(failed["attributes"])
    assert values == {
        "kamal.command": "app boot",
        "kamal.runtime": 1.5,
        "exception.type": "LockError",
        "exception.message": "held",
    }  # not a deploy: no deployment.* attributes


def test_an_unreachable_collector_is_reported_once_and_never_raises() -> None:
    calls: list[str] = []

    def refuse(url: str, body: bytes) -> int:
        calls.append(url)
        raise ConnectionRefusedError(111, "Connection refused")

    warnings: list[str] = []
    sink = OtelSink("http://127.0.0.1:9", info(), "9.9.9", post=refuse, warn=warnings.append)
    sink.line("info", "hello")
    sink.flush()
    sink.line("info", "again")
    sink.finish(1.0, None)
    assert len(calls) == 1
    assert warnings == [
        "OTel log shipping to http://127.0.0.1:9/v1/logs failed: ConnectionRefusedError: [Errno 111] "
        "Connection refused"
    ]


def test_an_error_status_is_reported() -> None:
    warnings: list[str] = []
    sink = OtelSink("http://c:4318", info(), "9.9.9", post=Receiver(status=500), warn=warnings.append)
    sink.finish(1.0, None)
    assert warnings == ["OTel log shipping to http://c:4318/v1/logs failed: HTTP 500"]


def test_binary_output_is_written_as_valid_utf8(tmp_path: Path) -> None:
    sink = FileSink(str(tmp_path), info())
    sink.line("debug", "\tbytes \udcff end")
    sink.finish(0.1, None)
    assert Path(sink.path).read_text(encoding="utf-8").splitlines()[0] == "\tbytes ? end"
