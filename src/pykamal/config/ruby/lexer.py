"""Ruby source -> tokens, for the subset ERB tags in deploy.yml files use.

A token is ``Token(kind, value, line, spaced)``. Kinds: ``int``, ``float``, ``str`` / ``xstr``
(backticks, ``%x``) / ``dsym`` whose value is a list of parts (text, or a token list for ``#{...}``),
``words`` (``%w``/``%i``: value is ``(strings, symbols?)``), ``sym``, ``ident``, ``const``, ``label``
(``key:`` in a hash), ``kw``, ``op`` and ``nl`` (a newline or ``;``). ``spaced`` says whether
whitespace came before the token (``foo [1]`` and ``foo[1]`` differ in Ruby).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pykamal.config.ruby import Unsupported


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KEYWORDS = words(
    "if unless elsif else end case when then do while until begin rescue ensure and or not nil "
    "true false self def module class return next break yield in for defined? alias undef redo "
    "retry super __FILE__ __LINE__ __dir__ __method__ BEGIN END"
)
# keywords after which a value ends (so a following `/`, `%`, `:` or `?` is an operator)
_VALUE_KEYWORDS = frozenset({"end", "self", "nil", "true", "false"})
_OPERATORS = sorted(
    words(
        "**= <=> === ... &&= ||= << >> ** == != >= <= =~ !~ && || += -= *= /= %= |= &= => :: &. -> "
        ".. + - * / % = < > ! ? : . , ( ) [ ] { } | & ^ ~"
    ),
    key=len,
    reverse=True,
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?")
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "s": " ",
    "r": "\r",
    "0": "\0",
    "e": "\x1b",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


@dataclass(slots=True)
class Token:
    kind: str
    value: Any
    line: int
    spaced: bool = False


def tokenize(code: str, line: int) -> list[Token]:
    lexer = _Lexer(code, line)
    tokens = lexer.run(closer=None)
    return tokens


class _Lexer:
    def __init__(self, code: str, line: int) -> None:
        self.code = code
        self.pos = 0
        self.line = line

    # --- driver ---------------------------------------------------------------------------------
    def run(self, closer: str | None) -> list[Token]:
        """Tokens up to the end, or (inside ``#{``) up to the ``}`` that closes it."""
        tokens: list[Token] = []
        depth = 0
        code = self.code
        while True:
            spaced = self._skip_blanks()
            if self.pos >= len(code):
                if closer is not None:
                    raise Unsupported(self.line, "unterminated #{")
                return tokens
            char = code[self.pos]
            if char == "\n" or char == ";":
                tokens.append(Token("nl", char, self.line, spaced))
                self.pos += 1
                if char == "\n":
                    self.line += 1
                continue
            if char == "#":
                while self.pos < len(code) and code[self.pos] != "\n":
                    self.pos += 1
                if self.pos >= len(code) and closer is None:
                    tokens.append(Token("comment", None, self.line, spaced))
                continue
            if closer is not None and char == "}" and depth == 0:
                self.pos += 1
                return tokens
            token = self._token(tokens[-1] if tokens else None, spaced)
            if token.kind == "op" and token.value == "{":
                depth += 1
            elif token.kind == "op" and token.value == "}":
                depth -= 1
            tokens.append(token)

    def _skip_blanks(self) -> bool:
        start = self.pos
        code = self.code
        while self.pos < len(code):
            char = code[self.pos]
            if char in " \t\r\f\v":
                self.pos += 1
            elif char == "\\" and code.startswith("\n", self.pos + 1):  # line continuation
                self.pos += 2
                self.line += 1
            else:
                break
        return self.pos > start

    def _token(self, previous: Token | None, spaced: bool) -> Token:
        code, line = self.code, self.line
        char = code[self.pos]
        value_expected = _value_expected(previous, spaced, code, self.pos)
        if char == '"':
            self.pos += 1
            return Token("str", self._interpolated('"', None), line, spaced)
        if char == "'":
            self.pos += 1
            return Token("str", [self._single("'", None)], line, spaced)
        if char == "`":
            self.pos += 1
            return Token("xstr", self._interpolated("`", None), line, spaced)
        if char == "%" and value_expected and self._percent_literal_ahead():
            return self._percent(line, spaced)
        if char == ":" and not code.startswith("::", self.pos) and (value_expected or previous is None):
            symbol = self._symbol(line, spaced)
            if symbol is not None:
                return symbol
        if char.isdigit():
            return self._number(line, spaced)
        if char == "@" or char == "$":
            raise Unsupported(line, "instance or global variable")
        if (char == "/" or char == "?") and value_expected:
            raise Unsupported(line, "regular expression or character literal")
        if char.isalpha() or char == "_":
            return self._word(line, spaced)
        for operator in _OPERATORS:
            if code.startswith(operator, self.pos):
                if operator == "<<" and value_expected and re.match(r"<<[~-]?['\"A-Z_]", code[self.pos :]):
                    raise Unsupported(line, "heredoc")
                self.pos += len(operator)
                return Token("op", operator, line, spaced)
        raise Unsupported(line, f"unexpected character {char!r}")

    # --- words and numbers ----------------------------------------------------------------------
    def _word(self, line: int, spaced: bool) -> Token:
        code = self.code
        match = _IDENT.match(code, self.pos)
        assert match is not None
        word = match.group()
        end = match.end()
        if end < len(code) and code[end] in "?!" and not code.startswith("=", end + 1):
            word += code[end]
            end += 1
        elif code.startswith("?=", end) and code.startswith("==", end + 1):
            word += "?"
            end += 1
        self.pos = end
        if code.startswith(":", end) and not code.startswith("::", end) and word[-1] not in "?!":
            self.pos += 1
            return Token("label", word, line, spaced)
        if word in KEYWORDS:
            return Token("kw", word, line, spaced)
        return Token("const" if word[0].isupper() else "ident", word, line, spaced)

    def _number(self, line: int, spaced: bool) -> Token:
        match = _NUMBER.match(self.code, self.pos)
        assert match is not None
        text = match.group().replace("_", "")
        self.pos = match.end()
        if text[:2].lower() in ("0x", "0b"):
            return Token("int", int(text, 0), line, spaced)
        if match.group(1) or match.group(2):
            return Token("float", float(text), line, spaced)
        if len(text) > 1 and text.startswith("0"):
            return Token("int", int(text, 8), line, spaced)
        return Token("int", int(text), line, spaced)

    def _symbol(self, line: int, spaced: bool) -> Token | None:
        code = self.code
        start = self.pos + 1
        if code.startswith('"', start):
            self.pos = start + 1
            return Token("dsym", self._interpolated('"', None), line, spaced)
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*[?!=]?").match(code, start)
        if match is None:
            return None
        self.pos = match.end()
        return Token("sym", match.group(), line, spaced)

    # --- strings --------------------------------------------------------------------------------
    def _percent_literal_ahead(self) -> bool:
        rest = self.code[self.pos + 1 : self.pos + 3]
        if not rest:
            return False
        if rest[0] in "wWiIqQx" and len(rest) > 1 and not rest[1].isalnum() and not rest[1].isspace():
            return True
        return rest[0] in "([{<|!/^"

    def _percent(self, line: int, spaced: bool) -> Token:
        code = self.code
        self.pos += 1
        kind = "Q"
        if code[self.pos] in "wWiIqQx":
            kind = code[self.pos]
            self.pos += 1
        opener = code[self.pos]
        closer = _PAIRS.get(opener, opener)
        nester = opener if opener in _PAIRS else None
        self.pos += 1
        if kind in ("Q", "x", "W", "I"):
            parts = self._interpolated(closer, nester)
        else:
            parts = [self._single(closer, nester)]
        if kind == "x":
            return Token("xstr", parts, line, spaced)
        if kind in ("q", "Q"):
            return Token("str", parts, line, spaced)
        if any(not isinstance(part, str) for part in parts):
            raise Unsupported(line, "interpolation in %W / %I")
        words = "".join(parts).split()
        return Token("words", (words, kind in ("i", "I")), line, spaced)

    def _single(self, closer: str, nester: str | None) -> str:
        """A single-quoted body: only the closer and a backslash can be escaped."""
        code = self.code
        out: list[str] = []
        depth = 0
        while True:
            if self.pos >= len(code):
                raise Unsupported(self.line, "unterminated string")
            char = code[self.pos]
            if char == "\\" and self.pos + 1 < len(code) and code[self.pos + 1] in (closer, "\\", nester):
                out.append(code[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == "\n":
                self.line += 1
            if nester is not None and char == nester:
                depth += 1
            elif char == closer:
                if depth == 0:
                    return "".join(out)
                depth -= 1
            out.append(char)

    def _interpolated(self, closer: str, nester: str | None) -> list[Any]:
        """A double-quoted body: escapes decoded, ``#{...}`` kept as token lists."""
        code = self.code
        parts: list[Any] = []
        text: list[str] = []
        depth = 0
        while True:
            if self.pos >= len(code):
                raise Unsupported(self.line, "unterminated string")
            char = code[self.pos]
            if char == "\\":
                text.append(self._escape(closer, nester))
                continue
            if char == "#" and code.startswith("{", self.pos + 1):
                if text:
                    parts.append("".join(text))
                    text = []
                self.pos += 2
                parts.append(self.run(closer="}"))
                continue
            if char == "#" and self.pos + 1 < len(code) and code[self.pos + 1] in "@$":
                raise Unsupported(self.line, "#@ / #$ interpolation")
            self.pos += 1
            if char == "\n":
                self.line += 1
            if nester is not None and char == nester:
                depth += 1
            elif char == closer:
                if depth == 0:
                    if text:
                        parts.append("".join(text))
                    return parts
                depth -= 1
            text.append(char)

    def _escape(self, closer: str, nester: str | None) -> str:
        code = self.code
        self.pos += 1
        if self.pos >= len(code):
            raise Unsupported(self.line, "unterminated string")
        char = code[self.pos]
        self.pos += 1
        if char in _ESCAPES and not (char == "0" and self.pos < len(code) and code[self.pos] in "01234567"):
            return _ESCAPES[char]
        if char == "\n":
            self.line += 1
            return ""
        if char in "01234567":
            match = re.compile(r"[0-7]{1,3}").match(code, self.pos - 1)
            assert match is not None
            self.pos = match.end()
            return chr(int(match.group(), 8))
        if char == "x":
            match = re.compile(r"[0-9a-fA-F]{1,2}").match(code, self.pos)
            if match is None:
                raise Unsupported(self.line, "invalid \\x escape")
            self.pos = match.end()
            value = int(match.group(), 16)
            if value > 0x7F:
                raise Unsupported(self.line, "non-ASCII \\x escape")
            return chr(value)
        if char == "u":
            if code.startswith("{", self.pos):
                end = code.find("}", self.pos)
                if end < 0:
                    raise Unsupported(self.line, "invalid \\u escape")
                points = code[self.pos + 1 : end].split()
                self.pos = end + 1
                return "".join(chr(int(point, 16)) for point in points)
            match = re.compile(r"[0-9a-fA-F]{4}").match(code, self.pos)
            if match is None:
                raise Unsupported(self.line, "invalid \\u escape")
            self.pos = match.end()
            return chr(int(match.group(), 16))
        if char in "cCM":
            raise Unsupported(self.line, "control escape")
        return char


def _value_expected(previous: Token | None, spaced: bool, code: str, pos: int) -> bool:
    """Whether an operand (not an operator) comes next, the way Ruby's lexer guesses it."""
    if previous is None or previous.kind == "nl":
        return True
    if previous.kind == "op":
        return previous.value not in (")", "]", "}")
    if previous.kind == "kw":
        return previous.value not in _VALUE_KEYWORDS
    if previous.kind in ("ident", "label"):
        # `foo :sym`, `foo %w[...]`: a command argument when spaced before and not after
        after = code[pos + 1 : pos + 2]
        return previous.kind == "label" or (spaced and after != "" and not after.isspace())
    return False
