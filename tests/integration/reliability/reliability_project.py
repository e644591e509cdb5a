"""The example app deployed by pykamal to the test sandbox, and ways to look at what it left.

Layout: the web role on the first two hosts (behind kamal-proxy), the worker role on the third.
Versions are tags of one image pushed once per session (the app reports the version Kamal gives
it in KAMAL_VERSION), so a new version costs a registry API call instead of a build.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pykamal.sandbox.core import Sandbox
from pykamal.sandbox.docker import Docker

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello"
SERVICE = "hello"
BASE_TAG = "reliability-base"
LOCK_DIR = f".kamal/lock-{SERVICE}"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def push_base_image(sandbox: Sandbox) -> None:
    """The example app, labelled for the service as a build by either tool would be."""
    image = f"{sandbox.registry}/{SERVICE}:{BASE_TAG}"
    docker = Docker()
    docker.run(
        ["build", "--quiet", "--label", f"service={SERVICE}", "--tag", image, str(EXAMPLE)], timeout=300
    )
    docker.run(["push", image], timeout=300)


def tag_version(sandbox: Sandbox, version: str) -> None:
    """Tag the base image as ``version`` in the sandbox registry (manifest copy, no layer upload)."""
    base = f"http://{sandbox.registry}/v2/{SERVICE}/manifests"
    request = urllib.request.Request(f"{base}/{BASE_TAG}", headers={"Accept": MANIFEST_TYPES})
    with urllib.request.urlopen(request, timeout=30) as response:
        body, content_type = response.read(), response.headers["Content-Type"]
    put = urllib.request.Request(
        f"{base}/{version}", data=body, method="PUT", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(put, timeout=30) as response:
        assert response.status in (200, 201), response.status


def http_get(host: str, path: str = "/version", timeout: float = 5) -> tuple[int, str]:
    """(status, body) of a GET to the host's port 80; status 0 and the error text when it fails."""
    conn = http.client.HTTPConnection(host, 80, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as exc:
        return 0, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


@dataclass
class Running:
    """A pykamal process started in the background; its output is collected line by line."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None and self._reader is not None:
                self._reader.join(timeout=5)
                if any(text in line for line in self.lines):
                    return
                raise AssertionError(
                    f"pykamal exited ({self.process.returncode}) before {text!r}:\n{self.output}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in pykamal's output after {timeout}s:\n{self.output}")
            time.sleep(0.02)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 180) -> int:
        code = self.process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=10)
        return code


@dataclass
class Project:
    root: Path
    sandbox: Sandbox
    env: dict[str, str]

    @property
    def web(self) -> list[str]:
        return self.sandbox.hosts[:2]

    @property
    def worker(self) -> list[str]:
        return self.sandbox.hosts[2:3]

    @property
    def primary(self) -> str:
        return self.sandbox.hosts[0]

    def keepalive_ssh_config(self, interval: int = 1, count: int = 3) -> Path:
        """The sandbox's ssh config plus OpenSSH keepalive settings (a host that stops answering is
        given up after about interval x count seconds instead of the default 30 x 3)."""
        path = self.root / "ssh_config"
        path.write_text(
            self.sandbox.ssh_config_path.read_text()
            + f"\nHost *\n    ServerAliveInterval {interval}\n    ServerAliveCountMax {count}\n"
        )
        return path

    def write(
        self,
        *,
        boot_delay: float = 0,
        env_secret: bool = False,
        extra: str = "",
        ssh_config: Path | None = None,
    ) -> None:
        web = "".join(f"      - {h}\n" for h in self.web)
        worker = "".join(f"      - {h}\n" for h in self.worker)
        secret = "  secret:\n    - APP_TOKEN\n" if env_secret else ""
        (self.root / "config" / "deploy.yml").write_text(
            f"service: {SERVICE}\nimage: {SERVICE}\n"
            f"servers:\n  web:\n    hosts:\n{web}  worker:\n    hosts:\n{worker}    cmd: /app/worker\n"
            "proxy:\n  app_port: 80\n  healthcheck:\n    path: /up\n    interval: 1\n    timeout: 2\n"
            f"registry:\n  server: {self.sandbox.registry}\n  username: sandbox\n"
            "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"
            "builder:\n  arch: amd64\n  driver: docker\n  context: .\n"
            f"env:\n  clear:\n    APP_BOOT_DELAY: {boot_delay:g}\n    WORKER_INTERVAL: 1\n{secret}"
            f"ssh:\n  config: {ssh_config or self.sandbox.ssh_config_path}\n"
            "drain_timeout: 2\ndeploy_timeout: 20\nreadiness_delay: 0\n" + extra
        )

    def hook(self, name: str, script: str) -> Path:
        hooks = self.root / ".kamal" / "hooks"
        hooks.mkdir(exist_ok=True)
        path = hooks / name
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(0o755)
        return path

    def _env(self, extra_env: dict[str, str] | None) -> dict[str, str]:
        env = dict(self.env)
        env.update(extra_env or {})
        return env

    def pykamal(
        self, *args: str, check: bool = True, timeout: float = 180, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "pykamal", *args],
            cwd=self.root,
            env=self._env(extra_env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pykamal {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> Running:
        process = subprocess.Popen(
            [sys.executable, "-m", "pykamal", *args],
            cwd=self.root,
            env=self._env({"PYTHONUNBUFFERED": "1", **(extra_env or {})}),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running = Running(process)
        running.start_reading()
        return running

    def deploy(
        self, version: str, *args: str, check: bool = True, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        tag_version(self.sandbox, version)
        return self.pykamal("deploy", "--skip-push", "--version", version, *args, check=check, **kwargs)  # type: ignore[arg-type]

    def start_deploy(self, version: str, *args: str, extra_env: dict[str, str] | None = None) -> Running:
        """A deploy in the background, verbose: the tests wait for its per-host log lines
        ("Booting <container> on <host>") to pick the moment they interrupt it."""
        tag_version(self.sandbox, version)
        return self.start("deploy", "-v", "--skip-push", "--version", version, *args, extra_env=extra_env)

    # -- what is on the hosts -------------------------------------------------------------

    def lock_present(self) -> bool:
        return self.sandbox.run_on_host(self.primary, f"test -e /root/{LOCK_DIR}").returncode == 0

    def containers(self, host: str, *, all_states: bool = False) -> dict[str, str]:
        """name -> status of the service's containers on the host (running ones unless all_states)."""
        flag = "--all " if all_states else ""
        result = self.sandbox.run_on_host(
            host,
            f"docker ps {flag}--filter label=service={SERVICE} --format '{{{{.Names}}}} {{{{.Status}}}}'",
        )
        assert result.returncode == 0, result.stderr
        return dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.strip())

    def running_versions(self, host: str, role: str) -> list[str]:
        prefix = f"{SERVICE}-{role}-"
        return sorted(name[len(prefix) :] for name in self.containers(host) if name.startswith(prefix))

    def proxy_target(self, host: str) -> str | None:
        """Name of the container kamal-proxy sends the web service's traffic to (None: no route)."""
        listing = self.sandbox.run_on_host(host, "docker exec kamal-proxy kamal-proxy list")
        for line in ANSI.sub("", listing.stdout).splitlines():
            words = line.split()
            if words and words[0] == f"{SERVICE}-web":
                target = next((w for w in words if w.endswith(":80")), "")
                container_id = target.rsplit(":", 1)[0]
                named = self.sandbox.run_on_host(
                    host, f"docker inspect --format '{{{{.Name}}}} {{{{.State.Running}}}}' {container_id}"
                )
                name, _, running = named.stdout.strip().partition(" ")
                return name.lstrip("/") if running == "true" else f"{name.lstrip('/')} (not running)"
        return None

    def assert_serving(self, version: str) -> None:
        """Every web host answers with ``version`` through the proxy, from the container the proxy names."""
        for host in self.web:
            assert http_get(host) == (200, f"{version}\n"), (host, http_get(host))
            assert self.proxy_target(host) == f"{SERVICE}-web-{version}", host
        for host in self.worker:
            assert self.running_versions(host, "worker") == [version], host

    def assert_settled(self, version: str) -> None:
        """``assert_serving`` plus exactly one running container per role and no lock."""
        self.assert_serving(version)
        for host in self.web:
            assert self.running_versions(host, "web") == [version], (host, self.containers(host))
        assert not self.lock_present()


