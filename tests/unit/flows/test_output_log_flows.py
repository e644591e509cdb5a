"""Which commands write the ``output:`` log, and what ends up in it when a flow runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from deploy_flow_helpers import CONFIG, Project, scripted

from pykamal.flows import app as app_flow
from pykamal.flows.plan import deploy_log, is_recorded


@pytest.mark.parametrize(
    ("command", "subcommand", "recorded"),
    [
        ("deploy", None, True),
        ("rollback", None, True),
        ("setup", None, True),
        ("app", "boot", True),
        ("app", "stop", True),
        ("proxy", "reboot", True),
        ("accessory", "boot", True),
        ("prune", "all", True),
        ("server", "bootstrap", True),
        ("app", "exec", False),
        ("app", "details", False),
        ("app", "logs", False),
        ("server", "exec", False),
        ("details", None, False),
        ("lock", "acquire", False),
        ("config", None, False),
    ],
)
def test_state_changing_commands_are_recorded(command: str, subcommand: str | None, recorded: bool) -> None:
    assert is_recorded(command, subcommand) is recorded


def with_output(tmp_path: Path) -> Project:
    return Project(tmp_path, CONFIG + "output:\n  file:\n    path: " + str(tmp_path / "logs") + "\n")


def test_app_stop_writes_its_log_file(tmp_path: Path) -> None:
    run = with_output(tmp_path).run(hosts="h3", command="app", subcommand="stop")
    scripted(run.executor)  # type: ignore[arg-type]

    async def main() -> None:
        with deploy_log(run):
            await app_flow.stop(run)

    asyncio.run(main())
    files = list((tmp_path / "logs").glob("*_app_stop.log"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "Running " in text and " on h3" in text and "docker stop -t 4" in text
    assert text.splitlines()[-1].startswith("# Completed in ")
    assert f"Logs written to {files[0]}" in run.output.stream.getvalue()  # type: ignore[attr-defined]


def test_failed_run_is_marked_in_the_file(tmp_path: Path) -> None:
    run = with_output(tmp_path).run(hosts="h3", command="app", subcommand="stop")
    with pytest.raises(RuntimeError), deploy_log(run):
        run.output.say("about to fail")
        raise RuntimeError("boom")
    (log,) = (tmp_path / "logs").glob("*.log")
    assert log.read_text().splitlines() == ["about to fail", log.read_text().splitlines()[-1]]
    assert log.read_text().splitlines()[-1].startswith("# FAILED: RuntimeError: boom (")


def test_read_only_commands_and_plans_write_nothing(tmp_path: Path) -> None:
    run = with_output(tmp_path).run(command="app", subcommand="details")
    with deploy_log(run):
        run.output.say("details")
    planned = with_output(tmp_path).run(command="deploy")
    planned.plan = True
    with deploy_log(planned):
        planned.output.say("plan")
    assert not (tmp_path / "logs").exists()
