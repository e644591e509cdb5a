"""``pykamal accessory`` as a subprocess: argument errors and questions, before any SSH connection.

The hosts are unreachable loopback ports, so a test that connected anywhere would fail loudly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import pykamal

CONFIG = """
service: app
image: app
servers:
  - 127.0.0.1
ssh:
  port: 1
registry:
  server: localhost:5555
builder:
  arch: amd64
accessories:
  cache:
    image: kv:1
    host: 127.0.0.1
  db:
    image: mysql:8
    host: 127.0.0.1
"""


pytestmark = pytest.mark.project(config=CONFIG)


@pytest.mark.parametrize(
    "args",
    [
        ("boot", "redis"),
        ("reboot", "redis"),
        ("details", "redis"),
        ("logs", "redis"),
        ("exec", "redis", "ls"),
        ("remove", "redis", "-y"),
        ("start", "all"),
    ],
)
def test_unknown_accessory_fails_without_connecting(project: Path, args: tuple[str, ...]) -> None:
    result = pykamal(project, "accessory", *args)
    assert result.returncode == 2
    name = args[1]
    assert f"ERROR No accessory by the name of '{name}' (options: cache and db)" in result.stderr
    assert "Running" not in result.stdout + result.stderr
    assert "connect" not in result.stderr


def test_remove_asks_first_and_stops_on_no(project: Path) -> None:
    result = pykamal(project, "accessory", "remove", "cache", stdin="n\n")
    assert result.returncode == 0
    assert "Deletes the container, image and data of cache on every host. Are you sure?" in result.stdout
    assert "Aborted" in result.stdout
    assert "Running" not in result.stdout


def test_upgrade_asks_first(project: Path) -> None:
    result = pykamal(project, "accessory", "upgrade", "all", stdin="\n")  # default answer: N
    assert result.returncode == 0
    assert "Every accessory gets a new container" in result.stdout
    assert "Aborted" in result.stdout


def test_commands_do_connect_when_the_name_is_right(project: Path) -> None:
    result = pykamal(project, "accessory", "details", "cache")
    assert result.returncode != 0
    assert "Running docker ps --filter label=service=app-cache on 127.0.0.1" in result.stdout
    assert "127.0.0.1" in result.stderr  # the connection to port 1 was refused
