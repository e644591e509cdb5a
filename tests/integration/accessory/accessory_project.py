"""The project the accessory integration tests deploy: the example app with two accessories.

* ``kv``: a small HTTP key-value store (``kv_image/``, built here FROM the sandbox's busybox image
  and pushed to the sandbox registry), placed on the app's ``web`` role so the app container
  reaches it over the host's ``kamal`` network. It exercises files (one an ``.erb`` template),
  directories, env (clear and secret), port, cmd, labels, options and its own registry login.
* ``kvweb``: the same image on another host behind kamal-proxy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pykamal.sandbox.core import Sandbox

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello"
KV_IMAGE_DIR = Path(__file__).resolve().parent / "kv_image"
KV_REPOSITORY = "pykamal-test-kv"
VERSION = "acc1"
KV_SECRET = "kv-Secret-7a3f-value"
KV_REGISTRY_PASSWORD = "kv-Registry-Pw-51e0"
APP_REGISTRY_PASSWORD = "app-Registry-Pw-c2d9"
PROXY_HOST = "kv.sandbox.test"

DEPLOY_YML = """
service: hello
image: hello

servers:
  web:
    hosts:
      - <%= ENV["PYKAMAL_SANDBOX_HOST_1"] %>

proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1

registry:
  server: <%= ENV["PYKAMAL_SANDBOX_REGISTRY"] %>
  username: sandbox
  password:
    - KAMAL_REGISTRY_PASSWORD

builder:
  arch: amd64
  driver: docker
  context: .

ssh:
  config: <%= ENV["PYKAMAL_SANDBOX_SSH_CONFIG"] %>

drain_timeout: 2
readiness_delay: 0

aliases:
  kv-logs: accessory logs kv --lines 20
  kv-conf: accessory exec kv --reuse "cat /etc/kv/kv.conf"
  app-version: app exec --reuse "cat /app/www/version"

accessories:
  kv:
    image: pykamal-test-kv:latest
    registry:
      server: <%= ENV["PYKAMAL_SANDBOX_REGISTRY"] %>
      username: kv-puller
      password:
        - KV_REGISTRY_PASSWORD
    role: web
    port: "127.0.0.1:7001:7000"
    cmd: /kv/serve
    labels:
      tier: data
    options:
      hostname: kv-box
      memory: 64m
    env:
      clear:
        GREETING: hello from erb
        KV_DATA: /data
      secret:
        - KV_SECRET
    files:
      - config/kv.conf.erb:/etc/kv/kv.conf
      - local: config/notes.txt
        remote: /etc/kv/notes.txt
        mode: "0640"
    directories:
      - data:/data
  kvweb:
    image: pykamal-test-kv:latest
    registry:
      server: <%= ENV["PYKAMAL_SANDBOX_REGISTRY"] %>
      username: kv-puller
      password:
        - KV_REGISTRY_PASSWORD
    host: <%= ENV["PYKAMAL_SANDBOX_HOST_2"] %>
    proxy:
      host: kv.sandbox.test
      app_port: 7000
      healthcheck:
        path: /up
        interval: 1
"""

KV_CONF_ERB = """# rendered by pykamal
greeting=<%= ENV["GREETING"] %>
<% if ENV["KV_SECRET"] %>secret=present<% end %>
"""


@dataclass
class Project:
    root: Path
    sandbox: Sandbox
    env: dict[str, str]

    @property
    def app_host(self) -> str:
        return self.sandbox.hosts[0]

    @property
    def proxy_host(self) -> str:
        return self.sandbox.hosts[1]

    def pykamal(
        self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.pykamal_argv(), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pykamal {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    @staticmethod
    def pykamal_argv() -> list[str]:
        script = Path(sys.executable).parent / "pykamal"
        return [str(script)] if script.exists() else [sys.executable, "-m", "pykamal"]

    def on_host(self, host: str, command: str) -> str:
        result = self.sandbox.run_on_host(host, command)
        assert result.returncode == 0, f"{command} on {host}: {result.stderr}"
        return result.stdout

    def push_kv(self, release: str) -> str:
        """Build the key-value image (release label in its output) and push it as ``:latest``."""
        image = f"{self.sandbox.registry}/{KV_REPOSITORY}:latest"
        docker = ["docker", "--config", self.env["DOCKER_CONFIG"]]
        subprocess.run(
            [*docker, "build", "--quiet", "--tag", image, "--build-arg", f"KV_RELEASE={release}",
             str(KV_IMAGE_DIR)],
            check=True, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        subprocess.run([*docker, "push", image], check=True, capture_output=True, text=True, timeout=300)
        subprocess.run([*docker, "rmi", image], check=False, capture_output=True)
        return image


def create(sandbox: Sandbox, root: Path, docker_config: Path) -> Project:
    """Write the project into ``root``, push the first key-value image and deploy the app."""
    shutil.copy(EXAMPLE / "Dockerfile", root / "Dockerfile")
    shutil.copytree(EXAMPLE / "app", root / "app")
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(DEPLOY_YML)
    (root / "config" / "kv.conf.erb").write_text(KV_CONF_ERB)
    (root / "config" / "notes.txt").write_text("plain file, mode 0640\n")
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text(
        f"KAMAL_REGISTRY_PASSWORD={APP_REGISTRY_PASSWORD}\n"
        f"KV_REGISTRY_PASSWORD={KV_REGISTRY_PASSWORD}\n"
        f"KV_SECRET={KV_SECRET}\n"
    )
    env = {k: v for k, v in sandbox.make_ssh_env().items() if not k.startswith("KAMAL_")}
    env.update(VERSION=VERSION, DOCKER_CONFIG=str(docker_config))
    project = Project(root, sandbox, env)
    for host in sandbox.hosts:  # hosts keep pulled images across resets: start without ours
        sandbox.run_on_host(host, f"docker rmi -f {sandbox.registry}/{KV_REPOSITORY}:latest")
    project.push_kv("1")
    project.pykamal("deploy")
    return project
