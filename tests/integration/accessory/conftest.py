"""Fixture: the accessory project deployed to the test sandbox (see accessory_project.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from accessory_project import Project, create

from pykamal.sandbox.core import Sandbox


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    sandbox.reset_hosts()
    root = tmp_path_factory.mktemp("accessory-project")
    yield create(sandbox, root, tmp_path_factory.mktemp("docker-config"))
    sandbox.reset_hosts()
