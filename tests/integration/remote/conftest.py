from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd_farm import SshdFarm, available


@pytest.fixture(scope="module")
def farm() -> Iterator[SshdFarm]:
    """Four sshd hosts on 127.0.81.11-14, each with its own host key, home and command log."""
    reason = available()
    if reason:
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="pykamal-farm-"))
    workdir.chmod(0o755)  # sshd reads the farm's authorized_keys as the farm user
    try:
        with SshdFarm(workdir, 4, net=81) as running:
            yield running
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
