"""Reading `.kamal/secrets` files: the dotenv dialect Kamal accepts.

Lines are ``KEY=value`` (or ``KEY: value``), optionally prefixed with ``export``; ``#`` starts a comment
outside quotes. Values may be single-quoted (taken literally), double-quoted (may span lines; ``\\n``
stays a backslash and an ``n`` unless ``DOTENV_LINEBREAK_MODE=legacy``) or bare. Outside single quotes:

* ``$NAME`` / ``${NAME}`` is replaced by an earlier key of the same file, then of an earlier file,
  then of the process environment (empty when undefined);
* ``$(command)`` is replaced by the command's output (one trailing newline removed);
* ``\\$`` is a literal dollar sign, and a backslash before any other character is dropped.

The expansion is one left-to-right pass: text produced by a variable or a command is never scanned
again, so a secret containing ``$`` or ``$(...)`` is kept exactly as fetched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from pykamal.errors import SecretsError

# One assignment. The value alternatives are tried in order: single-quoted, double-quoted (both may
# span lines), then bare text up to a comment or the end of the line.
_ASSIGNMENT = re.compile(
    r"""
    (?:^|\A) \s*
    (?P<export> export\s+ )?
    (?P<key> [\w.]+ )
    (?:
        (?: \s*=\s*? | :\s+? )
        (?P<value>
              \s*'(?:\\'|[^'])*'
            | \s*"(?:\\"|[^"])*"
            | [^\#\n]+
        )?
    )?
    \s* (?:\#.*)? (?:$|\Z)
    """,
    re.MULTILINE | re.VERBOSE | re.ASCII,
)
_QUOTED = re.compile(r"(['\"])(.*)\1", re.DOTALL)
_VARIABLE = re.compile(r"\$\{?([A-Za-z0-9_]+)?\}?")
_RUBY_WHITESPACE = " \t\n\v\f\r\0"

# (command text, variables visible to it, "file:line") -> output
CommandRunner = Callable[[str, Mapping[str, str], str], str]


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SecretsError(f"{path}: cannot read secrets file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SecretsError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse(
    text: str,
    *,
    path: str,
    run_command: CommandRunner,
    inherited: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Parse one secrets file's text. ``inherited`` holds keys from files read before this one."""
    return _FileParser(
        text, path, run_command, inherited or {}, os.environ if environ is None else environ
    ).run()


class _FileParser:
    def __init__(
        self,
        text: str,
        path: str,
        run_command: CommandRunner,
        inherited: Mapping[str, str],
        environ: Mapping[str, str],
    ) -> None:
        self.text = text
        self.path = path
        self.run_command = run_command
        self.inherited = inherited
        self.environ = environ
        self.values: dict[str, str] = {}

    def run(self) -> dict[str, str]:
        for match in _ASSIGNMENT.finditer(self.text):
            key = match.group("key")
            raw = match.group("value")
            where = f"{self.path}:{self.text.count(chr(10), 0, match.start('key')) + 1}"
            if match.group("export") and raw is None:
                if key not in self.values:
                    raise SecretsError(f"{where}: `export {key}` has no value and {key} is not set above")
                continue
            self.values[key] = self._value(raw or "", where)
        return self.values

    # --- values --------------------------------------------------------------------------------
    def _value(self, raw: str, where: str) -> str:
        value = raw.strip(_RUBY_WHITESPACE)
        quote = None
        quoted = _QUOTED.fullmatch(value)
        if quoted:
            quote, value = quoted.group(1), quoted.group(2)
        if quote == "'":
            return value
        return self._expand(value, double_quoted=quote == '"', where=where)

    def _legacy_linebreaks(self) -> bool:
        mode = self.values.get("DOTENV_LINEBREAK_MODE") or self.environ.get("DOTENV_LINEBREAK_MODE")
        return mode == "legacy"

    def _expand(self, text: str, *, double_quoted: bool, where: str) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            if char == "\\" and i + 1 < n:
                following = text[i + 1]
                if double_quoted and following in "nr":
                    if self._legacy_linebreaks():
                        out.append("\n" if following == "n" else "\r")
                    else:
                        out.append("\\" + following)
                else:
                    out.append(following)  # "\$" gives "$"; any other escaped character stands for itself
                i += 2
            elif char == "$" and text.startswith("(", i + 1):
                end = command_end(text, i + 2)
                if end is None or end == i + 2:
                    out.append("$")
                    i += 1
                else:
                    out.append(self.run_command(text[i + 2 : end], self.visible_variables(), where))
                    i = end + 1
            elif char == "$":
                match = _VARIABLE.match(text, i)
                assert match is not None  # the pattern always matches at a "$"
                name = match.group(1)
                out.append(self.lookup(name) if name else match.group(0))
                i = match.end()
            else:
                out.append(char)
                i += 1
        return "".join(out)

    def lookup(self, name: str) -> str:
        for source in (self.values, self.inherited, self.environ):
            if name in source:
                return source[name]
        return ""

    def visible_variables(self) -> dict[str, str]:
        """Keys a command may refer to: earlier files' keys, overridden by this file's keys so far."""
        return {**self.inherited, **self.values}


def command_end(text: str, start: int) -> int | None:
    """Index of the ``)`` closing a ``$(`` whose body starts at ``start``, or None if it never closes.

    Nested parentheses must balance; backslash-escaped characters and quoted strings (where a
    parenthesis means nothing to the shell) are skipped.
    """
    depth = 1
    i, n = start, len(text)
    while i < n:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "'":
            close = text.find("'", i + 1)
            if close < 0:
                return None
            i = close + 1
            continue
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                return None
            i = j + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def expand_variables(text: str, variables: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """Replace ``$NAME``/``${NAME}`` in ``text`` (``\\$`` stays a literal ``$``), as Kamal does for the
    arguments of an in-process ``kamal secrets`` command; ``$(`` is left alone."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        name = match.group(3)
        if not name:
            return match.group(0)
        if name in variables:
            return variables[name]
        return environ.get(name, "")

    return re.sub(r"(\\)?(\$)(?!\()\{?([A-Za-z0-9_]+)?\}?", replace, text)
