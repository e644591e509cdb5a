from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest
from remote_helpers import Captured

from pykamal.commands.base import Raw, Sensitive, cmd
from pykamal.remote.local import LocalExecutor
from pykamal.remote.result import CommandFailed, CommandTimeout


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_runs_argv_without_a_shell_and_captures_output(tmp_path: Path) -> None:
    executor = LocalExecutor(Captured("info").output, cwd=str(tmp_path))
    result = run(executor.run("localhost", cmd("printf", "%s|", "a b", "$HOME")))
    assert result.stdout == "a b|$HOME|"
    assert result.exit_status == 0
    assert result.command == "printf '%s|' 'a b' '$HOME'"


def test_shell_syntax_runs_through_sh_and_stdin_is_fed() -> None:
    executor = LocalExecutor(Captured("info").output)
    command = cmd("cat", Raw("|"), "tr", "a-z", "A-Z", stdin=Sensitive("password123"))
    result = run(executor.run("localhost", command))
    assert result.stdout == "PASSWORD123"


def test_output_lines_stream_to_callback_and_secrets_are_masked_in_logs() -> None:
    captured = Captured("debug")
    lines: list[tuple[str, str]] = []
    executor = LocalExecutor(captured.output)
    command = cmd("sh", "-c", Raw("'echo one; echo two >&2; echo $0'"), Sensitive("my-secret-token"))
    run(executor.run("localhost", command, on_line=lambda name, line: lines.append((name, line))))
    assert ("stdout", "one") in lines and ("stderr", "two") in lines
    assert ("stdout", "my-secret-token") in lines
    assert "my-secret-token" not in captured.text
    assert "[REDACTED]" in captured.text


def test_non_zero_exit_raises_unless_check_is_false() -> None:
    executor = LocalExecutor(Captured("info").output)
    with pytest.raises(CommandFailed) as info:
        run(executor.run("localhost", cmd("sh", "-c", "echo nope >&2; exit 3")))
    assert str(info.value) == "`sh -c 'echo nope >&2; exit 3'` failed on localhost with exit status 3: nope"
    result = run(executor.run("localhost", cmd("sh", "-c", "exit 4"), check=False))
    assert result.exit_status == 4 and not result.ok


def test_timeout_kills_the_command_and_says_where() -> None:
    executor = LocalExecutor(Captured("info").output)
    started = time.monotonic()
    with pytest.raises(CommandTimeout) as info:
        run(executor.run("localhost", cmd("sleep", "5"), timeout=0.3))
    assert time.monotonic() - started < 3
    assert str(info.value) == "timed out after 0.3 s on localhost running `sleep 5`"


def test_upload_writes_with_mode_and_replaces_existing_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "app.env"
    target.write_text("OLD=1\n")
    target.chmod(0o644)
    executor = LocalExecutor(Captured("info").output, cwd=str(tmp_path))
    old_umask = os.umask(0o077)
    try:
        run(executor.upload("localhost", "SECRET=1\n", "app.env", mode=0o640))
    finally:
        os.umask(old_umask)
    assert target.read_text() == "SECRET=1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # exact, not narrowed by the umask
    assert [p.name for p in tmp_path.iterdir()] == ["app.env"]  # no temporary file left behind


def test_upload_default_mode_is_0600(tmp_path: Path) -> None:
    executor = LocalExecutor(Captured("info").output, cwd=str(tmp_path))
    run(executor.upload("localhost", b"\x00bytes", "data.bin"))
    assert stat.S_IMODE((tmp_path / "data.bin").stat().st_mode) == 0o600
    assert (tmp_path / "data.bin").read_bytes() == b"\x00bytes"
