from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Write config/deploy.yml (and extra files) in a fresh directory and chdir there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VERSION", raising=False)
    monkeypatch.delenv("KAMAL_DESTINATION", raising=False)

    def write(text: str, **extra: str) -> str:
        os.makedirs("config", exist_ok=True)
        Path("config/deploy.yml").write_text(text)
        for name, content in extra.items():
            path = Path(name.replace("__", "/"))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        return "config/deploy.yml"

    return write
