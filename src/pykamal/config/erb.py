"""ERB as Kamal renders deploy.yml (``ERB.new(template, trim_mode: "-").result``), without Ruby.

Tags are split the way Ruby's ERB scanner splits them (``<%-`` at a line start drops the
indentation, ``-%>`` drops the newline after it, ``<%%`` is a literal ``<%``, ``<%#`` a comment);
the Ruby inside them is the subset in ``pykamal.config.ruby``: literals, ``ENV``, operators,
``if``/``unless``/``case``, local variables, blocks, a whitelist of methods, ``File``, ``Dir``,
``Dotenv.load`` and backticks. Template text and tag values are interleaved exactly as the Ruby
code ERB generates would interleave them.

Ruby outside the subset is refused with ``<file>:<line>: unsupported ERB: <snippet>``, unless a
``ruby`` executable is on PATH: then that file is rendered by Ruby's own ERB instead.
"""

from __future__ import annotations

import re
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykamal.errors import ConfigError

if TYPE_CHECKING:
    from pykamal.config.ruby.lexer import Token

# in text: a tag opener; `<%-` at a line start takes the indentation before it along
_OPENER = re.compile(r"(?m)^[ \t]*<%-|<%-|<%%|<%=|<%#|<%")


@dataclass
class Rendered:
    text: str
    line_map: list[int]  # rendered line index (0-based) -> source line (1-based)
    renderer: str = "pykamal"


@dataclass
class _Tag:
    kind: str  # "=" output, "#" comment, "" code
    code: str
    line: int
    end_line: int
    snippet: str
    trimmed: bool  # closed by `-%>`


def render(template: str, filename: str, env: MutableMapping[str, str]) -> Rendered:
    """Render ``template`` with ``env`` as Ruby's ``ENV`` (``Dotenv.load`` and ``ENV[]=`` change it).

    ``filename`` names the file in error messages."""
    if "<%" not in template:
        return Rendered(template, list(range(1, template.count("\n") + 2)))
    from pykamal.config.ruby import RubyError, Unsupported

    pieces = _scan(template, filename)
    writer = _Writer()
    try:
        _run(pieces, env, filename, writer)
    except Unsupported as exc:
        ruby = _ruby_executable()
        if ruby is None:
            snippet = _snippet_at(pieces, exc.line)
            if exc.what.startswith("missing"):
                snippet = f"{exc.what} for {snippet}"
            raise ConfigError(f"{filename}:{exc.line}: unsupported ERB: {snippet}") from None
        _note(f"{filename}: rendered by Ruby's ERB ({ruby}): {exc.what or 'outside the subset'}")
        return _render_with_ruby(ruby, template, filename, env)
    except RubyError as exc:
        raise ConfigError(f"{filename}:{exc.line}: {_describe(exc)}") from None
    _note(f"{filename}: rendered by pykamal's ERB")
    return Rendered("".join(writer.parts), writer.finish())


def _note(message: str) -> None:
    """Shown at -v (the CLI sets up logging then); without logging loaded, nobody is listening."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger("pykamal.config").info(message)


def _run(
    pieces: list[str | _Tag | tuple[str, int]], env: MutableMapping[str, str], filename: str, writer: _Writer
) -> None:
    from pykamal.config.ruby.interp import Interpreter
    from pykamal.config.ruby.methods import Context
    from pykamal.config.ruby.parser import parse

    tree = parse(_tokens(pieces))
    Interpreter(env, writer.write, Context(filename)).run(tree)


def _describe(error: object) -> str:
    from pykamal.config.ruby import RubyError

    assert isinstance(error, RubyError)
    if error.kind == "KeyError":
        return f"{error.message} (ENV.fetch with no default)"
    if error.kind == "CommandError":
        return error.message
    return f"{error.message} ({error.kind})"


# --- scanning -----------------------------------------------------------------------------------


def _scan(template: str, filename: str) -> list[str | _Tag | tuple[str, int]]:
    """Template -> text pieces ``(text, line)`` and tags, as Ruby's ERB scanner with trim mode "-"."""
    pieces: list[str | _Tag | tuple[str, int]] = []
    position, line = 0, 1
    text: list[str] = []
    text_line = 1
    while True:
        match = _OPENER.search(template, position)
        end = match.start() if match else len(template)
        if position < end:
            if not text:
                text_line = line
            text.append(template[position:end])
            line += template.count("\n", position, end)
        if match is None:
            break
        opener = match.group()
        position = match.end()
        if opener == "<%%":
            if not text:
                text_line = line
            text.append("<%")
            continue
        if text:
            pieces.append(("".join(text), text_line))
            text = []
        indent = opener[: len(opener) - len(opener.lstrip(" \t"))]
        line += indent.count("\n")
        close = _find_close(template, position)
        if close is None:
            snippet = _snippet(template[match.start() + len(indent) :])
            raise ConfigError(f"{filename}:{line}: unsupported ERB: unterminated tag {snippet}")
        close_start, close_end, trimmed = close
        code = template[position:close_start].replace("%%>", "%>")
        kind = {"<%=": "=", "<%#": "#"}.get(opener.strip(" \t"), "")
        end_line = line + template.count("\n", match.start(), close_end)
        snippet = _snippet(template[match.start() + len(indent) : close_end])
        pieces.append(_Tag(kind, code, line, end_line, snippet, trimmed))
        line = end_line
        position = close_end
        if trimmed and template.startswith("\n", position):
            position += 1
            line += 1
        elif trimmed and template.startswith("\r\n", position):
            position += 2
            line += 1
    if text:
        pieces.append(("".join(text), text_line))
    return pieces


