"""Which files a build sends to Docker: the context directory minus what ``.dockerignore`` excludes.

Used by ``build dev`` to warn about uncommitted and untracked files that end up in the image.
Read here directly (instead of building a throwaway image that lists them) so it needs no base
image and works offline. Patterns follow Docker's rules: ``*``, ``?``, ``[…]`` within one path
component, ``**`` across components, ``!`` re-includes, the last matching line wins, and a
pattern matching a directory excludes everything below it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    include: bool  # a "!pattern" line


def parse_dockerignore(text: str) -> list[Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        if include:
            line = line[1:].strip()
        pattern = os.path.normpath(line).replace(os.sep, "/").lstrip("/")
        if pattern in ("", "."):
            continue
        rules.append(Rule(re.compile(translate(pattern)), include))
    return rules


def translate(pattern: str) -> str:
    """A Docker ignore pattern as an anchored regular expression."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if pattern[i : i + 2] == "**":
                i += 2
                if pattern[i : i + 1] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "^" + "".join(out) + "$"


def is_excluded(path: str, rules: list[Rule]) -> bool:
    """``path`` (relative, ``/``-separated) is left out of the context."""
    parts = path.split("/")
    candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    excluded = False
    for rule in rules:
        if any(rule.regex.match(candidate) for candidate in candidates):
            excluded = not rule.include
    return excluded


def context_files(context: str) -> list[str]:
    """Every file of the build context that Docker would receive, relative to the context."""
    root = Path(context)
    ignore = root / ".dockerignore"
    rules = parse_dockerignore(ignore.read_text(errors="replace")) if ignore.is_file() else []
    files = []
    for folder, dirs, names in os.walk(root):
        relative_folder = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative_folder == "." else relative_folder + "/"
        dirs.sort()
        for name in sorted(names):
            path = prefix + name
            if not is_excluded(path, rules):
                files.append(path)
    return files
