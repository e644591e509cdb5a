"""A 3-host project of the example app (web everywhere, worker on the last host) and a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from deploy_helpers import make_project, push_images
from terminal import Terminal

from pykamal.sandbox.core import Sandbox

PASSED_ON = ("PATH", "HOME", "PYTHONPATH", "LANG", "LC_ALL")


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sandbox.reset_hosts()
    push_images(sandbox, {"v1": True, "v2": False, "v3": True})
    yield make_project(tmp_path_factory.mktemp("hello"), sandbox, sandbox.hosts[:3])
    sandbox.reset_hosts()


def terminal_env(sandbox: Sandbox) -> dict[str, str]:
    env = sandbox.make_ssh_env()
    return {k: v for k, v in env.items() if k.startswith("PYKAMAL") or k in PASSED_ON}


@pytest.fixture
def terminal_factory(sandbox: Sandbox, project: Path) -> Iterator[object]:
    opened: list[Terminal] = []

    def make(width: int = 100, height: int = 50, **env: str) -> Terminal:
        term = Terminal(project, {**terminal_env(sandbox), **env}, width=width, height=height)
        opened.append(term)
        return term

    yield make
    for term in opened:
        term.close()


PYKAMAL = f"{sys.executable} -m pykamal"