def make_project(tmp_path: Path, sandbox: Sandbox, **write: object) -> Project:
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text("KAMAL_REGISTRY_PASSWORD=sandbox\n")
    env = sandbox.make_ssh_env()
    env.pop("VERSION", None)
    env.pop("KAMAL_LOCK", None)
    project = Project(root, sandbox, env)
    project.write(**write)  # type: ignore[arg-type]
    return project


@dataclass
class Load:
    """Requests to every web host, one after another, until stopped (at most ``limit``)."""

    hosts: list[str]
    limit: int = 50_000
    path: str = "/version"
    statuses: Counter[str] = field(default_factory=Counter)
    by_host: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    versions: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def __enter__(self) -> Load:
        def loop() -> None:
            index = 0
            while not self._stop.is_set() and self.total < self.limit:
                host = self.hosts[index % len(self.hosts)]
                index += 1
                status, body = http_get(host, self.path)
                time.sleep(0.005)  # leave CPU to the deploy on small machines
                self.statuses[str(status)] += 1
                self.by_host.setdefault(host, Counter())[str(status)] += 1
                if status == 200:
                    self.versions[body.strip()] += 1
                else:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {host}: {status} {body.strip()[:200]}")

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def proxy_log(sandbox: Sandbox, host: str) -> list[dict[str, object]]:
    result = sandbox.run_on_host(host, "docker logs kamal-proxy 2>&1")
    entries = []
    for line in result.stdout.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def docker_host(sandbox: Sandbox, host: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the outer docker CLI on the host's container (pause, unpause, ...)."""
    return subprocess.run(
        ["docker", *args, sandbox.container(host)], capture_output=True, text=True, check=False, timeout=60
    )


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class ProcessLists:
    """Samples the argv of every process, on this machine and on the hosts, while a block runs."""

    sandbox: Sandbox
    hosts: list[str]
    samples: list[str] = field(default_factory=list)
    rounds: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        local = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False)
        self.samples.append(local.stdout)
        for host in self.hosts:
            self.samples.append(self.sandbox.run_on_host(host, "ps -eo args", timeout=30).stdout)
        self.rounds += 1

    def __enter__(self) -> ProcessLists:
        def loop() -> None:
            while not self._stop.is_set():
                self.sample()
                self._stop.wait(0.02)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self.sample()

    def lines_with(self, text: str) -> list[str]:
        return [line for sample in self.samples for line in sample.splitlines() if text in line]
