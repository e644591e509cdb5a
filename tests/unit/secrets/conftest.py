from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from secrets_helpers import Fakes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "secrets"
FAKE_BIN = FIXTURES / "bin"


def _system_path() -> str:
    """PATH for commands run by tests: our interpreter first, then the system (for sh, printf, ...)."""
    return os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory as the cwd, with a clean secrets-related environment."""
    project = tmp_path / "project"
    (project / ".kamal").mkdir(parents=True)
    monkeypatch.chdir(project)
    for name in (
        "BW_SESSION",
        "BWS_ACCESS_TOKEN",
        "DOPPLER_TOKEN",
        "MASTERPW",
        "DOTENV_LINEBREAK_MODE",
        "PYKAMAL_SECRETS_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    return project


@pytest.fixture
def fakes(tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    """Fake password-manager CLIs first on PATH; nothing else of theirs reachable."""
    root = tmp_path / "fakes"
    (root / "state").mkdir(parents=True)
    (root / "vault.json").write_text("{}")
    monkeypatch.setenv("PATH", os.pathsep.join([str(FAKE_BIN), _system_path()]))
    monkeypatch.setenv("FAKE_VAULT", str(root / "vault.json"))
    monkeypatch.setenv("FAKE_STATE", str(root / "state"))
    monkeypatch.setenv("FAKE_LOG", str(root / "calls.jsonl"))
    yield Fakes(root)


@pytest.fixture
def no_clis(tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH holding none of the password-manager CLIs (not even system ones such as gcloud)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
