"""Configs for unit tests of the build and registry flows (nothing runs: ``make_run`` records)."""

from __future__ import annotations

import io
from pathlib import Path

from project_files import write_project

from pykamal.config import load_config
from pykamal.config.model import Config
from pykamal.remote.fake import RecordingExecutor

CANARY = "canary-Pa55word-7f3e9c"

BASE = """
service: app
image: team/app
servers:
  web:
    hosts: [h1, h2]
  worker:
    hosts: [h3]
registry:
  server: registry.example.test:5000
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
"""


def load(root: Path, text: str = BASE, secrets: str | None = None) -> Config:
    """Load from ``root`` (the test must have chdir'ed there: paths are relative, as in a project)."""
    if secrets is None:
        secrets = f"KAMAL_REGISTRY_PASSWORD={CANARY}\n"
    write_project(root, text, secrets, {"Dockerfile": "FROM scratch\n"})
    return load_config("config/deploy.yml", version="abc123")


def local_commands(executor: RecordingExecutor) -> list[str]:
    return executor.commands("localhost")


def remote_calls(executor: RecordingExecutor) -> list[tuple[str, str]]:
    return [(c.host, c.display) for c in executor.calls if c.kind == "run" and c.host != "localhost"]


def index_of(executor: RecordingExecutor, host: str, pattern: str) -> int:
    import re

    for i, call in enumerate(executor.calls):
        if call.kind == "run" and call.host == host and re.search(pattern, call.display):
            return i
    raise AssertionError(f"no command matching {pattern!r} on {host}: {executor.commands(host)}")


def assert_no_secret_anywhere(executor: RecordingExecutor, stream: io.StringIO, secret: str = CANARY) -> None:
    """The password never appears in a command line (real or displayed) or in the output."""
    for call in executor.calls:
        assert secret not in call.display, call.display
        assert secret not in call.shell, call.shell
    assert secret not in stream.getvalue()
