"""The small part of ERB that deploy.yml files use, evaluated without Ruby.

Supported, with Ruby's semantics (trim mode ``-``):

* ``<%= expr %>`` where expr is ``ENV["X"]``, ``ENV.fetch("X")``, ``ENV.fetch("X", "default")``,
  a string/integer literal, or several of those joined with ``||`` (first truthy value wins);
* ``<% if COND %>`` / ``<% elsif COND %>`` / ``<% else %>`` / ``<% end %>`` and ``unless``, where COND
  combines such expressions with ``!``, ``&&``, ``||``, ``==``, ``!=``, ``ENV.key?("X")`` and the
  ``.present?`` / ``.blank?`` / ``.nil?`` tests;
* ``<%# comment %>``, ``<%%`` (a literal ``<%``), ``-%>`` (drops the following newline) and
  ``<%-`` (drops the indentation before the tag).

Anything else raises ``ConfigError("<file>:<line>: unsupported ERB: <snippet>")`` rather than
rendering something different from what Kamal would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pykamal.errors import ConfigError

_TAG = re.compile(r"(?m)(^[ \t]*<%-|<%%|<%-|<%=|<%#|<%)")


@dataclass
class Rendered:
    text: str
    line_map: list[int]  # rendered line index (0-based) -> source line (1-based)


# --- template structure -------------------------------------------------------------------------


@dataclass
class _Text:
    text: str
    line: int


@dataclass
class _Output:
    expr: Any
    line: int


@dataclass
class _If:
    line: int
    branches: list[tuple[Any, list[Any]]] = field(default_factory=list)  # (condition, body)
    otherwise: list[Any] | None = None


@dataclass
class _Tag:
    kind: str  # "=", "#", "" (statement)
    code: str
    line: int
    snippet: str


def render(template: str, filename: str, env: Mapping[str, str]) -> Rendered:
    """Render ``template`` with ``env`` as Ruby's ``ENV``; the file name is used in error messages."""
    if "<%" not in template:
        return Rendered(template, list(range(1, template.count("\n") + 2)))
    pieces = _scan(template, filename)
    nodes = _build(pieces, filename)
    out = _Writer()
    _evaluate(nodes, env, filename, out)
    return Rendered("".join(out.parts), out.finish())


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


def _scan(template: str, filename: str) -> list[_Text | _Tag]:
    pieces: list[_Text | _Tag] = []
    position = 0
    line = 1
    pending_text: list[str] = []
    text_line = 1

    def flush() -> None:
        if pending_text:
            pieces.append(_Text("".join(pending_text), text_line))
            pending_text.clear()

    while position < len(template):
        match = _TAG.search(template, position)
        if match is None:
            if not pending_text:
                text_line = line
            pending_text.append(template[position:])
            break
        before = template[position : match.start()]
        opener = match.group(1)
        if before:
            if not pending_text:
                text_line = line
            pending_text.append(before)
            line += before.count("\n")
        if opener == "<%%":
            if not pending_text:
                text_line = line
            pending_text.append("<%")
            position = match.end()
            continue
        flush()
        tag_line = line
        code_start = match.end()
        close = _find_close(template, code_start)
        if close is None:
            snippet = _snippet(template[match.start() :])
            raise ConfigError(f"{filename}:{tag_line}: unsupported ERB: unterminated tag {snippet}")
        close_start, close_end, trims_newline = close
        code = template[code_start:close_start].replace("%%>", "%>")
        stripped_opener = opener.strip()
        kind = {"<%=": "=", "<%#": "#"}.get(stripped_opener, "")
        if stripped_opener == "<%-" and code.lstrip().startswith("#"):
            kind = "#"
        snippet = _snippet(template[match.start() + len(opener) - len(stripped_opener) : close_end])
        pieces.append(_Tag(kind, code, tag_line, snippet))
        line += template[match.start() : close_end].count("\n")
        position = close_end
        if trims_newline and template.startswith("\n", position):
            position += 1
            line += 1
    flush()
    return pieces


