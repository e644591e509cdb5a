from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pykamal.sandbox.docker import Docker
from pykamal.sandbox.errors import SandboxError


def test_missing_docker_says_what_to_install() -> None:
    with pytest.raises(SandboxError, match=r"not on PATH: install Docker .*apt-get install docker\.io"):
        Docker("pykamal-no-such-docker").ensure_available()


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker client (not the engine)")
def test_stopped_engine_says_how_to_start_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(SandboxError, match=r"not running or not reachable .*start it"):
        Docker().ensure_available()
