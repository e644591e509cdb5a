"""A copy of the example app wired to the test sandbox, and ways to run pykamal on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pykamal.sandbox.core import Sandbox

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello"
CANARY = "canary-9c1f-Pw-for-registry"
USER = "deployer"
REAL_DOCKER = shutil.which("docker") or "/usr/bin/docker"


@dataclass(frozen=True)
class AuthRegistry:
    """A registry that checks credentials (see conftest.auth_registry)."""

    server: str
    container: str


@dataclass
class Project:
    root: Path
    sandbox: Sandbox
    env: dict[str, str]
    docker_config: Path

    def pykamal(
        self,
        *args: str,
        path: str | None = None,
        check: bool = True,
        timeout: float = 300,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m pykamal`` in the project; ``path`` replaces PATH for it."""
        env = dict(self.env)
        if path is not None:
            env["PATH"] = path
        env.update(extra_env or {})
        result = subprocess.run(
            [sys.executable, "-m", "pykamal", *args],
            cwd=self.root,
            env=env,
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

    def docker(
        self, *args: str, check: bool = True, path: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The local docker CLI with this project's (throwaway) client configuration."""
        env = dict(os.environ, DOCKER_CONFIG=str(self.docker_config))
        if path is not None:
            env["PATH"] = path
        return subprocess.run(
            [REAL_DOCKER, *args], env=env, capture_output=True, text=True, check=check, timeout=300
        )

    def local_auths(self) -> set[str]:
        import json

        file = self.docker_config / "config.json"
        if not file.exists():
            return set()
        return set(json.loads(file.read_text()).get("auths", {}))


def make_project(
    tmp_path: Path,
    sandbox: Sandbox,
    *,
    registry: str,
    builder: str = "  arch: amd64\n  driver: docker\n  context: .\n",
    hosts: list[str] | None = None,
    password: str = CANARY,
    git: bool = False,
) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(EXAMPLE / "Dockerfile", root / "Dockerfile")
    shutil.copy(EXAMPLE / ".dockerignore", root / ".dockerignore")
    shutil.copytree(EXAMPLE / "app", root / "app")
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    web = hosts if hosts is not None else sandbox.hosts[:2]
    (root / "config" / "deploy.yml").write_text(
        "service: hello\nimage: hello\n"
        "servers:\n  web:\n    hosts:\n" + "".join(f"      - {h}\n" for h in web) + f"registry:\n{registry}"
        f"builder:\n{builder}"
        f"ssh:\n  config: {sandbox.ssh_config_path}\n"
    )
    (root / ".kamal" / "secrets").write_text(f"KAMAL_REGISTRY_PASSWORD={password}\n")
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    env = sandbox.make_ssh_env()
    env["DOCKER_CONFIG"] = str(docker_config)
    env.pop("VERSION", None)
    if git:
        for command in (
            ["git", "init", "-q", "-b", "main"],
            ["git", "add", "-A"],
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "-m", "app"],
        ):
            subprocess.run(command, cwd=root, check=True, capture_output=True)
    return Project(root, sandbox, env, docker_config)


def registry_block(server: str, password_secret: bool = True) -> str:
    if server.startswith("localhost"):
        return f"  server: {server}\n"
    return f"  server: {server}\n  username: {USER}\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n"


def path_without_docker(tmp_path: Path) -> str:
    """A PATH with only what pykamal may need (git, sh, env), and no docker."""
    folder = tmp_path / "bin-without-docker"
    folder.mkdir(exist_ok=True)
    for tool in ("git", "sh", "env", "ssh"):
        found = shutil.which(tool)
        if found and not (folder / tool).exists():
            (folder / tool).symlink_to(found)
    path = str(folder)
    assert shutil.which("docker", path=path) is None
    return path


def host_log_since(sandbox: Sandbox, host: str) -> list[str]:
    return sandbox.command_log(host)


@dataclass
class ProcessSampler:
    """Samples the process lists here and on the hosts while a block runs."""

    sandbox: Sandbox
    hosts: list[str]
    samples: list[str] = field(default_factory=list)
    count: int = 0

    @contextmanager
    def running(self, interval: float = 0.05) -> Iterator[ProcessSampler]:
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                self.sample()
                time.sleep(interval)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=30)
            self.sample()

    def sample(self) -> None:
        local = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False)
        self.samples.append(local.stdout)
        for host in self.hosts:
            self.samples.append(self.sandbox.run_on_host(host, "ps -eo args", timeout=30).stdout)
        self.count += 1

    def seen(self, text: str) -> list[str]:
        return [line for sample in self.samples for line in sample.splitlines() if text in line]
