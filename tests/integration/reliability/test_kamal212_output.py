"""``output:`` on real deploys: the per-run log file, and OTLP/HTTP JSON records sent to a local receiver."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from reliability_project import Project

pytestmark = pytest.mark.integration

LOG_NAME = re.compile(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d_deploy\.log")


class Collector:
    """A small OTLP/HTTP receiver: keeps every JSON body POSTed to /v1/logs."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, dict[str, Any]]] = []  # (path, content type, body)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                collector.posts.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def resources(self) -> list[dict[str, Any]]:
        return [attributes(resource["resource"]["attributes"]) for _, _, body in self.posts
                for resource in body["resourceLogs"]]  # fmt: skip

    def records(self) -> list[dict[str, Any]]:
        return [record for _, _, body in self.posts for resource in body["resourceLogs"]
                for scope in resource["scopeLogs"] for record in scope["logRecords"]]  # fmt: skip

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    running = Collector()
    yield running
    running.close()


def attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {item["key"]: next(iter(item["value"].values())) for item in items}


def events(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [attributes(r.get("attributes", [])) for r in records if r.get("eventName") == name]


def log_files(project: Project) -> list[Path]:
    folder = project.root / "deploy-logs"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_deploy_is_logged_to_a_file_and_shipped_over_otlp(project: Project, collector: Collector) -> None:
    project.write(
        extra=f"output:\n  file:\n    path: deploy-logs\n  otel:\n    endpoint: {collector.endpoint}\n"
    )
    result = project.deploy("logged-1")
    (log,) = log_files(project)
    assert LOG_NAME.fullmatch(log.name), log.name
    assert f"Logs written to deploy-logs/{log.name}" in result.stdout
    assert f"Logs sent to {collector.endpoint}" in result.stdout

    lines = log.read_text().splitlines()
    assert "Acquiring the deploy lock..." in lines
    for host in project.sandbox.hosts:  # every host's commands, at every level, not only what was shown
        assert any(
            re.match(rf"^ +INFO \[[0-9a-f]{{8}}\] Running .* on {re.escape(host)}$", line) for line in lines
        )
    assert any(re.match(r"^ DEBUG \[[0-9a-f]{8}\] \t", line) for line in lines)  # command output
    assert any("docker run" in line and "hello-web-logged-1" in line for line in lines)
    assert re.fullmatch(r"# Completed in \d+\.\ds", lines[-1])

    # the receiver got OTLP JSON at /v1/logs, with the deploy's tags on every batch
    assert collector.posts
    assert {(path, kind) for path, kind, _ in collector.posts} == {("/v1/logs", "application/json")}
    for resource in collector.resources():
        assert resource["service.name"] == "kamal"
        assert resource["service.namespace"] == "hello"
        assert resource["kamal.deploy_version"] == "logged-1"
        assert resource["kamal.performer"]
    assert len({resource["kamal.run_id"] for resource in collector.resources()}) == 1
    records = collector.records()
    (start,) = events(records, "kamal.start")
    (complete,) = events(records, "kamal.complete")
    assert start["kamal.command"] == "deploy" and start["deployment.name"] == "deploy hello"
    assert complete["deployment.status"] == "succeeded"
    assert complete["deployment.id"] == start["deployment.id"] == collector.resources()[0]["kamal.run_id"]
    assert complete["kamal.runtime"] > 0
    # one record per line of the file (the file's last line is the completion note instead of an event)
    bodies = [r["body"]["stringValue"] for r in records if "eventName" not in r]
    assert bodies == lines[:-1]
    hosts = {attributes(r.get("attributes", [])).get("server.address") for r in records}
    assert set(project.sandbox.hosts) <= hosts
    streams = {attributes(r.get("attributes", [])).get("log.iostream") for r in records}
    assert "stdout" in streams
    levels = {r["severityText"] for r in records}
    assert {"INFO", "DEBUG"} <= levels

    # commands that only read write no log
    project.pykamal("app", "details")
    assert len(log_files(project)) == 1


def test_a_failed_deploy_is_logged_as_failed(project: Project, collector: Collector) -> None:
    project.write(
        extra=f"output:\n  file:\n    path: deploy-logs\n  otel:\n    endpoint: {collector.endpoint}\n"
    )
    result = project.pykamal("deploy", "--skip-push", "--version", "never-pushed", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    (log,) = log_files(project)
    assert log.read_text().splitlines()[-1].startswith("# FAILED: ")
    (failed,) = events(collector.records(), "kamal.failed")
    assert failed["deployment.status"] == "failed"
    assert failed["exception.type"] and failed["exception.message"]
    assert not events(collector.records(), "kamal.complete")


def test_an_unreachable_collector_does_not_fail_the_deploy(project: Project) -> None:
    project.write(extra="output:\n  otel:\n    endpoint: http://127.0.0.1:9\n")
    result = project.deploy("unlogged-1")
    assert "OTel log shipping to http://127.0.0.1:9/v1/logs failed" in result.stderr
    assert result.stderr.count("OTel log shipping") == 1
    project.assert_settled("unlogged-1")
