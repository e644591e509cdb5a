"""Ruby value semantics that Kamal's configuration relies on, for data parsed from YAML.

``blank``/``present`` follow ActiveSupport, ``to_s`` follows Ruby, ``deep_merge`` follows
``Hash#deep_merge`` (maps merge key by key, everything else is replaced), and the argument helpers
produce the exact strings Kamal puts on docker command lines (``--log-opt max-size="10m"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any


def truthy(value: Any) -> bool:
    """Ruby truthiness: everything but nil and false (so ``{}``, ``""`` and ``0`` are true)."""
    return value is not None and value is not False


def blank(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | dict | tuple):
        return len(value) == 0
    return False


def present(value: Any) -> bool:
    return not blank(value)


def to_s(value: Any) -> str:
    """Ruby's ``to_s`` for YAML scalars."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    return str(value)


def deep_merge(base: Mapping[Any, Any], override: Mapping[Any, Any]) -> dict[Any, Any]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


# --- Kamal's shell argument formatting (Kamal::Utils) -----------------------------------------

_DOLLAR_NOT_BRACED = re.compile(r"\$(?!\{[^}]*\})")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")
_DUMP_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\f": "\\f",
    "\v": "\\v",
    "\b": "\\b",
    "\a": "\\a",
    "\x1b": "\\e",
}


_PLAIN_DUMP = re.compile(r'[^\x00-\x1f\x7f"\\#]*')


def _ruby_dump(text: str) -> str:
    """Ruby ``String#dump`` for ASCII text."""
    if _PLAIN_DUMP.fullmatch(text):  # the common case: nothing to escape
        return f'"{text}"'
    out = ['"']
    for index, char in enumerate(text):
        if char in _DUMP_ESCAPES:
            out.append(_DUMP_ESCAPES[char])
        elif char == "#" and text[index + 1 : index + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def escape_shell_value(value: Any) -> str:
    """Quote a value the way Kamal does: ASCII runs dumped in double quotes (with backticks and every
    ``$`` outside a ``${...}`` reference escaped), others verbatim; an empty value gives nothing."""
    parts = []
    for run in _ASCII_RUNS.findall(to_s(value)):
        if run.isascii():
            dumped = _ruby_dump(run).replace("`", "\\`")
            parts.append(_DOLLAR_NOT_BRACED.sub(r"\\$", dumped))
        else:
            parts.append(run)
    return "".join(parts)


def argumentize(argument: str, attributes: Mapping[Any, Any] | Iterable[Any] | None) -> list[str]:
    """``argumentize("--label", {"a": "b"})`` -> ``["--label", 'a="b"']``; lists give bare values."""
    pairs: Iterable[tuple[Any, Any]]
    if attributes is None:
        return []
    if isinstance(attributes, Mapping):
        pairs = attributes.items()
    elif isinstance(attributes, str | int | float | bool):
        pairs = [(attributes, None)]
    else:
        pairs = [(item, None) for item in attributes]
    args: list[str] = []
    for key, value in pairs:
        if present(value):
            args += [argument, f"{to_s(key)}={escape_shell_value(value)}"]
        elif value is False:
            args += [argument, f"{to_s(key)}=false"]
        else:
            args += [argument, to_s(key)]
    return args


def flatten_args(args: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    pairs: list[tuple[Any, Any]] = []
    for key, value in args.items():
        if isinstance(value, list | tuple):
            pairs += [(key, entry) for entry in value]
        elif isinstance(value, dict):
            pairs += [(key, entry) for entry in value.items()]
        else:
            pairs.append((key, value))
    return pairs


def optionize(args: Mapping[Any, Any], with_: str | None = None, escape: bool = True) -> list[str]:
    """``optionize({"memory": "2g", "init": True})`` -> ``["--memory", '"2g"', "--init"]``."""
    options: list[str] = []
    for key, value in flatten_args(args):
        rendered = escape_shell_value(value) if escape else to_s(value)
        if value is True:
            options.append(f"--{to_s(key)}")
        elif with_ is not None:
            options.append(f"--{to_s(key)}{with_}{rendered}")
        else:
            options += [f"--{to_s(key)}", rendered]
    return options
