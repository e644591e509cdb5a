from __future__ import annotations

import io

import pytest
from remote_helpers import Captured

from pykamal.commands.base import Sensitive, cmd
from pykamal.remote.output import Output, Redactor, print_by_host


def test_redactor_masks_registered_values_longest_first() -> None:
    redact = Redactor()
    redact.add("hunter22")
    redact.add("hunter22-extended")
    assert redact("pw=hunter22-extended and hunter22") == "pw=[REDACTED] and [REDACTED]"


def test_redactor_ignores_values_too_short_to_mask_safely() -> None:
    redact = Redactor()
    redact.add("ab")
    redact.add(None)
    assert redact("about a cab") == "about a cab"
    assert len(redact) == 0


def test_redactor_masks_the_secret_part_of_key_value_sensitive() -> None:
    redact = Redactor()
    redact.add(Sensitive("DB_PASSWORD=s3cr3tvalue", redaction="DB_PASSWORD=[REDACTED]"))
    assert redact("value is s3cr3tvalue") == "value is [REDACTED]"


def test_redactor_masks_each_line_of_multiline_secrets() -> None:
    key = "-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END KEY-----\n"
    redact = Redactor()
    redact.add(key)
    assert "secretline" not in redact("got AAAAsecretline1 then BBBBsecretline2")


def test_redactor_learns_sensitive_parts_of_commands() -> None:
    redact = Redactor()
    redact.add_command(cmd("docker", "login", "-u", Sensitive("deployer"), stdin=Sensitive("registry-pass")))
    assert redact("echo registry-pass deployer") == "echo [REDACTED] [REDACTED]"


def test_output_redacts_every_line_it_prints() -> None:
    captured = Captured("debug")
    captured.output.redactor.add("topsecret")
    captured.output.puts("result: topsecret")
    captured.output.say("saying topsecret")
    captured.output.log("debug", "debug topsecret", "abcd1234")
    captured.output.error("failed with topsecret")
    captured.output.warn("warning topsecret")
    assert "topsecret" not in captured.text + captured.errors
    assert captured.text.count("[REDACTED]") == 3
    assert captured.errors.count("[REDACTED]") == 2


def test_kamal_like_command_lines() -> None:
    captured = Captured("debug")
    out = captured.output
    out.command_started("0a1b2c3d", "docker ps", "10.0.0.1")
    out.command_output("0a1b2c3d", "CONTAINER ID\n")
    out.command_finished("0a1b2c3d", 0.25, 0)
    assert captured.text.splitlines() == [
        "  INFO [0a1b2c3d] Running docker ps on 10.0.0.1",
        " DEBUG [0a1b2c3d] \tCONTAINER ID",
        "  INFO [0a1b2c3d] Finished in 0.250 seconds with exit status 0 (successful).",
    ]


def test_info_verbosity_hides_command_output_and_debug_commands() -> None:
    captured = Captured("info")
    out = captured.output
    out.command_started("id1", "mkdir -p .kamal", "h1", "debug")
    out.command_output("id1", "noise")
    out.command_finished("id1", 0.1, 0, "debug")
    out.command_started("id2", "true", "h1")
    assert captured.text == "  INFO [id2] Running true on h1\n"


def test_finished_line_uses_the_command_level_even_when_it_failed() -> None:
    captured = Captured("info")
    captured.output.command_finished("id1", 0.1, 1, "debug")  # expected failures (probes) stay quiet
    captured.output.command_finished("id2", 0.1, 1)
    assert captured.text == "  INFO [id2] Finished in 0.100 seconds with exit status 1 (failed).\n"


def test_quiet_shows_only_errors_and_requested_output() -> None:
    captured = Captured("error")
    out = captured.output
    out.say("Acquiring the deploy lock...")
    out.log("info", "Running x on h")
    out.warn("careful")
    out.puts("lock details")
    out.error("boom")
    assert captured.text == "lock details\n"
    assert captured.errors == "  ERROR boom\n"


def test_print_by_host() -> None:
    captured = Captured("info")
    print_by_host(captured.output, "h1", "line1\nline2\n")
    print_by_host(captured.output, "h2", "x", quiet=True)
    assert captured.text == "App Host: h1\nline1\nline2\n\nx\n\n"


def test_unknown_verbosity_is_rejected() -> None:
    import pytest

    with pytest.raises(ValueError):
        Output("loud")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_condenses_per_command_lines_on_a_terminal() -> None:
    import asyncio

    from pykamal.commands.base import cmd
    from pykamal.remote.executor import run_on
    from pykamal.remote.fake import RecordingExecutor
    from pykamal.remote.result import FanOutError

    terminal = _Terminal()
    output = Output("info", stream=terminal, color=False)
    executor = RecordingExecutor(output)
    executor.respond("fail", host="h2", exit_status=1)

    async def one(host: str) -> None:
        await executor.run(host, cmd("fail" if host == "h2" else "ok"))
        output.puts(f"App Host: {host}")

    with pytest.raises(FanOutError):
        asyncio.run(run_on(["h1", "h2", "h3"], one, output=output, label="deploying"))
    screen = terminal.getvalue()
    assert "Running" not in screen and "Finished" not in screen
    assert "\r\x1b[K  [0/3 hosts done] deploying" in screen
    assert "[3/3 hosts done, 1 failed] deploying" in screen
    assert "App Host: h1\n" in screen and "App Host: h3\n" in screen
    assert screen.endswith("\r\x1b[K")  # the status line is gone at the end
    output.command_started("x1", "later", "h1")
    assert terminal.getvalue().endswith("Running later on h1\n")  # plain lines again


def test_no_progress_line_when_not_a_terminal_or_verbose() -> None:
    assert Output("info", stream=io.StringIO()).progress("x", ["a", "b"]) is None
    assert Output("debug", stream=_Terminal()).progress("x", ["a", "b"]) is None
    assert Output("info", stream=_Terminal()).progress("x", ["a"]) is None
