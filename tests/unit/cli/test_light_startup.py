"""Startup stays light: the terminal library is loaded only when a live view is drawn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "config" / "valid" / "01-minimal"


def loaded_after(*args: str) -> set[str]:
    code = (
        "import sys\nfrom pykamal.cli import run\n"
        f"code = run({list(args)!r})\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
        "sys.exit(code)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=FIXTURE, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.splitlines()[-1].split())


def test_version_and_config_do_not_load_rich_or_asyncssh() -> None:
    for args in (["version"], ["config", "-c", "deploy.yml"]):
        modules = loaded_after(*args)
        assert "rich" not in modules and "asyncssh" not in modules, args