def _find_close(template: str, start: int) -> tuple[int, int, bool] | None:
    """(code end, tag end, closed by `-%>`) for the tag whose code starts at ``start``."""
    index = start
    while True:
        found = template.find("%>", index)
        if found < 0:
            return None
        if found > start and template[found - 1] == "%":  # `%%>` is a literal `%>` inside code
            index = found + 2
            continue
        if found > start and template[found - 1] == "-":
            return found - 1, found + 2, True
        return found, found + 2, False


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


def _snippet_at(pieces: list[str | _Tag | tuple[str, int]], line: int) -> str:
    for piece in pieces:
        if isinstance(piece, _Tag) and piece.kind != "#" and piece.line <= line <= piece.end_line:
            return piece.snippet
    return next((piece.snippet for piece in pieces if isinstance(piece, _Tag) and piece.kind != "#"), "")


def _tokens(pieces: list[str | _Tag | tuple[str, int]]) -> list[Token]:
    """One token stream for the whole template: text and output tags become tokens of their own."""
    from pykamal.config.ruby import Unsupported
    from pykamal.config.ruby.lexer import Token, tokenize

    tokens: list[Token] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            tokens.append(Token("text", piece[0], piece[1]))
            continue
        assert isinstance(piece, _Tag)
        if piece.kind == "#":
            continue
        code = tokenize(piece.code, piece.line)
        if code and code[-1].kind == "comment":
            # In the Ruby ERB generates, a comment runs on over whatever follows the tag on its line.
            if piece.kind == "=" or not piece.trimmed:
                raise Unsupported(piece.line, "a # comment that runs to the end of the tag")
            code.pop()
        if piece.kind == "=":
            tokens.append(Token("out", None, piece.line))
            tokens.extend(code)
            tokens.append(Token("outend", None, piece.end_line))
        else:
            tokens.extend(code)
            tokens.append(Token("nl", ";", piece.end_line))
    return tokens


# --- output -------------------------------------------------------------------------------------


class _Writer:
    """Collects output and remembers, for each rendered line, the source line it starts on."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line_map: list[int] = []
        self._line_started = False
        self._last_line = 1

    def write(self, text: str, line: int, literal: bool) -> None:
        if not text:
            return
        segments = text.split("\n")
        for index, segment in enumerate(segments):
            # template text advances with the source; an inserted value stays on its tag's line
            source_line = line + index if literal else line
            if index > 0:
                self._line_started = False
            if not self._line_started and (segment or index < len(segments) - 1):
                self.line_map.append(source_line)
                self._line_started = True
            self._last_line = source_line
        self.parts.append(text)

    def finish(self) -> list[int]:
        if not self._line_started:
            self.line_map.append(self._last_line)
        return self.line_map


# --- Ruby's own ERB, for what the subset does not cover -----------------------------------------

_RUBY_RENDER = 'require "erb"; $stdout.write(ERB.new($stdin.read, trim_mode: "-").result)'


def _ruby_executable() -> str | None:
    import shutil

    return shutil.which("ruby")


def _render_with_ruby(ruby: str, template: str, filename: str, env: MutableMapping[str, str]) -> Rendered:
    import subprocess

    from pykamal.config.ruby.methods import backtick_timeout

    try:
        result = subprocess.run(
            [ruby, "-e", _RUBY_RENDER],
            input=template.encode("utf-8"),
            capture_output=True,
            env=dict(env),
            timeout=backtick_timeout(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{filename}: Ruby's ERB did not finish within {backtick_timeout():g}s") from None
    except OSError as exc:
        raise ConfigError(f"{filename}: cannot run {ruby}: {exc.strerror or exc}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[0] if message else f"exit status {result.returncode}"
        raise ConfigError(f"{filename}: Ruby's ERB failed: {_snippet(first)}")
    text = result.stdout.decode("utf-8", "replace")
    return Rendered(text, list(range(1, text.count("\n") + 2)), renderer="ruby")
