"""What a person sees, seen as a person sees it: the real CLI in a real terminal (tmux) deploying to
3 sandbox hosts. The tests of this module run in order on one project: v1 and v3 are healthy, v2
never answers its health check."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PYKAMAL, terminal_env
from deploy_helpers import get
from terminal import Terminal, masked

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
Factory = Callable[..., Terminal]


def named(text: str, sandbox: Sandbox) -> str:
    """Host addresses as host1..3 and runs of blanks as one, so the check does not hang on a slot."""
    for number, host in enumerate(sandbox.hosts[:3], 1):
        text = text.replace(host, f"host{number}")
    return "\n".join(re.sub(r" {2,}", "  ", line) for line in text.splitlines())


def live_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and line[0] in SPINNER + "✓·✗"]


def served(sandbox: Sandbox) -> set[str]:
    return {get(host)[1] for host in sandbox.hosts[:2]}


def test_a_three_host_deploy_shows_one_live_line_per_host_then_a_summary(
    sandbox: Sandbox, terminal_factory: Factory
) -> None:
    term = terminal_factory()
    term.send(f"{PYKAMAL} deploy -P --version v1; echo __EXIT_$?__")
    live = term.wait_for(rf"[{SPINNER}] {re.escape(sandbox.hosts[0])} ")
    assert len(live_rows(live)) == 3, live  # one line per host, redrawn in place
    status, screen = term.wait_for_exit()
    assert status == 0, screen
    shown = named(masked(screen), sandbox)
    assert shown == "\n".join(
        [
            "Pull app image...",
            "Acquiring the deploy lock...",
            "Ensure kamal-proxy is running...",
            "Detect stale containers...",
            "Start container with version v1 (or reboot if already running)...",
            "Releasing the deploy lock...",
            "  HOST  ROLE  VERSION  RESULT  TIME",
            "  host1  web  v1  done  #.#s",
            "  host2  web  v1  done  #.#s",
            "  host3  web,worker  v1  done  #.#s",
            "  Finished all in #.# seconds",
        ]
    ), shown
    assert "\x1b" not in screen and "Warning" not in screen
    assert term.cursor_visible()
    assert served(sandbox) == {"v1"}


def test_a_failing_deploy_explains_itself_once_and_keeps_the_old_version(
    sandbox: Sandbox, terminal_factory: Factory
) -> None:
    term = terminal_factory()
    status, screen = term.run(f"{PYKAMAL} deploy -P --version v2")
    assert status == 1, screen
    shown = named(masked(screen), sandbox)
    assert re.search(
        r"ERROR web failed on host\d, host\d, host\d: health check GET /up on port 80 answered 404", shown
    ), shown
    # the log lines once for the three hosts, then one hint
    logs_header = r"Last \d+ log lines of hello-web-v2 on host\d \(the same on 2 more\):"
    assert len(re.findall(logs_header, shown)) == 1
    assert shown.count("hello v2 serving on port 80") == 1
    assert shown.count("Hint: health check GET /up answered 404: is proxy.healthcheck.path right?") == 1
    assert "  host1  web  v2  failed (boot web)  #.#s" in shown
    assert "Failed to boot web on host1: health check GET /up on port 80 answered 404" in shown
    assert "Could not fetch logs" not in shown
    assert served(sandbox) == {"v1"}


def test_verbose_adds_the_commands_and_step_lines(sandbox: Sandbox, terminal_factory: Factory) -> None:
    term = terminal_factory()
    status, screen = term.run(f"{PYKAMAL} deploy -P --version v3 -v")
    assert status == 0, screen
    shown = named(masked(screen), sandbox)
    assert re.search(r"INFO \[[0-9a-f]{8}\] Running .*docker login", shown)
    assert "  host1  boot web: done in #.#s" in shown
    assert not live_rows(shown)  # no live view at -v
    assert "  Finished all in #.# seconds" in shown


def test_quiet_shows_only_the_result(sandbox: Sandbox, terminal_factory: Factory) -> None:
    term = terminal_factory()
    status, screen = term.run(f"{PYKAMAL} deploy -P --version v1 -q")
    assert status == 0, screen
    assert masked(screen) == "  Finished all in #.# seconds"


def test_a_30_column_terminal_keeps_every_live_line_on_one_row(
    sandbox: Sandbox, terminal_factory: Factory
) -> None:
    term = terminal_factory(width=30, height=30)
    term.send(f"{PYKAMAL} deploy -P --version v3; echo __EXIT_$?__")
    term.wait_for(rf"[{SPINNER}] {re.escape(sandbox.hosts[0])}")
    joined = subprocess.run(
        ["tmux", "capture-pane", "-p", "-J", "-t", term.name], capture_output=True, text=True, check=True
    ).stdout
    rows = live_rows(joined)
    assert len(rows) == 3 and all(len(line) <= 30 for line in rows), joined
    status, screen = term.wait_for_exit()
    assert status == 0, screen
    assert named(masked(screen), sandbox).endswith(
        "  host1 done #.#s\n  host2 done #.#s\n  host3 done #.#s\n  Finished all in #.# seconds"
    )


def test_ctrl_c_during_the_live_view_restores_the_screen_and_releases_the_lock(
    sandbox: Sandbox, terminal_factory: Factory
) -> None:
    term = terminal_factory()
    term.send(f"{PYKAMAL} deploy -P --version v1; echo __EXIT_$?__")
    term.wait_for(rf"[{SPINNER}] {re.escape(sandbox.hosts[0])} +\S+ +boot web")
    term.key("C-c")
    status, screen = term.wait_for_exit(timeout=90)
    assert status == 130, screen
    shown = named(masked(screen), sandbox)
    assert "Releasing the deploy lock..." in shown and shown.rstrip().endswith("Interrupted")
    assert "interrupted (boot web)" in shown
    assert not live_rows(shown)  # the live lines are gone
    assert term.cursor_visible()
    status, screen = term.run(f"{PYKAMAL} lock status")
    assert status == 0 and "There is no deploy lock" in screen
    assert served(sandbox) == {"v3"}


def test_output_to_a_closed_pipe_finishes_the_deploy_quietly(sandbox: Sandbox, project: Path) -> None:
    script = f"{PYKAMAL} deploy -P --version v1 | head -n 1; echo status=${{PIPESTATUS[0]}}"
    result = subprocess.run(
        ["bash", "-c", script], cwd=project, env=terminal_env(sandbox), capture_output=True, text=True
    )
    assert result.stdout.splitlines()[0] == "Pull app image..."
    assert "status=0" in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Broken pipe" not in result.stderr, result.stderr
    assert served(sandbox) == {"v1"}


def test_json_output_has_a_start_and_finish_per_host_and_step_and_a_final_result(
    sandbox: Sandbox, project: Path
) -> None:
    result = subprocess.run(
        [*PYKAMAL.split(), "deploy", "-P", "--version", "v3", "--output", "json"],
        cwd=project,
        env=terminal_env(sandbox),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]  # nothing but JSON on stdout
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "result"
    assert events[-1]["ok"] is True and {h["result"] for h in events[-1]["hosts"]} == {"done"}
    started = {(e["host"], e["step"]) for e in events if e["event"] == "step_started"}
    finished = {(e["host"], e["step"]) for e in events if e["event"] == "step_finished" and e["ok"]}
    assert started == finished
    for host in sandbox.hosts[:3]:
        assert {"pull", "inspect", "proxy", "boot web", "prune"} <= {s for h, s in started if h == host}
    assert (sandbox.hosts[2], "boot worker") in started and (sandbox.hosts[0], "boot worker") not in started
    commands = [e for e in events if e["event"] == "command_finished"]
    assert commands and all(e["host"] and e["exit_status"] == 0 for e in commands)


def test_json_output_of_a_failed_deploy_ends_in_the_error(sandbox: Sandbox, project: Path) -> None:
    result = subprocess.run(
        [*PYKAMAL.split(), "deploy", "-P", "--version", "v2", "--output", "json"],
        cwd=project,
        env=terminal_env(sandbox),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]
    final = events[-1]
    assert final["event"] == "result" and final["ok"] is False
    assert "health check GET /up on port 80 answered 404" in final["error"]
    failed = [e for e in events if e["event"] == "step_finished" and not e["ok"]]
    assert {e["host"] for e in failed} == set(sandbox.hosts[:3])
