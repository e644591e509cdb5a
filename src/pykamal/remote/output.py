"""What the user sees: Kamal-like log lines, the live view, JSON events, and masking of secrets.

Every text shown through ``Output`` passes through its ``Redactor`` last, so a secret value that
a command echoes back (or that ends up in an error message) is masked before it reaches the
terminal, while everything that parses output reads it raw.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets as _random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from pykamal.printable import visible
from pykamal.remote import events
from pykamal.remote.board import SUMMARY_HEADER, Board, canary_numbers, plain_table, summary_rows
from pykamal.sensitive import REDACTED, Sensitive

if TYPE_CHECKING:
    from pykamal.commands.base import Command
    from pykamal.remote.deploy_log import LogSink

LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40}
LEVEL_COLORS = {"debug": "bright_black", "info": "blue", "warn": "yellow", "error": "red"}

# Values shorter than this are not masked in free text: masking "a" or "1" would garble every line.
# They are still never put on a command line in clear (Sensitive arguments render as a marker).
MIN_REDACTED_LENGTH = 4


class Redactor:
    """Replaces every registered secret value in a text by a marker."""

    def __init__(self, marker: str = REDACTED) -> None:
        self.marker = marker
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | Sensitive | None) -> None:
        if value is None:
            return
        if isinstance(value, Sensitive):
            if value.secret:
                self._add_sensitive(value)
            return
        self._add_text(value)

    def add_all(self, values: Iterable[str | Sensitive | None]) -> None:
        for value in values:
            self.add(value)

    def add_command(self, command: Command) -> None:
        """Register the sensitive parts of a command (arguments, stdin, env)."""
        for value in command.sensitive_values():
            self._add_text(value)
        for arg in command.args:  # "KEY=secret" pieces: also mask the bare secret
            if isinstance(arg, Sensitive) and arg.secret:
                self._add_sensitive(arg)

    def _add_sensitive(self, value: Sensitive) -> None:
        self._add_text(value.value)
        # "KEY=secret" shown as "KEY=[REDACTED]": the secret alone must be masked too
        prefix = value.redaction[: -len(REDACTED)] if value.redaction.endswith(REDACTED) else ""
        if prefix and value.value.startswith(prefix):
            self._add_text(value.value[len(prefix) :])

    def _add_text(self, text: str) -> None:
        candidates = [text, text.strip()]
        if "\n" in text:  # multi-line secrets (keys, certificates) are printed line by line
            candidates.extend(line.strip() for line in text.splitlines())
        for candidate in candidates:
            if len(candidate) >= MIN_REDACTED_LENGTH and candidate not in self._values:
                self._values.add(candidate)
                self._pattern = None

    def __call__(self, text: str) -> str:
        if not self._values or not text:
            return text
        if self._pattern is None:
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub(self.marker, text)

    def __len__(self) -> int:
        return len(self._values)


def new_command_id() -> str:
    """Short random id tying a command's log lines together (like SSHKit's)."""
    return _random.token_hex(4)


class Output:
    """The one place that turns what happens during a run into what is shown.

    Flows and executors report (``say``, ``log``, ``command_*``, ``step``, ``run_started``); the
    output decides how it looks: Kamal-like log lines (``  INFO [id] Running … on host``), a live
    per-host view on a terminal, plain step lines for pipes and CI, or one JSON event per line.
    Every text is masked by the ``Redactor`` as the last thing before it is written.

    ``say`` is for progress messages (hidden by -q), ``puts`` for what the user asked to see
    (always printed), ``log`` for the per-command lines.
    """

    def __init__(
        self,
        verbosity: str = "info",
        *,
        stream: TextIO | None = None,
        err_stream: TextIO | None = None,
        color: bool | None = None,
        redactor: Redactor | None = None,
        output_format: str = "text",
        live: bool | None = None,
    ) -> None:
        if verbosity not in LEVELS:
            raise ValueError(f"unknown verbosity {verbosity!r}")
        if output_format not in ("text", "json"):
            raise ValueError(f"unknown output format {output_format!r}")
        self.verbosity = verbosity
        self.output_format = output_format
        self._stream = stream
        self._err_stream = err_stream
        self._color = color
        self._live_wanted = live
        self.redactor = redactor or Redactor()
        self._progress: Progress | None = None
        self._short_secrets: set[str] = set()
        self.board: Board | None = None  # set while a run reports steps
        self._runs = 0  # nesting depth of run_started (setup runs deploy)
        self._live: Any = None
        self._result: dict[str, Any] | None = None
        self._closed = False
        self._open_steps: dict[tuple[str, str], float] = {}
        self._canary_line_at = 0.0
        self._sinks: list[LogSink] = []  # where the run's log also goes (output: file / otel)
        self._command_hosts: dict[str, str] = {}

    # --- the run's log, also kept by sinks ------------------------------------------------------
    def add_sink(self, sink: LogSink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: LogSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    def _record(self, level: str, text: str, host: str | None = None, iostream: str | None = None) -> None:
        """Give a log line to every sink (all levels, whatever the terminal shows), masked."""
        if not self._sinks:
            return
        masked = self.redactor(text)
        for sink in list(self._sinks):
            sink.line(level, masked, host, iostream)

    def secret_read(self, name: str, value: str) -> None:
        """A secret value was read: mask it in everything shown from now on; warn (once) when it is
        too short to be masked without garbling every line."""
        if 0 < len(value.strip()) < MIN_REDACTED_LENGTH and name not in self._short_secrets:
            self._short_secrets.add(name)
            self.warn(
                f"  WARN secret {name} is shorter than {MIN_REDACTED_LENGTH} characters: too short to "
                "mask, it may show in clear in the output"
            )
        self.redactor.add(value)

    # --- streams -------------------------------------------------------------------------------
    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    @property
    def err_stream(self) -> TextIO:
        return self._err_stream or sys.stderr

    @property
    def is_tty(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    @property
    def json(self) -> bool:
        return self.output_format == "json"

    @property
    def plain(self) -> bool:
        """No cursor movement and no colour: not a terminal, TERM=dumb or NO_COLOR."""
        return not self.is_tty or os.environ.get("TERM") == "dumb" or "NO_COLOR" in os.environ

    def enabled(self, level: str) -> bool:
        return LEVELS[level] >= LEVELS[self.verbosity]

    @property
    def stepping(self) -> bool:
        """A run reports steps: per-command lines fold into them at the default verbosity."""
        return self.board is not None and self.verbosity != "debug"

    def _write(
        self, text: str, *, err: bool = False, fg: str | None = None, bold: bool = False, head: str = ""
    ) -> None:
        """One line: ``head`` is our own (maybe styled) prefix; ``text`` may hold a host's words, so
        its control characters are shown escaped."""
        text = self.redactor(text)
        if self.json:
            self._emit_json({"event": "message", "level": "error" if err else "info", "text": text})
            return
        import click

        text = visible(text)
        if self._live is not None:
            self._live.print(click.unstyle(head) + text, style=fg)
            return

        if fg is not None or bold:
            text = click.style(text, fg=fg, bold=bold)
        text = head + text
        if self._progress is not None:
            self._progress.clear()
        self._echo(text, err=err)
        if self._progress is not None:
            self._progress.draw()

    def _echo(self, text: str, *, err: bool = False) -> None:
        """Write a line; a reader that went away (``| head``) must not end the run half way."""
        import click

        try:
            click.echo(text, file=self.err_stream if err else self.stream, color=self._color)
        except BrokenPipeError:
            self._stop_writing(err)

    def _stop_writing(self, err: bool) -> None:
        # Point the closed stream at /dev/null: the run goes on (the lock is released) in silence.
        stream = self.err_stream if err else self.stream
        with contextlib.suppress(Exception):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)

    # --- events --------------------------------------------------------------------------------
    def emit(self, event: events.Event) -> None:
        if self.board is not None:
            self.board.record(event)
        if self.json:
            self._emit_json(event.as_dict())

    def _emit_json(self, data: dict[str, Any]) -> None:
        import json

        masked = {k: self.redactor(v) if isinstance(v, str) else v for k, v in data.items()}
        try:
            self.stream.write(json.dumps(masked, default=str) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self._stop_writing(False)

    def run_started(self, command: str, version: str | None, hosts: dict[str, list[str]]) -> None:
        """A deploy-like run begins: from here on, steps per host are what is shown."""
        self._runs += 1
        if self._runs > 1:
            return
        self.board = Board()
        self.emit(events.RunStarted(command=command, version=version, hosts=hosts))
        if not self.json and self.enabled("info") and self._live_allowed():
            from pykamal.remote.live import LiveView

            self._live = LiveView(self.board, self.stream, self.redactor)

    def run_version(self, version: str) -> None:
        """The version the run deploys, once known (rollback picks it after starting)."""
        if self.board is not None:
            self.board.version = version

    def _live_allowed(self) -> bool:
        if self._live_wanted is not None:
            return self._live_wanted
        return self.verbosity == "info" and not self.plain

    def run_finished(self, seconds: float, error: BaseException | None = None) -> None:
        """The run ends (also when it failed or was interrupted): the summary replaces the live view."""
        self._runs = max(self._runs - 1, 0)
        if self._runs or self.board is None:
            if self.board is None:
                self.puts(f"  Finished all in {seconds:.1f} seconds")
            return
        self._stop_live()
        board = self.board
        message = _first_line(str(error)) if error is not None else None
        self._result = {
            "ok": error is None,
            "seconds": round(seconds, 3),
            "version": board.version,
            "hosts": [
                {"host": h, "role": r, "version": v, "result": res, "seconds": float(t.rstrip("s"))}
                for h, r, v, res, t in summary_rows(board)
            ],
        }
        if board.canary is not None:
            self._result["canary"] = dict(board.canary)
        if message is not None:
            self._result["error"] = message
        if self.json:
            return
        if self.enabled("info"):
            rows = summary_rows(board)
            if rows:
                self._write("")
                lines = plain_table(rows, SUMMARY_HEADER)
                width = self._width()
                if width is not None and max(len(text) for text in lines) >= width:  # too narrow
                    lines = [f"  {host} {result} {seconds}" for host, _, _, result, seconds in rows]
                for text in lines:
                    self._write(text)
        outcome = "Failed" if error is not None else "Finished"
        if isinstance(error, BaseException) and not isinstance(error, Exception):
            outcome = "Stopped"
        self.puts(f"  {outcome} all in {seconds:.1f} seconds")

    def _width(self) -> int | None:
        """The terminal's width, None when not writing to a terminal."""
        if not self.is_tty:
            return None
        import shutil

        return shutil.get_terminal_size((80, 24)).columns

    def _stop_live(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            with contextlib.suppress(Exception):
                live.stop()

    @contextlib.contextmanager
    def step(self, host: str, name: str) -> Iterator[None]:
        """A named step on a host (pull, boot web, prune...): started, then finished or failed."""
        self.begin_step(host, name)
        try:
            yield
        except BaseException as exc:
            self.end_step(host, name, error=exc)
            raise
        self.end_step(host, name)

    def begin_step(self, host: str, name: str) -> None:
        if (host, name) in self._open_steps:
            return
        self._open_steps[host, name] = time.monotonic()
        self.emit(events.StepStarted(host=host, step=name))

    def end_step(self, host: str, name: str, error: BaseException | str | None = None) -> None:
        started = self._open_steps.pop((host, name), None)
        if started is None:
            return
        seconds = time.monotonic() - started
        if error is None:
            self.emit(events.StepFinished(host=host, step=name, ok=True, seconds=seconds))
            self._step_line(host, name, f"done in {seconds:.1f}s")
            return
        reason = _first_line(str(error)) or type(error).__name__
        if isinstance(error, BaseException) and not isinstance(error, Exception):
            reason = "interrupted"
        self.emit(events.StepFinished(host=host, step=name, ok=False, seconds=seconds, error=reason))
        self._step_line(host, name, f"failed after {seconds:.1f}s: {reason}", err=True)

    def _step_line(self, host: str, name: str, outcome: str, *, err: bool = False) -> None:
        if self.json or self._live is not None or not self.enabled("info") or self.board is None:
            return
        self._write(f"  {host}  {name}: {outcome}", err=err)

    def failed(self, message: str) -> None:
        """The run's final error (one line, more for several hosts)."""
        self._stop_live()
        if self.json:
            self._emit_json({"event": "error", "message": message})
            if self._result is None:  # failed before any run began (configuration, secrets)
                self._result = {"ok": False}
            self._result["ok"] = False
            self._result.setdefault("error", _first_line(message))
            return
        first, *rest = message.split("\n")
        color = "red" if self._use_color() else None
        self._write(f"  ERROR {first}", err=True, fg=color)
        for line in rest:
            self._write(f"  {line}", err=True, fg=color)

    def close(self) -> None:
        """End of the invocation: restore the terminal; in JSON, the final result event."""
        if self._closed:
            return
        self._closed = True
        self._stop_live()
        if self.json and self._result is not None:
            self._emit_json({"event": "result", **self._result})

    def canary(self, event: events.Event) -> None:
        """The canary phase: its start, its numbers as they come, its verdict, a switch back."""
        self.emit(event)
        if self.json:
            return
        if isinstance(event, events.CanaryStarted):
            self._canary_line_at = 0.0
            where = ", ".join(f"{host} ({','.join(roles)})" for host, roles in event.hosts.items())
            self.say(
                f"Canary: version {event.version} on {where}; watching kamal-proxy's request log for "
                f"{event.watch} s (at most {event.max_error_rate * 100:g} % 5xx, "
                f"at least {event.min_requests} requests)..."
            )
        elif isinstance(event, events.CanaryProgress):
            now = time.monotonic()
            if self._live is None and now - self._canary_line_at >= CANARY_LINE_SECONDS:
                self._canary_line_at = now
                self.say(f"  canary  {canary_numbers(event.requests, event.errors, event.seconds)}", None)
        elif isinstance(event, events.CanaryFinished):
            self.say(canary_verdict_text(event), "green" if event.passed else "yellow")

    # --- condensed progress (TTY only) -----------------------------------------------------------
    def progress(self, label: str, hosts: Sequence[str]) -> Progress | None:
        """A one-line per-run status that replaces the per-command lines, on a terminal at the
        default verbosity when several hosts run at once; None otherwise (plain lines are kept)."""
        if (
            self._progress is not None
            or self.board is not None
            or self.json
            or len(hosts) < 2
            or self.verbosity != "info"
            or not self.is_tty
        ):
            return None
        self._progress = Progress(self, label, len(hosts))
        self._progress.draw()
        return self._progress

    def end_progress(self, progress: Progress) -> None:
        if self._progress is progress:
            progress.clear()
            self._progress = None

    # --- messages ------------------------------------------------------------------------------
    def log(self, level: str, message: str, command_id: str | None = None) -> None:
        """``  INFO [id] message`` (SSHKit's pretty format)."""
        self._log_to_sinks(level, message, command_id)
        self._write_log(level, message, command_id)

    def _write_log(self, level: str, message: str, command_id: str | None) -> None:
        if self.json:  # commands are events of their own; their log lines are for people
            return
        if not self.enabled(level):
            return
        if level == "info" and (self.stepping or (self._progress is not None and command_id)):
            return  # folded into the step (or progress) line
        import click

        label = "WARN" if level == "warn" else level.upper()
        head = click.style(f"{label:>6}", fg=LEVEL_COLORS[level]) if self._use_color() else f"{label:>6}"
        prefix = f"{head} [{command_id}] " if command_id else f"{head} "
        self._write(message, err=level == "error", head=prefix)

    def _log_to_sinks(
        self, level: str, message: str, command_id: str | None, iostream: str | None = None
    ) -> None:
        if self._sinks:
            label = "WARN" if level == "warn" else level.upper()
            prefix = f"{label:>6} [{command_id}] " if command_id else f"{label:>6} "
            host = self._command_hosts.get(command_id) if command_id else None
            self._record(level, prefix + message, host, iostream)

    def say(self, message: str, color: str | None = "magenta") -> None:
        """A progress message like Kamal's ``say`` (hidden with -q)."""
        self._record("info", message)
        if self.enabled("info"):
            self._write(message, fg=color if self._use_color() else None)

    def puts(self, text: str = "") -> None:
        """Output the user asked for (command results); printed at every verbosity."""
        self._write(text)

    def write_raw(self, data: bytes) -> None:
        """Bytes a command wrote, passed on untouched (``exec --raw``): no masking, no newline."""
        stream = getattr(self.stream, "buffer", None)
        try:
            if stream is None:  # a text stream without bytes underneath (tests)
                self.stream.write(data.decode("utf-8", "surrogateescape"))
                self.stream.flush()
            else:
                self.stream.flush()
                stream.write(data)
                stream.flush()
        except BrokenPipeError:
            self._stop_writing(False)

    def warn(self, message: str) -> None:
        self._record("warn", message)
        if self.enabled("warn"):
            self._write(message, err=True, fg="yellow" if self._use_color() else None)

    def error(self, message: str) -> None:
        self._record("error", f"  ERROR {message}")
        self._write(f"  ERROR {message}", err=True, fg="red" if self._use_color() else None)

    def stream_line(self, host: str, line: str) -> None:
        """A line of output the user follows as it comes (a release command): in the live view it
        shows in the host's line, elsewhere as ``  host: line`` (with -v too; hidden with -q)."""
        if self.json or self._live is not None or not self.enabled("info"):
            return
        self._write(f"  {host}: {line}")

    def detail(self, text: str) -> None:
        """A line belonging to the error above it (log lines, a hint), shown at every verbosity."""
        self._write(f"        {text}", err=True)

    def _use_color(self) -> bool:
        if self._color is not None:
            return self._color
        return not self.plain

    # --- per-command lines ---------------------------------------------------------------------
    def command_started(self, command_id: str, display: str, host: str, level: str = "info") -> None:
        if self._sinks:
            self._command_hosts[command_id] = host
        self.emit(events.CommandStarted(host=host, command_id=command_id, command=display))
        self.log(level, f"Running {display} on {host}", command_id)

    def command_output(self, command_id: str, line: str, stream: str | None = None) -> None:
        """A line a command printed (``stream``: ``stdout``/``stderr`` when the executor knows)."""
        host = self.board.host_of(command_id) if self.board is not None else None
        if self.board is not None and host is not None:
            self.board.record(events.CommandOutput(host=host, command_id=command_id, line=line.rstrip("\n")))
        text = "\t" + line.rstrip("\n")
        self._log_to_sinks("debug", text, command_id, stream)
        self._write_log("debug", text, command_id)

    def command_finished(
        self, command_id: str, seconds: float, exit_status: int, level: str = "info", host: str | None = None
    ) -> None:
        where = host or (self.board.host_of(command_id) if self.board is not None else None) or ""
        self.emit(
            events.CommandFinished(
                host=where, command_id=command_id, exit_status=exit_status, seconds=seconds
            )
        )
        outcome = "successful" if exit_status == 0 else "failed"
        message = f"Finished in {seconds:.3f} seconds with exit status {exit_status} ({outcome})."
        self.log(level, message, command_id)
        self._command_hosts.pop(command_id, None)

    def output_of(self, host: str) -> list[str]:
        """The command output kept for a host during this run (raw)."""
        line = self.board.hosts.get(host) if self.board is not None else None
        return list(line.output) if line is not None else []


CANARY_LINE_SECONDS = 5.0  # plain output: one line of canary numbers at most this often


def canary_verdict_text(event: events.CanaryFinished) -> str:
    statuses = ", ".join(f"{code} x{count}" for code, count in sorted(event.statuses.items())) or "none"
    text = (
        f"Canary {'passed' if event.passed else 'failed'}: {event.reason} "
        f"({event.requests} requests in {event.seconds:.1f} s, status codes: {statuses})"
    )
    if event.failing_paths:
        text += f"; failing paths: {', '.join(event.failing_paths)}"
    return text


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


class Progress:
    """``  [12/50 hosts done, 1 failed] label`` redrawn in place on the terminal."""

    def __init__(self, output: Output, label: str, total: int) -> None:
        self.output = output
        self.label = label
        self.total = total
        self.done = 0
        self.failed = 0
        self._shown = False

    def finished(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self.draw()

    def draw(self) -> None:
        import shutil

        failed = f", {self.failed} failed" if self.failed else ""
        text = self.output.redactor(f"  [{self.done}/{self.total} hosts done{failed}] {self.label}")
        width = shutil.get_terminal_size((80, 24)).columns - 1
        if len(text) > width:  # a wrapped line could not be redrawn in place
            text = text[: max(width - 3, 0)] + "..."
        self.output.stream.write("\r\x1b[K" + text)
        self.output.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.output.stream.write("\r\x1b[K")
            self.output.stream.flush()
            self._shown = False


def print_by_host(output: Output, host: str, text: str, *, kind: str = "App", quiet: bool = False) -> None:
    """A host's command output under an ``App Host: <host>`` header (the header hidden with -q)."""
    if not quiet:
        output.puts(f"{kind} Host: {host}")
    output.puts(text.strip() + "\n")
