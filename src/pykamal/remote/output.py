"""What the user sees: Kamal-like log lines, verbosity, and redaction of secret values.

Every line printed through ``Output`` passes through its ``Redactor`` first, so a secret value
that a command echoes back (or that ends up in an error message) is masked before it reaches
the terminal.
"""

from __future__ import annotations

import re
import secrets as _random
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

from pykamal.commands.base import REDACTED, Sensitive

if TYPE_CHECKING:
    from pykamal.commands.base import Command

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
            if isinstance(arg, Sensitive):
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
    """Prints log lines at a verbosity ("debug", "info" or "error"), redacting secrets.

    ``say`` is for progress messages (hidden by -q), ``puts`` for what the user asked to see
    (always printed), ``log`` for the per-command lines (``  INFO [id] Running … on host``).
    """

    def __init__(
        self,
        verbosity: str = "info",
        *,
        stream: TextIO | None = None,
        err_stream: TextIO | None = None,
        color: bool | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        if verbosity not in LEVELS:
            raise ValueError(f"unknown verbosity {verbosity!r}")
        self.verbosity = verbosity
        self._stream = stream
        self._err_stream = err_stream
        self._color = color
        self.redactor = redactor or Redactor()
        self._progress: Progress | None = None

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

    def enabled(self, level: str) -> bool:
        return LEVELS[level] >= LEVELS[self.verbosity]

    def _write(self, text: str, *, err: bool = False, fg: str | None = None, bold: bool = False) -> None:
        import click

        text = self.redactor(text)
        if fg is not None or bold:
            text = click.style(text, fg=fg, bold=bold)
        if self._progress is not None:
            self._progress.clear()
        click.echo(text, file=self.err_stream if err else self.stream, color=self._color)
        if self._progress is not None:
            self._progress.draw()

    # --- condensed progress (TTY only) -----------------------------------------------------------
    def progress(self, label: str, hosts: Sequence[str]) -> Progress | None:
        """A one-line per-run status that replaces the per-command lines, on a terminal at the
        default verbosity when several hosts run at once; None otherwise (plain lines are kept)."""
        if self._progress is not None or len(hosts) < 2 or self.verbosity != "info" or not self.is_tty:
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
        if not self.enabled(level):
            return
        if self._progress is not None and command_id and level == "info":
            return  # condensed into the progress line
        import click

        label = "WARN" if level == "warn" else level.upper()
        head = click.style(f"{label:>6}", fg=LEVEL_COLORS[level]) if self._use_color() else f"{label:>6}"
        prefix = f"{head} [{command_id}] " if command_id else f"{head} "
        self._write(prefix + message, err=level == "error")

    def say(self, message: str, color: str | None = "magenta") -> None:
        """A progress message like Kamal's ``say`` (hidden with -q)."""
        if self.enabled("info"):
            self._write(message, fg=color if self._use_color() else None)

    def puts(self, text: str = "") -> None:
        """Output the user asked for (command results); printed at every verbosity."""
        self._write(text)

    def warn(self, message: str) -> None:
        if self.enabled("warn"):
            self._write(message, err=True, fg="yellow" if self._use_color() else None)

    def error(self, message: str) -> None:
        self._write(f"  ERROR {message}", err=True, fg="red" if self._use_color() else None)

    def _use_color(self) -> bool:
        return self._color if self._color is not None else self.is_tty

    # --- per-command lines ---------------------------------------------------------------------
    def command_started(self, command_id: str, display: str, host: str, level: str = "info") -> None:
        self.log(level, f"Running {display} on {host}", command_id)

    def command_output(self, command_id: str, line: str) -> None:
        self.log("debug", "\t" + line.rstrip("\n"), command_id)

    def command_finished(
        self, command_id: str, seconds: float, exit_status: int, level: str = "info"
    ) -> None:
        outcome = "successful" if exit_status == 0 else "failed"
        message = f"Finished in {seconds:.3f} seconds with exit status {exit_status} ({outcome})."
        self.log(level, message, command_id)


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
