from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """Returns a function writing config/deploy.yml in a fresh working directory (its path is returned)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VERSION", raising=False)
    monkeypatch.delenv("KAMAL_DESTINATION", raising=False)

    def write(text: str) -> str:
        Path("config").mkdir(exist_ok=True)
        Path("config/deploy.yml").write_text(text)
        return "config/deploy.yml"

    return write
