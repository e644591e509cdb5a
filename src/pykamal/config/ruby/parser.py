"""Tokens -> a tree of tuples ``(kind, line, ...)``; anything outside the subset raises ``Unsupported``.

Template text and ``<%= %>`` arrive as ``text`` / ``out`` ... ``outend`` tokens, so control flow
(``if``, ``case``, blocks) may span tags exactly as in the Ruby code ERB generates.
"""

from __future__ import annotations

from typing import Any

from pykamal.config.ruby import Unsupported
from pykamal.config.ruby.lexer import Token, words
from pykamal.config.ruby.values import Sym

Node = tuple[Any, ...]

# methods any value may be sent (checked again against the receiver's type when called)
METHODS = words(
    "strip lstrip rstrip chomp chop to_s to_str to_i to_f to_sym to_a to_h downcase upcase capitalize "
    "swapcase split join first last include? start_with? end_with? empty? nil? present? blank? presence "
    "gsub sub inspect length size count each each_with_index each_pair map collect flat_map select "
    "filter reject compact uniq sort reverse flatten any? all? none? min max sum find detect keys values "
    "key? has_key? member? fetch dig merge times upto zero? even? odd? abs succ pred positive? negative? "
    "freeze dup itself frozen? delete index between? lines chars center ljust rjust equal? eql? message "
    "entries == != ! [] []= + - * / % < > <= >="
)
CLASS_METHODS = {
    "ENV": words("[] fetch key? has_key? include? member? []= to_h keys values"),
    "File": words("read exist? file? directory? join expand_path basename dirname extname"),
    "Dir": words("pwd exist? home"),
    "Dotenv": words("load overload parse"),
}
CONSTANTS = words("ENV File Dir Dotenv RUBY_ENGINE RUBY_ENGINE_VERSION RUBY_VERSION")
ERROR_CLASSES = words(
    "Exception StandardError ScriptError LoadError KeyError NoMethodError NameError RuntimeError "
    "ArgumentError TypeError ZeroDivisionError IOError SystemCallError Errno::ENOENT"
)
REQUIRABLE = frozenset({"dotenv", "dotenv/load"})
_BINARY_LEVELS: list[tuple[str, ...]] = [
    ("==", "!=", "===", "<=>"),
    ("<", "<=", ">", ">="),
    ("|", "^"),
    ("&",),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
]
_STARTS_ARGUMENT = words("str xstr dsym sym int float words const ident label")


def parse(tokens: list[Token], definitions: bool = False) -> Node:
    """The tree of a template (or, with ``definitions``, of a Ruby file that defines modules)."""
    parser = _Parser(tokens, definitions=definitions)
    body = parser.statements(())
    if parser.peek() is not None:
        token = parser.peek()
        assert token is not None
        raise Unsupported(token.line, f"unexpected {token.value!r}")
    return body


