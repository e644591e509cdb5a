"""Startup stays light: the terminal library is loaded only when a live view is drawn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "config" / "valid" / "01-minimal"


def loaded_after(*args: str, cwd: Path = FIXTURE) -> set[str]:
    code = (
        "import sys\nfrom pykamal.cli import run\n"
        f"code = run({list(args)!r})\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
        "sys.exit(code)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.splitlines()[-1].split())


def test_version_and_config_do_not_load_rich_or_asyncssh() -> None:
    for args in (["version"], ["config", "-c", "deploy.yml"]):
        modules = loaded_after(*args)
        assert "rich" not in modules and "asyncssh" not in modules, args


def test_help_reads_the_config_only_when_it_can_define_aliases(tmp_path: Path) -> None:
    plain, aliased = tmp_path / "plain", tmp_path / "aliased"
    for project, source in ((plain, "01-minimal"), (aliased, "22-root-keys")):
        (project / "config").mkdir(parents=True)
        text = (REPO / "tests" / "fixtures" / "config" / "valid" / source / "deploy.yml").read_text()
        (project / "config" / "deploy.yml").write_text(text)
    assert "yaml" not in loaded_after("--help", cwd=plain)  # no alias there: no YAML parsed
    assert "yaml" in loaded_after("--help", cwd=aliased)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    listing = subprocess.run(
        [sys.executable, "-m", "pykamal", "--help"], cwd=aliased, env=env, capture_output=True, text=True
    ).stdout
    assert "Aliases (from the config file)" in listing
