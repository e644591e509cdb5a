"""``hooks_output``: per-hook output visibility at the default verbosity; -v and -q win."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from project_files import write_project

from pykamal.config import load_config
from pykamal.config.model import Config
from pykamal.errors import HookError
from pykamal.remote.hooks import run_hook
from pykamal.remote.output import Output

DEPLOY = """service: app
image: app
servers: [127.0.0.11]
registry: {{username: u, password: p}}
builder: {{arch: amd64}}
{hooks_output}
"""

HOOK = """#!/bin/sh
echo "out of $(basename "$0")"
echo "err of $(basename "$0")" >&2
exit "${HOOK_EXIT:-0}"
"""


HOOKS = ("pre-deploy", "pre-build")


def load_project(root: Path, hooks_output: str = "", file: str = "deploy.yml") -> Config:
    """A project in ``root`` whose ``config/FILE`` has the ``hooks_output`` setting given, and hooks."""
    write_project(
        root,
        config=None,
        files={
            f"config/{file}": DEPLOY.format(hooks_output=hooks_output),
            **{f".kamal/hooks/{name}": HOOK for name in HOOKS},
        },
    )
    for name in HOOKS:
        (root / ".kamal" / "hooks" / name).chmod(0o755)
    return load_config(root / "config" / file, version="v1")


def run(config: Config, name: str, verbosity: str) -> tuple[Output, str]:
    stream = io.StringIO()
    output = Output(verbosity, stream=stream, err_stream=stream, color=False)
    assert asyncio.run(run_hook(config, name, output)) is True
    return output, stream.getvalue()


@pytest.fixture(autouse=True)
def in_project(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOK_EXIT", raising=False)


def test_without_the_setting_hooks_follow_the_verbosity(tmp_path: Path) -> None:
    config = load_project(tmp_path)
    _, shown = run(config, "pre-deploy", "info")
    assert "Running /usr/bin/env .kamal/hooks/pre-deploy on localhost" in shown
    assert "Finished in" in shown
    assert "out of pre-deploy" not in shown
    _, shown = run(config, "pre-deploy", "debug")
    assert "out of pre-deploy" in shown and "err of pre-deploy" in shown
    assert run(config, "pre-deploy", "error")[1] == ""


def test_verbose_shows_the_output_of_every_hook(tmp_path: Path) -> None:
    config = load_project(tmp_path, "hooks_output: :verbose")
    output, shown = run(config, "pre-build", "info")
    assert "Running /usr/bin/env .kamal/hooks/pre-build on localhost" in shown
    assert "out of pre-build" in shown and "err of pre-build" in shown
    assert output.verbosity == "info"  # only the hook ran more verbosely


def test_quiet_hides_everything_about_the_hook(tmp_path: Path) -> None:
    config = load_project(tmp_path, "hooks_output: quiet")
    assert run(config, "pre-deploy", "info")[1] == ""


def test_per_hook_levels_leave_other_hooks_alone(tmp_path: Path) -> None:
    config = load_project(tmp_path, "hooks_output:\n  pre-deploy: verbose\n  pre-connect: quiet")
    assert "out of pre-deploy" in run(config, "pre-deploy", "info")[1]
    _, shown = run(config, "pre-build", "info")
    assert "Running /usr/bin/env .kamal/hooks/pre-build" in shown
    assert "out of pre-build" not in shown


def test_command_line_verbosity_wins(tmp_path: Path) -> None:
    assert run(load_project(tmp_path, "hooks_output: verbose"), "pre-deploy", "error")[1] == ""
    _, shown = run(load_project(tmp_path, "hooks_output: quiet", "quiet.yml"), "pre-deploy", "debug")
    assert "out of pre-deploy" in shown


def test_a_quiet_hook_that_fails_still_shows_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_project(tmp_path, "hooks_output: quiet")
    monkeypatch.setenv("HOOK_EXIT", "3")
    with pytest.raises(HookError, match=r"Hook `pre-deploy` failed:\nerr of pre-deploy"):
        run(config, "pre-deploy", "info")
