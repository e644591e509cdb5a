"""The data a command builder returns, and how it becomes a shell line (quoting happens only here).

A command is a tuple of arguments. Plain strings are quoted when rendered; ``Raw`` pieces are shell
syntax (pipes, ``&&``, ``||``, redirections, ``$PWD``) and are emitted as they are; ``Sensitive``
pieces render to their value on the wire but to a redaction marker in every log line.

So that hosts see the same command text as with Kamal, a few more pieces exist: ``Quoted`` (a value
in double quotes, escaped the way Kamal escapes it), ``Word`` (pieces glued into one shell word, e.g.
``KEY=`` + ``Quoted(value)`` or ``$PWD/`` + a path), ``Subst`` (``$(command)``) and ``Script`` (a
whole command passed as one argument, for ``sh -c`` or ``ssh``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pykamal.config.rubyish import escape_shell_value
from pykamal.sensitive import Sensitive


@dataclass(frozen=True)
class Raw:
    """Shell syntax emitted verbatim (never user input)."""

    text: str


@dataclass(frozen=True)
class Quoted:
    """A value in quotes, as one shell word.

    Double-quoted (default) the way Kamal escapes values, so the text matches Kamal's; as with
    Kamal, ``${NAME}`` inside is left for the host's shell to expand. ``single=True`` always
    single-quotes (nothing expands).
    """

    value: str
    single: bool = False


@dataclass(frozen=True)
class Subst:
    """``$(command)``: the output of a command, substituted by the shell."""

    command: Command


@dataclass(frozen=True)
class Script:
    """A whole command passed as one quoted argument (``sh -c '<cmd>'``, ``ssh host '<cmd>'``)."""

    command: Command


Part = str | Quoted | Raw | Subst


@dataclass(frozen=True)
class Word:
    """Pieces rendered side by side with no space between them, forming one shell word."""

    parts: tuple[Part, ...]


Arg = str | Sensitive | Raw | Quoted | Subst | Script | Word


def word(*parts: Part) -> Word:
    return Word(tuple(parts))


@dataclass(frozen=True)
class Command:
    """One thing to run on a host (or locally).

    ``stdin`` is fed to the process (used for ``docker login --password-stdin``);
    ``env`` is extra environment for local commands (remote env goes through env files).
    ``binary_output``: stdout is kept byte for byte (decoded with ``surrogateescape``, so
    ``raw_bytes`` gives back exactly what the command wrote), for ``exec --raw``.
    """

    args: tuple[Arg, ...]
    stdin: Sensitive | str | None = None
    env: tuple[tuple[str, str | Sensitive], ...] = field(default=())
    binary_output: bool = False

    @property
    def is_shell(self) -> bool:
        """True if the command contains shell syntax and must run through ``sh -c`` locally."""
        return any(_needs_shell(a) for a in self.args)

    def shell(self) -> str:
        """The command line sent to a shell, with real values."""
        return " ".join(_render(a, reveal=True) for a in self.args)

    def display(self) -> str:
        """The command line for logs, with sensitive values redacted."""
        return " ".join(_render(a, reveal=False) for a in self.args)

    def argv(self) -> list[str]:
        """Plain argv for local execution without a shell (only valid when not ``is_shell``)."""
        if self.is_shell:
            raise ValueError("command contains shell syntax; run it with sh -c")
        return [_plain(a) for a in self.args]

    def sensitive_values(self) -> list[str]:
        """Every secret this command carries (arguments, stdin, environment), for output redaction."""
        values = [a.value for a in _walk(self.args) if isinstance(a, Sensitive) and a.secret]
        if isinstance(self.stdin, Sensitive) and self.stdin.secret:
            values.append(self.stdin.value)
        values.extend(v.value for _, v in self.env if isinstance(v, Sensitive) and v.secret)
        return values

    def __str__(self) -> str:
        return self.display()

    @property
    def output_errors(self) -> str:
        """How undecodable output bytes are decoded: kept (binary output) or replaced."""
        return "surrogateescape" if self.binary_output else "replace"


def raw_bytes(text: str) -> bytes:
    """The bytes a ``binary_output`` command wrote, from its decoded stdout."""
    return text.encode("utf-8", "surrogateescape")


def _render(arg: Arg, reveal: bool) -> str:
    if isinstance(arg, Raw):
        return arg.text
    if isinstance(arg, Sensitive):
        return quote(arg.value) if reveal else arg.redaction
    if isinstance(arg, Quoted):
        return _single_quote(arg.value) if arg.single else kamal_escape(arg.value)
    if isinstance(arg, Subst):
        return "$(" + _render_command(arg.command, reveal) + ")"
    if isinstance(arg, Script):
        return _single_quote(_render_command(arg.command, reveal))
    if isinstance(arg, Word):
        return "".join(_render(p, reveal) for p in arg.parts)
    return quote(arg)


def _render_command(command: Command, reveal: bool) -> str:
    return command.shell() if reveal else command.display()


def _needs_shell(arg: Arg) -> bool:
    if isinstance(arg, Raw | Subst):
        return True
    if isinstance(arg, Word):
        return any(_needs_shell(p) for p in arg.parts)
    return False


def _plain(arg: Arg) -> str:
    """The argument as the program receives it (what a shell would pass after unquoting)."""
    if isinstance(arg, Sensitive):
        return arg.value
    if isinstance(arg, Quoted):
        return arg.value if arg.single else _unquote_double(kamal_escape(arg.value))
    if isinstance(arg, Script):
        return arg.command.shell()
    if isinstance(arg, Word):
        return "".join(_plain(p) for p in arg.parts)
    if isinstance(arg, Raw | Subst):
        raise ValueError("shell syntax has no plain value")
    return arg


def _walk(args: Iterable[Arg]) -> Iterable[Arg]:
    for arg in args:
        yield arg
        if isinstance(arg, Subst | Script):
            yield from _walk(arg.command.args)
        elif isinstance(arg, Word):
            yield from _walk(arg.parts)


def quote(value: str) -> str:
    """Single-quote for the shell when needed (``'\\''`` for embedded quotes, as Kamal writes it)."""
    if value and not _UNSAFE.search(value):
        return value
    return _single_quote(value)


def _single_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


_UNSAFE = re.compile(r"[^\w@%+=:,./-]", re.ASCII)


def kamal_escape(value: str) -> str:
    """A value as Kamal writes it on a command line: ``"..."`` with Kamal's escaping
    (``escape_shell_value``); an empty value stays an argument, ``""``."""
    return escape_shell_value(value) if value else '""'


def _unquote_double(text: str) -> str:
    """What a POSIX shell makes of ``kamal_escape`` output (without expanding ``${...}``)."""
    out: list[str] = []
    in_quotes = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif in_quotes and ch == "\\" and text[i + 1 : i + 2] in ("$", "`", '"', "\\", "\n"):
            out.append(text[i + 1])
            i += 1
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def cmd(
    *args: Arg | Command | Iterable[Arg] | None,
    stdin: Sensitive | str | None = None,
    env: Iterable[tuple[str, str | Sensitive]] = (),
) -> Command:
    """Build a Command, flattening nested iterables and dropping ``None`` (optional flags)."""
    return Command(tuple(_flatten(args)), stdin=stdin, env=tuple(env))


def _flatten(items: Iterable[object]) -> Iterable[Arg]:
    for item in items:
        if item is None:
            continue
        if isinstance(item, str | Sensitive | Raw | Quoted | Subst | Script | Word):
            yield item
        elif isinstance(item, Command):
            yield from item.args
        elif isinstance(item, Iterable):
            yield from _flatten(item)
        else:
            yield str(item)


def _join(op: str, commands: Iterable[Command | None]) -> Command:
    parts: list[Arg] = []
    stdin: Sensitive | str | None = None
    env: dict[str, str | Sensitive] = {}
    for command in commands:
        if command is None:
            continue
        if parts:
            parts.append(Raw(op))
        parts.extend(command.args)
        stdin = stdin or command.stdin
        env.update(command.env)
    return Command(tuple(parts), stdin=stdin, env=tuple(env.items()))


def chain(*commands: Command | None) -> Command:
    """``a ; b`` — run all in order."""
    return _join(";", commands)


def combine(*commands: Command | None) -> Command:
    """``a && b`` — stop at the first failure."""
    return _join("&&", commands)


def any_of(*commands: Command | None) -> Command:
    """``a || b`` — first success wins."""
    return _join("||", commands)


def pipe(*commands: Command | None) -> Command:
    """``a | b``."""
    return _join("|", commands)


def subshell(command: Command) -> Command:
    """``( a )``, for grouping inside a chain."""
    return Command((Raw("("), *command.args, Raw(")")), stdin=command.stdin, env=command.env)


def ignore_failure(command: Command) -> Command:
    """``( <command> || true )``: a step whose failure must not stop the rest (Kamal ignores it too)."""
    return subshell(any_of(command, cmd("true")))


def require(condition: str, message: str) -> Command:
    """``{ <condition> || { echo "<message>" >&2; false; }; }``."""
    return cmd(Raw("{"), Raw(condition), Raw("|| {"), "echo", Quoted(message), Raw(">&2; false; }; }"))


# --- probes: several reads in one remote command, each output line marked and parsed back ----------

MARK = "@pykamal"


def emit(key: str, source: Command) -> Command:
    """``echo @pykamal <key> $(<source>)``: one line of a probe's output (words of the output joined)."""
    return cmd("echo", MARK, key, Subst(source))


def concurrently(*commands: Command) -> Command:
    """``{ a & b & … & wait; }``: independent reads at once (each ``emit`` line is one atomic write)."""
    parts: list[Command] = []
    for command in commands:
        parts.append(cmd(command, Raw("&")))
    return cmd(Raw("{"), *parts, Raw("wait; }"))


def parse(stdout: str) -> dict[str, list[str]]:
    """The ``emit`` lines of a command's output: key -> words."""
    return dict(parse_lines(stdout))


def parse_lines(stdout: str) -> list[tuple[str, list[str]]]:
    """Every ``@pykamal <key> <words…>`` line, in order."""
    lines = []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == MARK:
            lines.append((parts[1], parts[2:]))
    return lines
