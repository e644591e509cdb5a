"""Configs and runs for unit tests of the accessory flows (nothing runs: a recorder)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from flow_runs import recorded_run

from pykamal.config import load_config
from pykamal.config.model import Config
from pykamal.flows.context import Run
from pykamal.remote.fake import RecordingExecutor

SECRET = "s3cr3t-Value-9d1e"
REGISTRY_PASSWORD = "reg-Pa55-4b7a"
DB_PASSWORD = "db-Pa55-81c2"

CONFIG = """
service: app
image: team/app
servers:
  web:
    hosts: [h1, h2]
  jobs:
    hosts:
      - h3: [batch]
      - h4
registry:
  server: registry.example.test
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
accessories:
  cache:
    image: kv:1
    hosts: [h1, h5]
    port: 7000
    cmd: /kv/serve --verbose
    labels:
      tier: data
    options:
      memory: 64m
    env:
      clear:
        GREETING: hello there
      secret:
        - KV_SECRET
    files:
      - config/kv.conf:/etc/kv/kv.conf
      - local: config/init.sh.erb
        remote: /docker-entrypoint.d/init.sh
        mode: "0700"
        owner: "1000:1000"
    directories:
      - data:/data
      - /srv/shared:/shared:ro
    volumes:
      - kvlogs:/logs
  db:
    image: mysql:8
    service: database
    role: jobs
    network: backend
    registry:
      server: other.example.test
      username: [DB_REGISTRY_USER]
      password: [DB_REGISTRY_PASSWORD]
  search:
    image: search:2
    tag: batch
    proxy:
      host: search.example.test
      app_port: 9200
      healthcheck:
        path: /health
"""

SECRETS = (
    f"KAMAL_REGISTRY_PASSWORD={REGISTRY_PASSWORD}\n"
    f"KV_SECRET={SECRET}\n"
    "DB_REGISTRY_USER=dbuser\n"
    f"DB_REGISTRY_PASSWORD={DB_PASSWORD}\n"
)

ERB_TEMPLATE = """#!/bin/sh
echo greeting=<%= ENV["GREETING"] %>
echo secret=<%= ENV["KV_SECRET"] %>
"""


def write_project(root: Path, text: str = CONFIG, secrets: str = SECRETS) -> None:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(text)
    (root / ".kamal" / "secrets").write_text(secrets)
    (root / "config" / "kv.conf").write_text("greeting=plain\n")
    (root / "config" / "init.sh.erb").write_text(ERB_TEMPLATE)


def load(root: Path, text: str = CONFIG, secrets: str = SECRETS) -> Config:
    """Write the project into ``root`` (the test has chdir'ed there) and load its config."""
    write_project(root, text, secrets)
    return load_config("config/deploy.yml", version="abc123")


def make_run(
    config: Config, *, hosts: str | None = None, roles: str | None = None
) -> tuple[Run, RecordingExecutor, io.StringIO]:
    return recorded_run(config, command="accessory", hosts=hosts, roles=roles, skip_hooks=True)


def run_flow(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def index_of(commands: list[str], pattern: str) -> int:
    """Position of the first command containing ``pattern`` (fails the test when there is none)."""
    for index, command in enumerate(commands):
        if pattern in command:
            return index
    raise AssertionError(f"no command containing {pattern!r} in:\n" + "\n".join(commands))
