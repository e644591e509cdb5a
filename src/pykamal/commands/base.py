"""The data a command builder returns, and how it becomes a shell line (quoting happens only here).

A command is a tuple of arguments. Plain strings are quoted when rendered; ``Raw`` pieces are shell
syntax (pipes, ``&&``, ``||``, redirections, ``$PWD``) and are emitted as they are; ``Sensitive``
pieces render to their value on the wire but to a redaction marker in every log line.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class Sensitive:
    """A value that must never be printed: logs show ``redaction`` instead."""

    value: str
    redaction: str = REDACTED

    def __str__(self) -> str:  # accidental str() never leaks the value
        return self.redaction

    def __repr__(self) -> str:
        return f"Sensitive({self.redaction!r})"


@dataclass(frozen=True)
class Raw:
    """Shell syntax emitted verbatim (never user input)."""

    text: str


Arg = str | Sensitive | Raw


@dataclass(frozen=True)
class Command:
    """One thing to run on a host (or locally).

    ``stdin`` is fed to the process (used for ``docker login --password-stdin``);
    ``env`` is extra environment for local commands (remote env goes through env files).
    """

    args: tuple[Arg, ...]
    stdin: Sensitive | str | None = None
    env: tuple[tuple[str, str | Sensitive], ...] = field(default=())

    @property
    def is_shell(self) -> bool:
        """True if the command contains shell syntax and must run through ``sh -c`` locally."""
        return any(isinstance(a, Raw) for a in self.args)

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
        return [a.value if isinstance(a, Sensitive) else str(a) for a in self.args]

    def __str__(self) -> str:
        return self.display()


def _render(arg: Arg, reveal: bool) -> str:
    if isinstance(arg, Raw):
        return arg.text
    if isinstance(arg, Sensitive):
        return shlex.quote(arg.value) if reveal else arg.redaction
    return shlex.quote(arg)


def cmd(*args: Arg | Iterable[Arg] | None, stdin: Sensitive | str | None = None) -> Command:
    """Build a Command, flattening nested iterables and dropping ``None`` (optional flags)."""
    return Command(tuple(_flatten(args)), stdin=stdin)


def _flatten(items: Iterable[object]) -> Iterable[Arg]:
    for item in items:
        if item is None:
            continue
        if isinstance(item, str | Sensitive | Raw):
            yield item
        elif isinstance(item, Command):
            yield from item.args
        elif isinstance(item, Iterable):
            yield from _flatten(item)
        else:
            yield str(item)


def _join(op: str, commands: Iterable[Command]) -> Command:
    parts: list[Arg] = []
    stdin: Sensitive | str | None = None
    for command in commands:
        if parts:
            parts.append(Raw(op))
        parts.extend(command.args)
        stdin = stdin or command.stdin
    return Command(tuple(parts), stdin=stdin)


def chain(*commands: Command) -> Command:
    """``a ; b`` — run all in order."""
    return _join(";", commands)


def combine(*commands: Command) -> Command:
    """``a && b`` — stop at the first failure."""
    return _join("&&", commands)


def any_of(*commands: Command) -> Command:
    """``a || b`` — first success wins."""
    return _join("||", commands)


def pipe(*commands: Command) -> Command:
    """``a | b``."""
    return _join("|", commands)


def subshell(command: Command) -> Command:
    """``( a )``, for grouping inside a chain."""
    return Command((Raw("("), *command.args, Raw(")")), stdin=command.stdin)
