"""Kamal's command line rules (those of its Thor parser), applied before click parses a command.

- Options the command declares (its own and the global ones) are taken wherever they appear,
  before or after positional words, up to a ``--``; everything after ``--`` is positional.
  So ``app exec ls -d staging`` runs ``ls`` on the staging hosts, and
  ``app exec -- ls -d staging`` runs ``ls -d staging``.
- In a command with a variadic argument (``app exec CMD...``), unknown options are positional
  words in their place (``app exec ls -la``). Elsewhere click reports them.
- Bundled short flags split when one of them is declared (``-lp``: ``-l`` stays, ``-p`` is
  taken); a bundle where none is declared stays one word.
- Every boolean flag also accepts ``--no-NAME`` / ``--skip-NAME`` and ``--NAME=true|false``.
- A hash option takes every following ``KEY:VALUE`` word (``-e A:1 B:2``); an array option
  takes every following word that is not an option.

``reorder`` turns the line into ``[options in canonical form] -- [positional words]``, which
click then parses without guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

OPTIONS_END = "--"
_LONG = re.compile(r"^(--\w+(?:-\w+)*)$")
_SHORT = re.compile(r"^(-[a-zA-Z])$")
_WITH_VALUE = re.compile(r"^(--\w+(?:-\w+)*|-[a-zA-Z])=(.*)$", re.DOTALL)
_SHORT_BUNDLE = re.compile(r"^-([a-zA-Z]{2,})$")
_SHORT_NUMBER = re.compile(r"^(-[a-zA-Z])([-+]?(?:\d*\.\d+|\d+))$")
_OPTION_LIKE = re.compile(r"^-{1,2}\S+")
_TRUE_WORDS = {"true", "TRUE", "t", "T"}
_FALSE_WORDS = {"false", "FALSE", "f", "F"}


class HashOption(click.Option):
    """An option taking ``KEY:VALUE`` words (several after one flag); its value is a tuple of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["multiple"] = True
        kwargs.setdefault("metavar", "KEY:VALUE")
        super().__init__(*args, **kwargs)


class ArrayOption(click.Option):
    """An option taking every following word that is not an option; its value is a tuple."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["multiple"] = True
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class _Switch:
    param: click.Option | None  # None: the help option
    negated: bool = False

    @property
    def kind(self) -> str:
        if self.param is None:
            return "help"
        if isinstance(self.param, HashOption):
            return "hash"
        if isinstance(self.param, ArrayOption):
            return "array"
        if self.param.is_flag:
            return "flag"
        return "value"


def add_negations(params: Sequence[click.Parameter]) -> None:
    """Give every boolean flag its ``--no-NAME`` / ``--skip-NAME`` forms (shown in help)."""
    taken = {name for param in params for name in (*param.opts, *param.secondary_opts)}
    for param in params:
        if not isinstance(param, click.Option) or not param.is_bool_flag or param.secondary_opts:
            continue
        long_name = _long_name(param)
        if long_name is None or long_name.startswith(("--no-", "--skip-")):
            continue
        word = long_name[2:]
        param.secondary_opts = [n for n in (f"--no-{word}", f"--skip-{word}") if n not in taken]


def reorder(command: click.Command, ctx: click.Context, args: Sequence[str]) -> list[str]:
    """``args`` as ``[options...] -- [positional...]`` following Kamal's rules (see module doc)."""
    switches = _switches(command, ctx)
    variadic = any(isinstance(p, click.Argument) and p.nargs == -1 for p in command.params)
    options: list[str] = []
    positional: list[str] = []
    pile = list(args)
    while pile:
        word = pile.pop(0)
        if word == OPTIONS_END:
            positional.extend(pile)
            break
        bundle = _SHORT_BUNDLE.match(word)
        if bundle and _takes_value(switches.get(word[:2])):
            pile[:0] = [word[:2], word[2:]]  # -dstaging: a short option glued to its value
            continue
        if bundle and any(f"-{char}" in switches for char in bundle.group(1)):
            pile[:0] = [f"-{char}" for char in bundle.group(1)]
            continue
        name, inline = _split_switch(word)
        switch = switches.get(name) if name else None
        if switch is None:
            if name is not None and not variadic:
                options.append(word)  # click names the unknown option
            else:
                positional.append(word)
            continue
        options.extend(_take(switch, name or word, inline, pile, ctx))
    return [*options, OPTIONS_END, *positional]


def _split_switch(word: str) -> tuple[str | None, str | None]:
    """(option name, inline value) when ``word`` is shaped like an option, else (None, None)."""
    for pattern in (_LONG, _SHORT):
        match = pattern.match(word)
        if match:
            return match.group(1), None
    for pattern in (_WITH_VALUE, _SHORT_NUMBER):
        match = pattern.match(word)
        if match:
            return match.group(1), match.group(2)
    if _SHORT_BUNDLE.match(word):
        return word, None
    return None, None


def _take(switch: _Switch, name: str, inline: str | None, pile: list[str], ctx: click.Context) -> list[str]:
    """Canonical words for one option, consuming its values from ``pile``."""
    if switch.kind == "help":
        return [name]
    param = switch.param
    assert param is not None
    canonical = _long_name(param) or param.opts[0]
    if switch.kind == "flag":
        return [_flag_word(param, switch.negated, name, inline, pile, ctx)]
    if switch.kind in ("hash", "array"):
        values = [] if inline is None else [inline]
        while pile and _is_value(pile[0]) and (switch.kind == "array" or ":" in pile[0]):
            values.append(pile.pop(0))
        if switch.kind == "hash" and (not values or any(":" not in v for v in values)):
            raise click.UsageError(f"{name} expects one or more KEY:VALUE words after it", ctx)
        return [word for value in values for word in (canonical, value)]
    if inline is not None:
        return [canonical, inline]
    if pile and pile[0] != OPTIONS_END and _split_switch(pile[0])[0] is None:
        return [canonical, pile.pop(0)]
    if getattr(param, "_flag_needs_value", False):  # its value is optional (``--canary [N]``)
        return [canonical]
    raise click.UsageError(f"{name} needs a value", ctx)


def _flag_word(
    param: click.Option, negated: bool, name: str, inline: str | None, pile: list[str], ctx: click.Context
) -> str:
    value = not negated
    if inline is not None:
        if inline not in _TRUE_WORDS | _FALSE_WORDS:
            raise click.UsageError(f"{name} expects true or false, got {inline!r}", ctx)
        value = (inline in _TRUE_WORDS) != negated
    elif pile and pile[0] in _TRUE_WORDS | _FALSE_WORDS:
        value = (pile.pop(0) in _TRUE_WORDS) != negated
    if value:
        return param.opts[0]
    if param.secondary_opts:
        return param.secondary_opts[0]
    raise click.UsageError(f"{name} cannot be turned off", ctx)


def _takes_value(switch: _Switch | None) -> bool:
    return switch is not None and switch.kind == "value"


def _is_value(word: str) -> bool:
    return word != OPTIONS_END and not _OPTION_LIKE.match(word)


def _long_name(param: click.Option) -> str | None:
    return next((opt for opt in param.opts if opt.startswith("--")), None)


def _switches(command: click.Command, ctx: click.Context) -> dict[str, _Switch]:
    found: dict[str, _Switch] = {}
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        for opt in param.opts:
            found[opt] = _Switch(param)
        for opt in param.secondary_opts:
            found[opt] = _Switch(param, negated=True)
    for opt in ctx.help_option_names:
        found.setdefault(opt, _Switch(None))
    return found
