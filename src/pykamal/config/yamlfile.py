"""YAML parsing with the scalar rules of Ruby's Psych (YAML 1.1 flavoured), on the C loader when present.

Kamal reads ``deploy.yml`` with Psych, whose idea of what a plain scalar means differs from PyYAML's
in many small ways: ``yEs``/``ON`` are booleans in any case, ``1,000`` is an integer, ``1:30`` is a
base-60 number computed Psych's way, ``:name`` is a symbol (we keep it as the string ``name``),
``1e5`` stays a string. Only *plain* (unquoted, untagged) scalars are interpreted; quoted and block
scalars are always strings, exactly as in Psych.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from pykamal.errors import ConfigError

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN = "tag:pykamal:psych-plain"

_WORDISH = re.compile(r"(?:[^0-9.:\-])?(?:[^\W\d]|[ \t\r\n\f\v!@#$%^&*(){}<>|/\\~;=])+")
_TIME = re.compile(
    r"-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?"
    r"(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?"
)
_DATE = re.compile(r"\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)")
_SEXAGESIMAL_INT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}")
_SEXAGESIMAL_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}\.[0-9_]*")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?")
_INTEGER = re.compile(
    r"[-+]?0b[_,]*[0-1][0-1_,]*"
    r"|[-+]?0[_,]*[0-7][0-7_,]*"
    r"|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)"
    r"|[-+]?0x[_,]*[0-9a-fA-F][0-9a-fA-F_,]*"
)
_RUBY_TO_I = re.compile(r"\s*([-+]?\d+(?:_\d+)*)")
_RUBY_TO_F = re.compile(r"\s*([-+]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][-+]?\d+)?)")


def psych_scalar(text: str) -> Any:
    """The Ruby value Psych gives an unquoted scalar (symbols become plain strings)."""
    if text == "":
        return None
    if "\n" in text or _WORDISH.match(text):
        if len(text) > 5 or re.match(r"[^ytonf~]", text, re.IGNORECASE):
            return text
        lowered = text.lower()
        if text == "~" or lowered == "null":
            return None
        if lowered in ("yes", "true", "on"):
            return True
        if lowered in ("no", "false", "off"):
            return False
        return text
    if _TIME.fullmatch(text):
        return _parse_time(text)
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError:
            return text
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    if len(text) > 1 and text[0] == ":":
        quoted = re.match(r":([\"'])(.*)\1", text)
        name = quoted.group(2) if quoted else text[1:]
        return name[1:] if name.startswith(":") and quoted else name
    if _SEXAGESIMAL_INT.fullmatch(text):
        return _base60(text, _ruby_to_i)
    if _SEXAGESIMAL_FLOAT.fullmatch(text):
        return _base60(text, _ruby_to_f)
    if _FLOAT.fullmatch(text):
        if re.fullmatch(r"[-+]?\.", text):
            return text
        cleaned = re.sub(r"\.([Ee]|$)", r"\1", text.replace(",", "").replace("_", ""))
        return float(cleaned)
    if _INTEGER.fullmatch(text):
        return _ruby_integer(text.replace(",", "").replace("_", ""))
    return text


def _base60(text: str, convert: Any) -> Any:
    # Psych weights the parts as 60**|index - 2|, so "1:30" is 1*3600 + 30*60 (sic).
    total: Any = 0
    for index, part in enumerate(text.split(":")):
        total += convert(part) * 60 ** abs(index - 2)
    return total


def _ruby_to_i(text: str) -> int:
    match = _RUBY_TO_I.match(text)
    return int(match.group(1).replace("_", "")) if match else 0


def _ruby_to_f(text: str) -> float:
    match = _RUBY_TO_F.match(text)
    return float(match.group(1).replace("_", "")) if match else 0.0


def _ruby_integer(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits[:2] in ("0b", "0B"):
        return sign * int(digits[2:], 2)
    if digits[:2] in ("0x", "0X"):
        return sign * int(digits[2:], 16)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _parse_time(text: str) -> Any:
    match = re.fullmatch(
        r"(-?\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|\s+)(\d{1,2}):(\d\d):(\d\d)(?:\.(\d*))?"
        r"(?:\s*(Z|[-+]\d{1,2}:?(?:\d\d)?))?",
        text,
    )
    if not match:
        return text
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: dt.tzinfo = dt.UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        hours, _, minutes = zone[1:].partition(":")
        if not minutes and len(hours) > 2:
            hours, minutes = hours[:-2], hours[-2:]
        tz = dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0)))
    try:
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError:
        return text


def _loader_class() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class PsychLoader(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode and implicit[0]:
                return _MERGE if value == "<<" else _PLAIN
            result: str = super().resolve(kind, value, implicit)
            return result

    def construct_plain(loader: Any, node: Any) -> Any:
        return psych_scalar(loader.construct_scalar(node))

    PsychLoader.add_constructor(_PLAIN, construct_plain)
    return PsychLoader


_LOADER: type | None = None


def parse_yaml(text: str, filename: str, line_map: list[int] | None = None) -> Any:
    """Parse one YAML document; syntax errors become ``<filename>:<line>: <problem>``.

    ``line_map[i]`` is the source line (1-based) of rendered line ``i`` (0-based), when the text
    went through ERB first, so errors point at the line the user wrote.
    """
    global _LOADER
    import yaml

    if _LOADER is None:
        _LOADER = _loader_class()
    try:
        _check_nesting(text, filename, line_map)
        return yaml.load(text, Loader=_LOADER)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and "while" in exc.context:
            problem = f"{exc.problem} {exc.context}"
        line = _source_line(mark.line if mark else 0, line_map)
        raise ConfigError(f"{filename}:{line}: {problem}") from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(f"{filename}: {message}") from None


MAX_NESTING = 500


def _check_nesting(text: str, filename: str, line_map: list[int] | None) -> None:
    """Refuse very deep nesting before building it: the C composer recurses and would crash."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):  # type: ignore[arg-type]
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                line = _source_line(event.start_mark.line if event.start_mark else 0, line_map)
                raise ConfigError(f"{filename}:{line}: values are nested more than {MAX_NESTING} levels deep")
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


def _source_line(rendered_line: int, line_map: list[int] | None) -> int:
    if line_map and 0 <= rendered_line < len(line_map):
        return line_map[rendered_line]
    if line_map and rendered_line >= len(line_map):
        return line_map[-1]
    return rendered_line + 1
