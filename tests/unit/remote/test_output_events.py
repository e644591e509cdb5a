"""The one place that shows a run: plain step lines, the summary, JSON events, masking at the end."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re

import pytest

from pykamal.commands.base import Sensitive, cmd
from pykamal.commands.registry import login
from pykamal.config.model import RegistryConfig
from pykamal.remote.executor import run_on
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.output import Output
from pykamal.remote.result import FanOutError

HOSTS = {"h1": ["web"], "h2": ["web", "worker"]}


def timeless(text: str) -> str:
    """Step times depend on the machine's load: ``#.#s`` stands for any of them."""
    return re.sub(r"\b\d+\.\ds\b", "#.#s", text)


def deploy_like(output: Output, *, fail_on: str | None = None) -> None:
    executor = RecordingExecutor(output)
    if fail_on:
        executor.respond("docker run", host=fail_on, exit_status=1, stderr="unhealthy")
    output.run_started("deploy", "v9", HOSTS)

    async def boot(host: str) -> None:
        await executor.run(host, cmd("docker", "run", "app"))

    async def main() -> None:
        await run_on(
            HOSTS, lambda host: executor.run(host, cmd("docker", "pull", "app")), output=output, step="pull"
        )
        await run_on(HOSTS, boot, output=output, step="boot web")

    error: BaseException | None = None
    try:
        asyncio.run(main())
    except FanOutError as exc:
        error = exc
    output.run_finished(1.5, error)


def test_plain_lines_show_steps_per_host_and_a_summary_without_commands() -> None:
    stream = io.StringIO()
    output = Output("info", stream=stream, err_stream=stream)
    deploy_like(output, fail_on="h2")
    text = timeless(stream.getvalue())
    assert "Running" not in text and "\x1b" not in text
    assert "  h1  pull: done in #.#s" in text and "  h2  boot web: failed after #.#s:" in text
    lines = text.splitlines()
    table = lines[lines.index("  HOST  ROLE        VERSION  RESULT             TIME") :]
    assert table[1:] == [
        "  h1    web         v9       done               #.#s",
        "  h2    web,worker  v9       failed (boot web)  #.#s",
        "  Failed all in 1.5 seconds",
    ]


def test_verbose_keeps_the_commands_and_quiet_only_the_result() -> None:
    verbose, quiet = io.StringIO(), io.StringIO()
    deploy_like(Output("debug", stream=verbose, err_stream=verbose))
    deploy_like(Output("error", stream=quiet, err_stream=quiet))
    assert "Running docker pull app on h1" in verbose.getvalue()
    assert "  h1  pull: done in" in verbose.getvalue()
    assert quiet.getvalue() == "  Finished all in 1.5 seconds\n"


def test_json_events_pair_every_step_and_end_with_the_result() -> None:
    stream = io.StringIO()
    output = Output("info", stream=stream, output_format="json")
    deploy_like(output, fail_on="h2")
    output.failed("Failed to boot web on h2: unhealthy")
    output.close()
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    started = [(e["host"], e["step"]) for e in events if e["event"] == "step_started"]
    finished = [(e["host"], e["step"]) for e in events if e["event"] == "step_finished"]
    assert (
        sorted(started)
        == sorted(finished)
        == sorted([("h1", "pull"), ("h2", "pull"), ("h1", "boot web"), ("h2", "boot web")])
    )
    commands = [e for e in events if e["event"] == "command_finished"]
    assert {(e["host"], e["exit_status"]) for e in commands} == {("h1", 0), ("h2", 0), ("h2", 1)}
    assert events[-2] == {"event": "error", "message": "Failed to boot web on h2: unhealthy"}
    result = events[-1]
    assert result["event"] == "result" and result["ok"] is False and result["version"] == "v9"
    assert [h["result"] for h in result["hosts"]] == ["done", "failed (boot web)"]


def test_secrets_are_masked_when_shown_not_before() -> None:
    stream = io.StringIO()
    output = Output("debug", stream=stream, err_stream=stream)
    executor = RecordingExecutor(output)
    executor.respond("cat", stdout="@pykamal-health-log kamal sandbox-pass\n")
    output.secret_read("REGISTRY_PASSWORD", "sandbox-pass")
    command = login(RegistryConfig(server="r.example"), "kamal", Sensitive("sandbox-pass"))
    assert command is not None
    result = asyncio.run(executor.run("h1", cmd("cat", "report")))
    assert result.stdout == "@pykamal-health-log kamal sandbox-pass\n"  # parsers read it raw
    asyncio.run(executor.run("h1", command))
    text = stream.getvalue()
    assert "docker login r.example -u [REDACTED] --password-stdin" in text  # the user, where it stands
    assert "@pykamal-health-log kamal [REDACTED]" in text  # elsewhere the word stays
    assert "sandbox-pass" not in text


def test_the_final_error_is_masked_too() -> None:
    stream = io.StringIO()
    output = Output("info", stream=stream, err_stream=stream)
    output.secret_read("BUILD_TOKEN", "tok-123456")
    output.failed("build failed: echo tok-123456")
    assert stream.getvalue() == "  ERROR build failed: echo [REDACTED]\n"


def test_a_secret_too_short_to_mask_is_warned_about_once() -> None:
    stream = io.StringIO()
    output = Output("info", stream=stream, err_stream=stream)
    output.secret_read("APP_TOKEN", "app")
    output.secret_read("APP_TOKEN", "app")
    assert stream.getvalue().count("secret APP_TOKEN is shorter than 4 characters") == 1


def test_a_closed_pipe_does_not_end_the_run() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    output = Output("info", stream=stream)
    output.say("first")  # EPIPE: the stream is pointed at /dev/null and the run goes on
    output.say("second")
    output.puts("third")
    stream.close()


def test_the_live_view_fits_a_narrow_terminal() -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    from pykamal.remote.board import Board
    from pykamal.remote.events import RunStarted, StepStarted
    from pykamal.remote.live import LiveView

    board = Board()
    board.record(
        RunStarted(command="deploy", version="v1", hosts={"127.0.0.11": ["web"], "127.0.0.12": ["web"]})
    )
    board.record(StepStarted(host="127.0.0.11", step="boot web"))
    view = LiveView.__new__(LiveView)
    view.board, view.mask = board, str
    view.console = Console(file=io.StringIO(), width=30, color_system=None)
    with view.console.capture() as captured:
        view.console.print(view.render())
    rows = captured.get().splitlines()
    assert len(rows) == 2 and all(len(row) <= 30 for row in rows)
    assert "127.0.0.11" in rows[0] and "boot web" in rows[0] and "waiting" in rows[1]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("variable", [("TERM", "dumb"), ("NO_COLOR", "1")])
def test_a_dumb_or_colourless_terminal_gets_plain_lines(
    variable: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv(*variable)
    terminal = _Terminal()
    output = Output("info", stream=terminal, err_stream=terminal)
    deploy_like(output)
    text = terminal.getvalue()
    assert "\x1b" not in text and "\r" not in text
    assert "  h2  boot web: done in #.#s" in timeless(text)