class _Parser:
    def __init__(
        self, tokens: list[Token], scopes: list[set[str]] | None = None, definitions: bool = False
    ) -> None:
        self.tokens = tokens
        self.index = 0
        self.scopes: list[set[str]] = scopes if scopes is not None else [set()]
        # a Ruby file loaded with `require` may define modules; after such a require, their
        # constants may appear (whether they exist is checked when the code runs)
        self.definitions = definitions
        self.modules_possible = definitions

    # --- token helpers --------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def line(self) -> int:
        token = self.peek() or (self.tokens[-1] if self.tokens else None)
        return token.line if token else 0

    def at(self, kind: str, value: Any = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (value is None or token.value == value)

    def accept(self, kind: str, value: Any = None) -> Token | None:
        if self.at(kind, value):
            token = self.tokens[self.index]
            self.index += 1
            return token
        return None

    def expect(self, kind: str, value: Any = None) -> Token:
        token = self.accept(kind, value)
        if token is None:
            found = self.peek()
            raise Unsupported(
                self.line(), f"expected {value or kind}, found {found.value if found else 'end'!r}"
            )
        return token

    def expect_end(self, opened_at: int, closer: str = "end") -> None:
        if self.peek() is None or self.at("outend"):
            raise Unsupported(opened_at, f"missing <% {closer} %>")
        self.expect("op" if closer == "}" else "kw", closer)

    def skip_newlines(self) -> None:
        while self.accept("nl"):
            pass

    def declared(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def declare(self, name: str) -> None:
        if not self.declared(name):
            self.scopes[-1].add(name)

    # --- statements -----------------------------------------------------------------------------
    def statements(self, terminators: tuple[str, ...]) -> Node:
        line = self.line()
        body: list[Node] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token is None or token.kind == "outend":
                break
            if token.kind == "kw" and token.value in terminators:
                break
            if token.kind == "op" and token.value in terminators:
                break
            statement = self.statement()
            body.append(statement)
            if statement[0] not in ("text", "out") and not self.statement_ends(terminators):
                raise Unsupported(self.line(), f"unexpected {self.peek().value!r}")  # type: ignore[union-attr]
        return ("seq", line, body)

    def statement_ends(self, terminators: tuple[str, ...]) -> bool:
        token = self.peek()
        if token is None or token.kind in ("nl", "outend", "text", "out"):
            return True
        if token.kind == "kw":
            return token.value in terminators
        return token.kind == "op" and token.value in terminators

    def statement(self) -> Node:
        token = self.peek()
        assert token is not None
        if token.kind == "text":
            self.index += 1
            return ("text", token.line, token.value)
        if token.kind == "out":
            self.index += 1
            body = self.statements(())
            self.expect("outend")
            return ("out", token.line, body)
        node = self.expression_statement()
        while self.at("kw"):
            word = self.peek().value  # type: ignore[union-attr]
            if word in ("if", "unless"):
                self.index += 1
                condition = self.expression_statement()
                if word == "unless":
                    condition = ("not", token.line, condition)
                node = ("if", token.line, condition, node, None)
            elif word == "rescue":
                self.index += 1
                fallback = self.expression_statement()
                node = ("begin", token.line, node, [((), None, fallback)], None)
            else:
                break
        return node

    def expression_statement(self) -> Node:
        left = self.not_expression()
        while self.at("kw", "and") or self.at("kw", "or"):
            word = self.expect("kw").value
            self.skip_newlines()
            right = self.not_expression()
            left = (word if word == "and" else "or", left[1], left, right)
        return left

    def not_expression(self) -> Node:
        token = self.accept("kw", "not")
        if token:
            return ("not", token.line, self.not_expression())
        return self.expression()

    # --- expressions ----------------------------------------------------------------------------
    def expression(self) -> Node:
        token = self.peek()
        following = self.peek(1)
        if token is not None and token.kind == "ident" and following is not None and following.kind == "op":
            if following.value == "=":
                self.index += 2
                self.skip_newlines()
                self.declare(token.value)
                return ("lasgn", token.line, token.value, self.expression())
            if following.value in ("||=", "&&=", "+=", "-=", "*="):
                self.index += 2
                self.skip_newlines()
                self.declare(token.value)
                return ("opasgn", token.line, token.value, following.value[:-1], self.expression())
        node = self.ternary()
        if node[0] == "call" and node[3] == "[]" and self.at("op", "="):
            self.index += 1
            value = self.expression()
            return ("call", node[1], node[2], "[]=", [*node[4], value], None, False)
        return node

    def ternary(self) -> Node:
        condition = self.range()
        if self.accept("op", "?"):
            self.skip_newlines()
            yes = self.ternary()
            self.skip_newlines()
            if not self.accept("op", ":"):
                # `a ? b :c` lexes `:c` as a symbol, `a ? x:y` the `x:` as a label
                raise Unsupported(self.line(), "ternary without ' : '")
            self.skip_newlines()
            no = self.ternary()
            return ("if", condition[1], condition, yes, no)
        return condition

    def range(self) -> Node:
        start = self.or_expression()
        for operator in ("..", "..."):
            if self.accept("op", operator):
                return ("range", start[1], start, self.or_expression(), operator == "...")
        return start

    def or_expression(self) -> Node:
        left = self.and_expression()
        while self.accept("op", "||"):
            self.skip_newlines()
            left = ("or", left[1], left, self.and_expression())
        return left

    def and_expression(self) -> Node:
        left = self.binary(0)
        while self.accept("op", "&&"):
            self.skip_newlines()
            left = ("and", left[1], left, self.binary(0))
        return left

    def binary(self, level: int) -> Node:
        if level == len(_BINARY_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        operators = _BINARY_LEVELS[level]
        while self.at("op") and self.peek().value in operators:  # type: ignore[union-attr]
            operator = self.expect("op").value
            self.skip_newlines()
            right = self.binary(level + 1)
            if operator == "!=":
                left = ("not", left[1], ("call", left[1], left, "==", [right], None, False))
            else:
                left = ("call", left[1], left, operator, [right], None, False)
            if level == 0:  # == and friends do not chain
                break
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "op":
            if token.value == "!":
                self.index += 1
                return ("not", token.line, self.unary())
            if token.value == "-":
                self.index += 1
                operand = self.unary()
                if operand[0] == "lit" and type(operand[2]) in (int, float):
                    return ("lit", token.line, -operand[2])
                return ("call", token.line, operand, "-@", [], None, False)
            if token.value == "+":
                self.index += 1
                return self.unary()
        return self.power()

    def power(self) -> Node:
        base = self.postfix(self.primary())
        if self.accept("op", "**"):
            exponent = self.unary()
            return ("call", base[1], base, "**", [exponent], None, False)
        return base

    # --- calls ----------------------------------------------------------------------------------
    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token is None or token.kind != "op":
                if token is not None and token.kind == "nl" and token.value == "\n":
                    after = self.peek(1)
                    if after is not None and after.kind == "op" and after.value in (".", "&."):
                        self.index += 1  # a leading-dot method chain continues the expression
                        continue
                return node
            if token.value in (".", "&."):
                self.index += 1
                self.skip_newlines()
                name_token = self.peek()
                if name_token is None or name_token.kind not in ("ident", "const", "kw"):
                    raise Unsupported(token.line, "method name expected")
                self.index += 1
                node = self.method_call(node, name_token.value, token.line, safe=token.value == "&.")
            elif token.value == "[" and not (token.spaced and node[0] == "call" and not node[4]):
                self.index += 1
                args = self.arguments("]")
                node = ("call", token.line, node, "[]", args, None, False)
            elif token.value == "::":
                raise Unsupported(token.line, "::")
            else:
                return node

    def method_call(self, receiver: Node, name: str, line: int, safe: bool) -> Node:
        if receiver[0] == "const" and receiver[2] in CLASS_METHODS:
            if name not in CLASS_METHODS[receiver[2]]:
                raise Unsupported(line, f"{receiver[2]}.{name}")
        elif receiver[0] == "const" and receiver[2] not in CONSTANTS:
            pass  # a method of a module from a required file
        elif name not in METHODS:
            raise Unsupported(line, f"method {name}")
        args = self.call_arguments()
        block = self.block()
        return ("call", line, receiver, name, args, block, safe)

    def call_arguments(self) -> list[Node]:
        token = self.peek()
        if token is None:
            return []
        if token.kind == "op" and token.value == "(" and not token.spaced:
            self.index += 1
            return self.arguments(")")
        if token.spaced and token.kind in _STARTS_ARGUMENT:
            args = [self.argument()]
            while self.accept("op", ","):
                self.skip_newlines()
                args.append(self.argument())
            return args
        return []

    def arguments(self, closer: str) -> list[Node]:
        args: list[Node] = []
        self.skip_newlines()
        while not self.accept("op", closer):
            args.append(self.argument())
            self.skip_newlines()
            if not self.accept("op", ","):
                self.skip_newlines()
                self.expect("op", closer)
                break
            self.skip_newlines()
        return args

    def argument(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "op" and token.value == "&":
            self.index += 1
            symbol = self.expect("sym")
            return ("blockpass", symbol.line, symbol.value)
        if (token is not None and token.kind in ("op", "label") and token.value in ("*", "**")) or self.at(
            "label"
        ):
            raise Unsupported(self.line(), "splat or keyword arguments")
        return self.expression()

    def block(self) -> Node | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "op" and token.value == "{":
            self.index += 1
            return self.block_body(token.line, "}")
        if token.kind == "kw" and token.value == "do":
            self.index += 1
            return self.block_body(token.line, "end")
        return None

    def block_body(self, line: int, closer: str) -> Node:
        params: list[str] = []
        self.skip_newlines()
        if self.accept("op", "|"):
            while not self.accept("op", "|"):
                params.append(self.expect("ident").value)
                if not self.accept("op", ","):
                    self.expect("op", "|")
                    break
        elif self.accept("op", "||"):
            pass
        self.scopes.append(set(params))
        try:
            body = self.statements((closer,) if closer == "end" else ("}",))
        finally:
            self.scopes.pop()
        self.expect_end(line, closer)
        return ("block", line, params, body)

    # --- primaries ------------------------------------------------------------------------------
    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise Unsupported(self.line(), "expression expected")
        self.index += 1
        kind, value, line = token.kind, token.value, token.line
        if kind in ("int", "float"):
            return ("lit", line, value)
        if kind == "sym":
            return ("lit", line, Sym(value))
        if kind in ("str", "xstr", "dsym"):
            return (kind, line, [self.interpolation(part) for part in value])
        if kind == "words":
            words, symbols = value
            return ("array", line, [("lit", line, Sym(w) if symbols else w) for w in words])
        if kind == "op":
            return self.bracketed(token)
        if kind == "kw":
            return self.keyword(token)
        if kind == "ident":
            return self.identifier(token)
        if kind == "const":
            if value not in CONSTANTS and not self.modules_possible:
                raise Unsupported(line, f"constant {value}")
            return ("const", line, value)
        if kind == "text" or kind == "out":
            raise Unsupported(line, "template text inside an expression")
        raise Unsupported(line, f"unexpected {value!r}")

    def interpolation(self, part: Any) -> Any:
        if isinstance(part, str):
            return part
        inner = _Parser(part, self.scopes)
        body = inner.statements(())
        if inner.peek() is not None:
            raise Unsupported(inner.line(), "unexpected token in #{}")
        return body

    def bracketed(self, token: Token) -> Node:
        if token.value == "(":
            body = self.statements((")",))
            self.expect("op", ")")
            return body
        if token.value == "[":
            return ("array", token.line, self.arguments("]"))
        if token.value == "{":
            return self.hash_literal(token)
        raise Unsupported(token.line, f"unexpected {token.value!r}")

    def hash_literal(self, token: Token) -> Node:
        pairs: list[tuple[Node, Node]] = []
        self.skip_newlines()
        while not self.accept("op", "}"):
            label = self.accept("label")
            if label is not None:
                self.skip_newlines()
                key: Node = ("lit", label.line, Sym(label.value))
            else:
                key = self.expression()
                self.expect("op", "=>")
                self.skip_newlines()
            pairs.append((key, self.expression()))
            self.skip_newlines()
            if not self.accept("op", ","):
                self.skip_newlines()
                self.expect("op", "}")
                break
            self.skip_newlines()
        return ("hash", token.line, pairs)

    def identifier(self, token: Token) -> Node:
        name, line = token.value, token.line
        following = self.peek()
        called = (
            following is not None
            and following.kind == "op"
            and following.value == "("
            and not following.spaced
        )
        if self.declared(name) and not called:
            return ("lvar", line, name)
        if name in ("require", "raise", "fail"):
            args = self.call_arguments()
            if len(args) != 1:
                raise Unsupported(line, f"{name} with {len(args)} arguments")
            if name != "require":
                return ("raise", line, args[0])
            literal = args[0][0] == "str" and all(isinstance(part, str) for part in args[0][2])
            library = "".join(args[0][2]) if literal else ""
            if library in REQUIRABLE:
                return ("require", line, library)
            if literal and not library.endswith(".rb") and "/" not in library:
                raise Unsupported(line, f'require "{library}"')
            self.modules_possible = True
            return ("require_file", line, args[0])
        raise Unsupported(line, f"method or variable {name}")

    def keyword(self, token: Token) -> Node:
        word, line = token.value, token.line
        if word in ("nil", "true", "false"):
            return ("lit", line, {"nil": None, "true": True, "false": False}[word])
        if word in ("if", "unless"):
            return self.if_block(word, line)
        if word == "case":
            return self.case_block(line)
        if word == "begin":
            return self.begin_block(line)
        if word == "module" and self.definitions:
            name = self.expect("const").value
            body = self.statements(("end",))
            self.expect_end(line)
            return ("module", line, name, body)
        if word == "def" and self.definitions:
            return self.singleton_method(line)
        raise Unsupported(line, word)

    def singleton_method(self, line: int) -> Node:
        """``def self.name(params) ... end`` or ``def self.name = expression``."""
        self.expect("kw", "self")
        self.expect("op", ".")
        name = self.expect("ident").value
        params: list[str] = []
        if self.accept("op", "("):
            while not self.accept("op", ")"):
                params.append(self.expect("ident").value)
                if not self.accept("op", ","):
                    self.expect("op", ")")
                    break
        self.scopes.append(set(params))
        try:
            if self.accept("op", "="):
                self.skip_newlines()
                body = self.expression_statement()
            else:
                body = self.statements(("end",))
                self.expect_end(line)
        finally:
            self.scopes.pop()
        return ("defs", line, name, params, body)

    def if_block(self, word: str, line: int) -> Node:
        condition = self.expression_statement()
        if word == "unless":
            condition = ("not", line, condition)
        self.accept("kw", "then")
        body = self.statements(("elsif", "else", "end"))
        otherwise: Node | None = None
        if word == "if" and self.accept("kw", "elsif"):
            otherwise = self.if_block("if", self.line())
            return ("if", line, condition, body, otherwise)
        if self.accept("kw", "else"):
            otherwise = self.statements(("end",))
        self.expect_end(line)
        return ("if", line, condition, body, otherwise)

    def case_block(self, line: int) -> Node:
        subject = None if self.at("nl") else self.expression_statement()
        self.skip_newlines()
        branches: list[tuple[list[Node], Node]] = []
        while self.accept("kw", "when"):
            values = [self.argument()]
            while self.accept("op", ","):
                self.skip_newlines()
                values.append(self.argument())
            self.accept("kw", "then")
            branches.append((values, self.statements(("when", "else", "end"))))
        if not branches:
            raise Unsupported(line, "case without when")
        otherwise = self.statements(("end",)) if self.accept("kw", "else") else None
        self.expect_end(line)
        return ("case", line, subject, branches, otherwise)

    def begin_block(self, line: int) -> Node:
        body = self.statements(("rescue", "ensure", "end"))
        handlers: list[tuple[tuple[str, ...], str | None, Node]] = []
        while self.accept("kw", "rescue"):
            classes: list[str] = []
            while self.at("const"):
                name = self.expect("const").value
                if self.accept("op", "::"):
                    name += "::" + self.expect("const").value
                if name not in ERROR_CLASSES:
                    raise Unsupported(line, f"rescue {name}")
                classes.append(name)
                if not self.accept("op", ","):
                    break
            variable = None
            if self.accept("op", "=>"):
                variable = self.expect("ident").value
                self.declare(variable)
            self.accept("kw", "then")
            handlers.append((tuple(classes), variable, self.statements(("rescue", "ensure", "end"))))
        ensure = self.statements(("end",)) if self.accept("kw", "ensure") else None
        self.expect_end(line)
        return ("begin", line, body, handlers, ensure)
