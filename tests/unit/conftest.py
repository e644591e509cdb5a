"""Fixtures shared by every unit test directory.

This folder is on ``sys.path`` for the unit tests (pytest puts a conftest's folder there), so its
helper modules (``project_files``, ``flow_runs``, ``kamal_compare``) import by bare name from any
test directory.

- ``project_dir``: an empty project folder (``tmp_path``) as the cwd, with no ``VERSION``,
  ``KAMAL_*`` nor ``DOTENV_LINEBREAK_MODE`` variable from the environment.
- ``project``: that folder holding a project: ``config/deploy.yml`` (by default the smallest valid
  config, ``project_files.BASE``), and what ``@pytest.mark.project(config=…, secrets=…, files={…},
  version=…)`` on the test or its module asks for (``version`` is set as ``VERSION``).
- ``write_config``: writes ``config/deploy.yml`` in ``project_dir``, returns its relative path.
- ``recorder``: a ``RecordingExecutor``.
- ``make_run``: recorded Runs for a config (see ``flow_runs.recorded_run``); the command and other Run
  fields default to those of ``@pytest.mark.recorded(command=…, …)``, else ``deploy``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_runs import MakeRun, recorded_run
from project_files import BASE, write_project

from pykamal.config.model import Config
from pykamal.flows.context import Run
from pykamal.remote.fake import RecordingExecutor


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "project(config, secrets, files, version): what the `project` fixture writes"
    )
    config.addinivalue_line("markers", "recorded(command, **fields): the defaults of `make_run`")


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name in ("VERSION", "DOTENV_LINEBREAK_MODE") or name.startswith("KAMAL_"):
            monkeypatch.delenv(name)
    return tmp_path


@pytest.fixture
def project(request: pytest.FixtureRequest, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    marker = request.node.get_closest_marker("project")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    version = settings.pop("version", None)
    if version is not None:
        monkeypatch.setenv("VERSION", version)
    settings.setdefault("config", BASE)
    return write_project(project_dir, **settings)


@pytest.fixture
def write_config(project_dir: Path) -> Callable[[str], str]:
    def write(text: str) -> str:
        write_project(project_dir, text)
        return "config/deploy.yml"

    return write


@pytest.fixture
def recorder() -> RecordingExecutor:
    return RecordingExecutor()


@pytest.fixture
def make_run(request: pytest.FixtureRequest) -> MakeRun:
    marker = request.node.get_closest_marker("recorded")
    defaults: dict[str, Any] = {"command": "deploy", **(marker.kwargs if marker else {})}

    def make(config: Config, **fields: Any) -> tuple[Run, RecordingExecutor, io.StringIO]:
        return recorded_run(config, **{**defaults, **fields})

    return make
