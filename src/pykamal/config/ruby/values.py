"""Ruby's view of Python values: nil=None, true/false=bool, Integer=int, Float=float, String=str,
Symbol=Sym, Array=list, Hash=dict, Range=RubyRange. ``to_s`` and ``inspect`` print as Ruby 3.3 does."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Sym:
    name: str


@dataclass(frozen=True, slots=True)
class RubyRange:
    first: Any
    last: Any
    exclusive: bool

    def to_list(self) -> list[Any]:
        if type(self.first) is not int or type(self.last) is not int:
            from pykamal.config.ruby import RubyError

            raise RubyError("TypeError", f"can't iterate from {class_name(self.first)}")
        return list(range(self.first, self.last if self.exclusive else self.last + 1))


def truthy(value: Any) -> bool:
    return value is not None and value is not False


def class_name(value: Any) -> str:
    if value is None:
        return "NilClass"
    if value is True:
        return "TrueClass"
    if value is False:
        return "FalseClass"
    names = {
        int: "Integer",
        float: "Float",
        str: "String",
        Sym: "Symbol",
        list: "Array",
        dict: "Hash",
        RubyRange: "Range",
    }
    return names.get(type(value), type(value).__name__)


def ruby_eq(left: Any, right: Any) -> bool:
    """``==`` in Ruby: no true == 1, but 1 == 1.0; arrays and hashes compare element-wise."""
    numbers = (int, float)
    if type(left) in numbers and type(right) in numbers:
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(ruby_eq(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(ruby_eq(left[key], right[key]) for key in left)
    return bool(left == right)


def to_s(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, Sym):
        return value.name
    if isinstance(value, list | dict | RubyRange) or value is True or value is False:
        return inspect(value)
    if isinstance(value, float):
        return _float(value)
    return str(value)


def inspect(value: Any) -> str:
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return inspect_string(value)
    if isinstance(value, Sym):
        return ":" + value.name if _plain_symbol(value.name) else ":" + inspect_string(value.name)
    if isinstance(value, list):
        return "[" + ", ".join(inspect(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{inspect(key)}=>{inspect(item)}" for key, item in value.items()) + "}"
    if isinstance(value, RubyRange):
        return f"{inspect(value.first)}{'...' if value.exclusive else '..'}{inspect(value.last)}"
    if isinstance(value, float):
        return _float(value)
    return str(value)


_STRING_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\f": "\\f",
    "\v": "\\v",
    "\b": "\\b",
    "\a": "\\a",
    "\x1b": "\\e",
}


def inspect_string(text: str) -> str:
    out = ['"']
    for index, char in enumerate(text):
        if char in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[char])
        elif char == "#" and text[index + 1 : index + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        elif not char.isprintable() and ord(char) > 0x7F:
            out.append(f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\u{{{ord(char):X}}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _plain_symbol(name: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*[?!=]?", name) is not None


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    return text if "." in text else text + ".0"
