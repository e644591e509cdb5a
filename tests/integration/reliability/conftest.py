"""Fixtures of the reliability suite: the example image in the sandbox registry, a fresh project."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_project import Project, make_project, push_base_image

from pykamal.sandbox.core import Sandbox


@pytest.fixture(scope="session")
def base_image(sandbox: Sandbox) -> None:
    push_base_image(sandbox)


@pytest.fixture
def project(sandbox: Sandbox, base_image: None, tmp_path: Path) -> Project:
    """Hosts reset to fresh servers and a project deploying web (hosts 1-2) and worker (host 3)."""
    sandbox.reset_hosts()
    return make_project(tmp_path, sandbox)
