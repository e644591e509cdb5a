"""Evaluates the parser's tree: template text and ``<%= %>`` values go to ``write``."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from pykamal.config.ruby import RubyError, Unsupported
from pykamal.config.ruby import methods as m
from pykamal.config.ruby.values import RubyRange, ruby_eq, to_s, truthy

Node = tuple[Any, ...]
# (text, source line, literal?) -> None; literal text follows the source line by line
Writer = Callable[[str, int, bool], None]

# what `rescue X` catches: the class raised and its ancestors
_ANCESTORS = {
    "KeyError": ("KeyError", "IndexError", "StandardError"),
    "NoMethodError": ("NoMethodError", "NameError", "StandardError"),
    "TypeError": ("TypeError", "StandardError"),
    "ArgumentError": ("ArgumentError", "StandardError"),
    "ZeroDivisionError": ("ZeroDivisionError", "StandardError"),
    "RuntimeError": ("RuntimeError", "StandardError"),
    "Errno::ENOENT": ("Errno::ENOENT", "SystemCallError", "StandardError"),
    "IOError": ("IOError", "StandardError"),
    "LoadError": ("LoadError", "ScriptError"),
}


class Interpreter:
    def __init__(self, env: MutableMapping[str, str], write: Writer, context: m.Context) -> None:
        self.env = env
        self.write = write
        self.context = context
        self.scopes: list[dict[str, Any]] = [{}]
        # modules defined by required Ruby files: name -> method -> (parameters, body)
        self.modules: dict[str, dict[str, tuple[list[str], Node]]] = {}
        self.module_stack: list[str] = []
        self.required: set[str] = set()

    def run(self, node: Node) -> Any:
        try:
            return self.eval(node)
        except RecursionError:
            raise Unsupported(node[1], "nested too deeply") from None

    def eval(self, node: Node) -> Any:
        handler = getattr(self, "eval_" + node[0])
        try:
            return handler(node)
        except (RubyError, Unsupported) as error:
            if not error.line:
                error.line = node[1]
            raise

    # --- statements -----------------------------------------------------------------------------
    def eval_seq(self, node: Node) -> Any:
        value = None
        for statement in node[2]:
            value = self.eval(statement)
        return value

    def eval_text(self, node: Node) -> None:
        self.write(node[2], node[1], True)

    def eval_out(self, node: Node) -> None:
        self.write(to_s(self.eval(node[2])), node[1], False)

    def eval_if(self, node: Node) -> Any:
        if truthy(self.eval(node[2])):
            return self.eval(node[3])
        return self.eval(node[4]) if node[4] is not None else None

    def eval_case(self, node: Node) -> Any:
        subject = self.eval(node[2]) if node[2] is not None else None
        for values, body in node[3]:
            for value_node in values:
                value = self.eval(value_node)
                matched = truthy(value) if node[2] is None else _case_equal(value, subject)
                if matched:
                    return self.eval(body)
        return self.eval(node[4]) if node[4] is not None else None

    def eval_begin(self, node: Node) -> Any:
        try:
            return self.eval(node[2])
        except RubyError as error:
            for classes, variable, body in node[3]:
                wanted = classes or ("StandardError",)
                if any(
                    name in _ANCESTORS.get(error.kind, (error.kind,)) or name == "Exception"
                    for name in wanted
                ):
                    if variable is not None:
                        self.assign(variable, m.ErrorValue(error.kind, error.message))
                    return self.eval(body)
            raise
        finally:
            if node[4] is not None:
                self.eval(node[4])

    def eval_require(self, node: Node) -> bool:
        if node[2] == "dotenv/load":
            m.dotenv_load(self.context, self.env, [], node[1], overload=False)
        return True

    def eval_require_file(self, node: Node) -> bool:
        """``require "/path/to/file.rb"``: a Ruby file that defines modules with singleton methods."""
        from pykamal.config.ruby.lexer import tokenize
        from pykamal.config.ruby.parser import parse

        name = self.eval(node[2])
        if not isinstance(name, str):
            raise RubyError("TypeError", f"no implicit conversion of {m.class_name(name)} into String")
        if not name.startswith(("/", "./", "../")):
            raise Unsupported(node[1], f'require "{name}" (a library)')
        path = m.expand_path(name if name.endswith(".rb") else name + ".rb", None, self.env)
        if path in self.required:
            return False
        try:
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
        except OSError:
            raise RubyError("LoadError", f"cannot load such file -- {path}") from None
        try:
            tree = parse(tokenize(source, 1), definitions=True)
        except Unsupported as exc:
            raise Unsupported(node[1], f"{path}:{exc.line}: {exc.what}") from None
        self.required.add(path)
        saved, self.scopes = self.scopes, [{}]
        try:
            self.eval(tree)
        except (RubyError, Unsupported) as exc:
            if isinstance(exc, RubyError):
                exc.message = f"{exc.message} (in {path}:{exc.line})"
                exc.line = node[1]
                raise
            raise Unsupported(node[1], f"{path}:{exc.line}: {exc.what}") from None
        finally:
            self.scopes = saved
        return True

    def eval_module(self, node: Node) -> None:
        self.modules.setdefault(node[2], {})
        self.module_stack.append(node[2])
        try:
            self.eval(node[3])
        finally:
            self.module_stack.pop()

    def eval_defs(self, node: Node) -> Any:
        if not self.module_stack:
            raise Unsupported(node[1], "def outside a module")
        self.modules[self.module_stack[-1]][node[2]] = (node[3], node[4])
        return m.Sym(node[2])

    def call_defined(self, module: str, name: str, args: list[Any], line: int) -> Any:
        methods = self.modules[module]
        if name not in methods:
            raise RubyError("NoMethodError", f"undefined method `{name}' for module {module}")
        params, body = methods[name]
        if len(args) != len(params):
            raise RubyError(
                "ArgumentError", f"wrong number of arguments (given {len(args)}, expected {len(params)})"
            )
        saved, self.scopes = self.scopes, [dict(zip(params, args, strict=True))]
        self.module_stack.append(module)
        try:
            return self.eval(body)
        finally:
            self.scopes = saved
            self.module_stack.pop()

    def eval_raise(self, node: Node) -> None:
        value = self.eval(node[2])
        if not isinstance(value, str):
            raise Unsupported(node[1], "raise with a non-string")
        raise RubyError("RuntimeError", value)

    # --- variables ------------------------------------------------------------------------------
    def lookup(self, name: str, line: int) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None  # declared (the parser saw an assignment) but not yet assigned: nil

    def assign(self, name: str, value: Any) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return value
        self.scopes[-1][name] = value
        return value

    def eval_lvar(self, node: Node) -> Any:
        return self.lookup(node[2], node[1])

    def eval_lasgn(self, node: Node) -> Any:
        return self.assign(node[2], self.eval(node[3]))

    def eval_opasgn(self, node: Node) -> Any:
        name, operator = node[2], node[3]
        current = self.lookup(name, node[1])
        if operator == "||":
            return current if truthy(current) else self.assign(name, self.eval(node[4]))
        if operator == "&&":
            return self.assign(name, self.eval(node[4])) if truthy(current) else current
        value = m.call(self.context, self, current, operator, [self.eval(node[4])], None, node[1])
        return self.assign(name, value)

    # --- expressions ----------------------------------------------------------------------------
    def eval_lit(self, node: Node) -> Any:
        return node[2]

    def eval_str(self, node: Node) -> str:
        return "".join(part if isinstance(part, str) else to_s(self.eval(part)) for part in node[2])

    def eval_dsym(self, node: Node) -> Any:
        from pykamal.config.ruby.values import Sym

        return Sym(self.eval_str(node))

    def eval_xstr(self, node: Node) -> str:
        return m.backtick(self.context, self.env, self.eval_str(node), node[1])

    def eval_array(self, node: Node) -> list[Any]:
        return [self.eval(item) for item in node[2]]

    def eval_hash(self, node: Node) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node[2]:
            key = self.eval(key_node)
            if isinstance(key, list | dict):
                raise Unsupported(node[1], "array or hash as a hash key")
            result[key] = self.eval(value_node)
        return result

    def eval_range(self, node: Node) -> RubyRange:
        return RubyRange(self.eval(node[2]), self.eval(node[3]), node[4])

    def eval_const(self, node: Node) -> Any:
        from pykamal.config.ruby.parser import CONSTANTS

        if node[2] not in CONSTANTS and node[2] not in self.modules:
            raise Unsupported(node[1], f"constant {node[2]}")
        return m.constant(node[2])

    def eval_and(self, node: Node) -> Any:
        left = self.eval(node[2])
        return self.eval(node[3]) if truthy(left) else left

    def eval_or(self, node: Node) -> Any:
        left = self.eval(node[2])
        return left if truthy(left) else self.eval(node[3])

    def eval_not(self, node: Node) -> bool:
        return not truthy(self.eval(node[2]))

    def eval_call(self, node: Node) -> Any:
        _kind, line, receiver_node, name, arg_nodes, block, safe = node
        receiver = self.eval(receiver_node)
        if safe and receiver is None:
            return None
        if isinstance(receiver, m.ClassRef) and receiver.name in self.modules:
            args = [self.eval(arg) for arg in arg_nodes]
            if block is not None or any(arg[0] == "blockpass" for arg in arg_nodes):
                raise Unsupported(line, "a block given to a module method")
            return self.call_defined(receiver.name, name, args, line)
        if name == "==" and len(arg_nodes) == 1 and not isinstance(receiver, m.ClassRef):
            return ruby_eq(receiver, self.eval(arg_nodes[0]))
        args = []
        for arg in arg_nodes:
            if arg[0] == "blockpass":
                if block is not None:
                    raise Unsupported(line, "both a block and &:symbol")
                block = arg
            else:
                args.append(self.eval(arg))
        return m.call(self.context, self, receiver, name, args, block, line)

    # --- blocks ---------------------------------------------------------------------------------
    def call_block(self, block: Node, args: list[Any], line: int) -> Any:
        if block[0] == "blockpass":
            if not args:
                raise RubyError("ArgumentError", "no receiver given")
            return m.call(self.context, self, args[0], block[2], [], None, line)
        params: list[str] = block[2]
        if len(params) > 1 and len(args) == 1 and isinstance(args[0], list):
            args = list(args[0])  # |k, v| takes a pair apart
        scope = {name: (args[index] if index < len(args) else None) for index, name in enumerate(params)}
        self.scopes.append(scope)
        try:
            return self.eval(block[3])
        finally:
            self.scopes.pop()


def _case_equal(pattern: Any, subject: Any) -> bool:
    if isinstance(pattern, m.ClassRef):
        return False
    if isinstance(pattern, RubyRange):
        return m.range_includes(pattern, subject)
    return ruby_eq(pattern, subject)
