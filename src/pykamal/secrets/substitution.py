"""Running the ``$(command)`` substitutions found in secrets files.

A command starting with ``kamal secrets`` (or ``pykamal``, ``bin/kamal``, ``bundle exec kamal``) runs
inside this process, as Kamal does for ``kamal secrets``, so fetching from a password manager needs no
second interpreter: the caller hands in that ``secrets`` command as an ``InlineRunner``. Anything
else is handed, as written by the user, to ``sh -c``; earlier keys reach
it as environment variables of that one child process (never spliced into the command text, never
exported into our own environment).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping

from pykamal.errors import PykamalError, SecretsError

# Runs `secrets fetch|extract ... --inline` (the words after `secrets`) and returns what it prints.
InlineRunner = Callable[[list[str]], str]

TIMEOUT_ENV = "PYKAMAL_SECRETS_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
# `kamal secrets …`, also as `pykamal`, `bin/kamal` or `bundle exec kamal`
_INLINE = re.compile(r"\A\s*(?:bundle\s+exec\s+)?(?:[\w.~-]*/)*(?:py)?kamal\s+secrets\s")


def timeout_seconds() -> float | None:
    """Timeout for one substitution or adapter call; ``PYKAMAL_SECRETS_TIMEOUT=0`` disables it."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise SecretsError(f"{TIMEOUT_ENV}={raw!r}: should be a number of seconds") from None
    return None if value <= 0 else value


def run_command(
    command: str, variables: Mapping[str, str], where: str, inline: InlineRunner | None = None
) -> str:
    """Output of ``$(command)`` from the secrets file line ``where`` (``path:line``)."""
    if _INLINE.match(command):
        return run_inline(command, variables, where, inline)
    return run_shell(command, variables, where)


def _short(command: str) -> str:
    one_line = " ".join(command.split())
    return one_line if len(one_line) <= 60 else one_line[:57] + "..."


def chomp(text: str) -> str:
    """Drop one trailing line break, as Ruby's String#chomp does."""
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def run_shell(command: str, variables: Mapping[str, str], where: str) -> str:
    import signal
    import subprocess

    env = dict(os.environ)
    for key, value in variables.items():
        if "\0" in value:
            raise SecretsError(
                f"{where}: {key} contains a NUL character and cannot be passed to $({_short(command)})"
            )
        env[key] = value
    timeout = timeout_seconds()
    # Without a terminal, give the command its own process group so a timeout ends all of it; with
    # one, keep it in ours so password prompts can still read from the terminal.
    own_group = not _stdin_is_tty()
    try:
        proc = subprocess.Popen(
            ["sh", "-c", command],
            stdout=subprocess.PIPE,
            env=env,
            process_group=0 if own_group else None,
        )
    except OSError as exc:
        raise SecretsError(f"{where}: cannot run $({_short(command)}): {exc.strerror or exc}") from None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            if own_group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait()
        raise SecretsError(
            f"{where}: $({_short(command)}) timed out after {timeout:g}s (set {TIMEOUT_ENV} to change)"
        ) from None
    if proc.returncode != 0:
        status = f"signal {-proc.returncode}" if proc.returncode < 0 else f"status {proc.returncode}"
        raise SecretsError(f"{where}: $({_short(command)}) failed with exit {status}")
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretsError(f"{where}: $({_short(command)}) printed output that is not UTF-8") from None
    return chomp(text)


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def run_inline(
    command: str, variables: Mapping[str, str], where: str, inline: InlineRunner | None = None
) -> str:
    """Run ``kamal secrets fetch|extract …`` in-process and return what it would have printed."""
    from pykamal.secrets.dotenv import expand_variables
    from pykamal.secrets.shellwords import shellsplit

    # Kamal splices variables into the argument text before splitting it into words; `${SECRETS}`
    # holds `secrets fetch --inline` output, which is escaped for exactly this. No shell runs.
    text = expand_variables(command, variables, os.environ)
    try:
        words = shellsplit(text)
    except ValueError as exc:
        raise SecretsError(f"{where}: cannot split $({_short(command)}): {exc}") from None
    args = words[words.index("secrets") + 1 :] if "secrets" in words else []
    subcommand = next((arg for arg in args if not arg.startswith("-")), None)
    if subcommand not in ("fetch", "extract"):
        raise SecretsError(
            f"{where}: only `secrets fetch` and `secrets extract` can be used inside a secrets file"
        )
    if inline is None:
        raise SecretsError(f"{where}: $({_short(command)}) runs only under the pykamal command")
    try:
        return inline([*args, "--inline"])
    except PykamalError as exc:
        raise SecretsError(f"{where}: {exc}") from None