def _find_close(template: str, start: int) -> tuple[int, int, bool] | None:
    index = start
    while True:
        found = template.find("%>", index)
        if found < 0:
            return None
        if found > start and template[found - 1] == "%":  # "%%>" is a literal "%>" inside code
            index = found + 2
            continue
        if found > start and template[found - 1] == "-":
            return found - 1, found + 2, True
        return found, found + 2, False


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


# --- statements ---------------------------------------------------------------------------------


def _build(pieces: list[_Text | _Tag], filename: str) -> list[Any]:
    root: list[Any] = []
    stack: list[tuple[_If, list[Any]]] = []
    current = root
    for piece in pieces:
        if isinstance(piece, _Text):
            current.append(piece)
            continue
        if piece.kind == "#":
            continue
        if piece.kind == "=":
            current.append(_Output(_parse_expression(piece, filename), piece.line))
            continue
        code = piece.code.strip()
        if code == "":
            continue
        keyword = re.match(r"(if|unless|elsif)\b\s*(.*?)(?:\s+then)?$", code, re.DOTALL)
        word, rest = (keyword.group(1), keyword.group(2)) if keyword else (code, "")
        if word in ("if", "unless") and rest:
            condition = _parse_condition(rest, piece, filename)
            if word == "unless":
                condition = ("not", condition)
            node = _If(piece.line)
            body: list[Any] = []
            node.branches.append((condition, body))
            current.append(node)
            stack.append((node, current))
            current = body
        elif word == "elsif" and rest and stack and stack[-1][0].otherwise is None:
            body = []
            stack[-1][0].branches.append((_parse_condition(rest, piece, filename), body))
            current = body
        elif code == "else" and stack and stack[-1][0].otherwise is None:
            body = []
            stack[-1][0].otherwise = body
            current = body
        elif code == "end" and stack:
            _node, current = stack.pop()
        else:
            raise ConfigError(f"{filename}:{piece.line}: unsupported ERB: {piece.snippet}")
    if stack:
        node = stack[-1][0]
        raise ConfigError(f"{filename}:{node.line}: unsupported ERB: missing <% end %> for this <% if %>")
    return root


def _evaluate(nodes: list[Any], env: Mapping[str, str], filename: str, out: _Writer) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.write(node.text, node.line, literal=True)
        elif isinstance(node, _Output):
            out.write(_to_s(_value(node.expr, env, filename, node.line)), node.line, literal=False)
        else:
            for condition, body in node.branches:
                if _truthy(_value(condition, env, filename, node.line)):
                    _evaluate(body, env, filename, out)
                    break
            else:
                if node.otherwise is not None:
                    _evaluate(node.otherwise, env, filename, out)


