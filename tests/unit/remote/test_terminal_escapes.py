"""Text that comes from a host (a lock message, a command's output) never drives the user's terminal:
escape sequences and other control characters are shown as visible text, also when piped."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from remote_helpers import Captured, make_config

from pykamal.commands.base import cmd
from pykamal.errors import LockError
from pykamal.remote import lock as remote_lock
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.lock import DeployLock
from pykamal.remote.output import print_by_host

OSC_TITLE = "\x1b]0;owned\x07"  # sets the terminal's title
OSC_LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
CSI_CLEAR = "\x1b[2J\x1b[H"
CONTROL = ("\x1b", "\x07", "\x9b", "\r", "\x08")


def _assert_inert(text: str) -> None:
    assert not any(c in text for c in CONTROL), repr(text)


@pytest.fixture(autouse=True)
def _no_inherited_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAMAL_LOCK", raising=False)
    monkeypatch.setattr(remote_lock, "git_user_name", lambda: "Jane Doe")


def _held_lock(message: str) -> str:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Locked by: Mallory at {at}\nVersion: v9\nMessage: {message}\n"


def test_a_lock_message_with_an_osc_sequence_is_shown_escaped() -> None:
    captured = Captured("info")
    executor = RecordingExecutor(captured.output)
    executor.respond(r"^mkdir \.kamal/lock-app ", exit_status=1, stderr="mkdir: cannot create directory\n")
    executor.respond(r"^stat ", stdout=_held_lock(f"hotfix{OSC_TITLE}{CSI_CLEAR}"))
    with pytest.raises(LockError) as info:
        asyncio.run(DeployLock(make_config(), executor).acquire("mine"))
    _assert_inert(captured.text)
    assert "Message: hotfix\\x1b]0;owned\\x07" in captured.text

    captured.output.failed(str(info.value))  # how the CLI ends the run with it
    _assert_inert(captured.errors)
    assert "hotfix\\x1b]0;owned\\x07" in captured.errors


def test_remote_output_with_escape_sequences_is_shown_escaped() -> None:
    printed = f"ok {OSC_LINK} {CSI_CLEAR}\x9b31m red\rover\x08\ttab"
    captured = Captured("debug")
    executor = RecordingExecutor(captured.output)
    executor.respond(r"^docker exec", stdout=printed + "\n")
    result = asyncio.run(executor.run("h1", cmd("docker", "exec", "app", "cat", "notes")))
    print_by_host(captured.output, "h1", result.stdout)
    _assert_inert(captured.text + captured.errors)
    assert "ok \\x1b]8;;https://evil.example/\\x1b\\click" in captured.text
    assert "\\x9b31m red\\rover\\x08\ttab" in captured.text  # a tab stays a tab


def test_the_live_view_shows_a_hosts_last_output_line_escaped() -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    from pykamal.remote.board import Board
    from pykamal.remote.events import CommandOutput, CommandStarted, RunStarted, StepStarted
    from pykamal.remote.live import LiveView

    board = Board()
    board.record(RunStarted(command="deploy", version="v1", hosts={"h1": ["web"]}))
    board.record(StepStarted(host="h1", step="pull"))
    board.record(CommandStarted(host="h1", command_id="c1", command="docker pull"))
    board.record(CommandOutput(host="h1", command_id="c1", line=f"pulling {OSC_TITLE}layer"))
    view = LiveView.__new__(LiveView)
    view.board, view.mask = board, str
    view.console = Console(file=io.StringIO(), width=200, color_system=None)
    with view.console.capture() as captured:
        view.console.print(view.render())
    _assert_inert(captured.get())
    assert "pulling \\x1b]0;owned\\x07layer" in captured.get()


def test_the_status_screen_shows_a_lock_message_escaped() -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    from pykamal.cli.fleet_view import _lock_text

    class Lock:
        locked_by, host, age, version = "Mallory", "h1", 5.0, "v9"
        message = f"hotfix{OSC_TITLE}"

    class Fleet:
        lock = Lock()

    console = Console(file=io.StringIO(), width=200, color_system=None)
    with console.capture() as captured:
        console.print(_lock_text(Fleet()))  # type: ignore[arg-type]
    _assert_inert(captured.get())
    assert "hotfix\\x1b]0;owned\\x07" in captured.get()


def test_the_doctor_screen_shows_what_a_host_reported_escaped() -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    from pykamal.cli.fleet_view import doctor_view
    from pykamal.flows.doctor import FAIL, Check, DoctorReport

    check = Check(
        "host", f"h1{CSI_CLEAR}", "kamal-proxy", FAIL, f"image v0.1{OSC_TITLE}", fix=f"reboot{OSC_LINK}"
    )
    report = DoctorReport("app", datetime.now(UTC), (check,))
    console = Console(file=io.StringIO(), width=200, color_system=None)
    with console.capture() as captured:
        console.print(doctor_view(report, plain=True))
    _assert_inert(captured.get())
    assert "image v0.1\\x1b]0;owned\\x07" in captured.get()


def test_the_doctor_screen_shows_a_check_name_from_a_host_escaped() -> None:
    pytest.importorskip("rich")
    from rich.console import Console

    from pykamal.cli.fleet_view import doctor_view
    from pykamal.flows.doctor import SKIP, Check, DoctorReport

    check = Check("host", "h1", f"disk /var/{OSC_TITLE}lib", SKIP, "not measured")
    console = Console(file=io.StringIO(), width=200, color_system=None)
    with console.capture() as captured:
        console.print(doctor_view(DoctorReport("app", datetime.now(UTC), (check,)), plain=True))
    _assert_inert(captured.get())