# --- expressions --------------------------------------------------------------------------------
# An expression is a small tree of tuples: ("env", name), ("fetch", name, default-expr | None),
# ("key?", name), ("lit", value), ("or", a, b), ("and", a, b), ("not", a), ("==", a, b),
# ("!=", a, b), ("present?", a), ("blank?", a), ("nil?", a), ("to_s", a).

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\#]|\\.|\#(?![{$@]))*"|'(?:[^'\\]|\\.)*')
      | (?P<int>-?\d+)
      | (?P<op>\|\||&&|==|!=|!|\(|\)|\[|\]|,|\.)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*[?!]?)
    )""",
    re.VERBOSE,
)
_METHODS = ("present?", "blank?", "nil?", "to_s")


class _Unsupported(Exception):
    pass


class _Parser:
    def __init__(self, code: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        code = code.strip()
        while position < len(code):
            match = _TOKEN.match(code, position)
            if not match or match.end() == position:
                raise _Unsupported
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
            while position < len(code) and code[position].isspace():
                position += 1
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        token = self.peek()
        if token is None or (value is not None and token[1] != value) or (kind and token[0] != kind):
            raise _Unsupported
        self.index += 1
        return token[1]

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] == value:
            self.index += 1
            return True
        return False

    def done(self) -> None:
        if self.peek() is not None:
            raise _Unsupported

    def or_expr(self) -> Any:
        left = self.and_expr()
        while self.accept("||"):
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self) -> Any:
        left = self.not_expr()
        while self.accept("&&"):
            left = ("and", left, self.not_expr())
        return left

    def not_expr(self) -> Any:
        if self.accept("!"):
            return ("not", self.not_expr())
        left = self.postfix()
        for operator in ("==", "!="):
            if self.accept(operator):
                return (operator, left, self.postfix())
        return left

    def postfix(self) -> Any:
        value = self.primary()
        while self.accept("."):
            method = self.take(kind="name")
            if method not in _METHODS:
                raise _Unsupported
            value = (method, value)
        return value

    def primary(self) -> Any:
        token = self.peek()
        if token is None:
            raise _Unsupported
        kind, text = token
        if kind == "str":
            self.index += 1
            return ("lit", _ruby_string(text))
        if kind == "int":
            self.index += 1
            return ("lit", int(text))
        if kind == "op" and text == "(":
            self.index += 1
            inner = self.or_expr()
            self.take(")")
            return inner
        if kind == "name" and text in ("nil", "true", "false"):
            self.index += 1
            return ("lit", {"nil": None, "true": True, "false": False}[text])
        if kind == "name" and text == "ENV":
            self.index += 1
            return self.env_access()
        raise _Unsupported

    def env_access(self) -> Any:
        if self.accept("["):
            name = self.string()
            self.take("]")
            return ("env", name)
        self.take(".")
        method = self.take(kind="name")
        self.take("(")
        name = self.string()
        if method == "fetch":
            default = None
            if self.accept(","):
                default = self.primary()
                if default[0] != "lit":
                    raise _Unsupported
            self.take(")")
            return ("fetch", name, default)
        if method in ("key?", "has_key?", "include?", "member?"):
            self.take(")")
            return ("key?", name)
        raise _Unsupported

    def string(self) -> str:
        text = self.take(kind="str")
        return _ruby_string(text)


def _ruby_string(token: str) -> str:
    body = token[1:-1]
    if token[0] == "'":
        return re.sub(r"\\([\\'])", r"\1", body)
    escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "e": "\x1b", "s": " "}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), body)


def _parse_expression(tag: _Tag, filename: str) -> Any:
    try:
        parser = _Parser(tag.code)
        expression = parser.or_expr()
        parser.done()
    except _Unsupported:
        raise ConfigError(f"{filename}:{tag.line}: unsupported ERB: {tag.snippet}") from None
    return expression


def _parse_condition(code: str, tag: _Tag, filename: str) -> Any:
    try:
        parser = _Parser(code)
        expression = parser.or_expr()
        parser.done()
    except _Unsupported:
        raise ConfigError(f"{filename}:{tag.line}: unsupported ERB: {tag.snippet}") from None
    return expression


def _value(expr: Any, env: Mapping[str, str], filename: str, line: int) -> Any:
    op = expr[0]
    if op == "lit":
        return expr[1]
    if op == "env":
        return env.get(expr[1])
    if op == "fetch":
        if expr[1] in env:
            return env[expr[1]]
        if expr[2] is not None:
            return expr[2][1]
        # quoted like Ruby's KeyError (String#inspect): a newline in the key stays on one line
        key = json.dumps(expr[1], ensure_ascii=False)
        raise ConfigError(f"{filename}:{line}: key not found: {key} (ENV.fetch with no default)")
    if op == "key?":
        return expr[1] in env
    if op == "or":
        left = _value(expr[1], env, filename, line)
        return left if _truthy(left) else _value(expr[2], env, filename, line)
    if op == "and":
        left = _value(expr[1], env, filename, line)
        return _value(expr[2], env, filename, line) if _truthy(left) else left
    if op == "not":
        return not _truthy(_value(expr[1], env, filename, line))
    if op in ("==", "!="):
        left, right = _value(expr[1], env, filename, line), _value(expr[2], env, filename, line)
        equal = type(left) is type(right) and left == right
        return equal if op == "==" else not equal
    inner = _value(expr[1], env, filename, line)
    if op == "present?":
        return not _blank(inner)
    if op == "blank?":
        return _blank(inner)
    if op == "nil?":
        return inner is None
    return _to_s(inner)  # to_s


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def _blank(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return False


def _to_s(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
