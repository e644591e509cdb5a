"""Shell word quoting and splitting with the rules Ruby's Shellwords uses.

`kamal secrets fetch --inline` hands its JSON back escaped this way, and secrets files pass that text
to `kamal secrets extract NAME ${SECRETS}`; the in-process runner splits it the same way Kamal does,
so a file written for Kamal gives identical values. No shell is involved at any point.
"""

from __future__ import annotations

import re

_SAFE = re.compile(r"[^A-Za-z0-9_\-.,:+/@\n]")

# One shell word piece per match: bare text, '...' , "..." , a backslash escape, or garbage
# (an unmatched quote); the trailing group tells whether a separator ends the word.
_WORD = re.compile(
    r"""\s*(?>([^\0\s\\'"]+)|'([^\0']*)'|"((?:[^\0"\\]|\\[^\0])*)"|(\\[^\0]?)|(\S))(\s|\Z)?""",
    re.S,
)
_DQ_ESCAPE = re.compile(r'\\([$`"\\\n])')
_BACKSLASH_ANY = re.compile(r"\\(.)")


def shellescape(text: str) -> str:
    """Escape ``text`` as one shell word: backslash before each unsafe character, ``'\\n'`` for newlines."""
    if text == "":
        return "''"
    if "\0" in text:
        raise ValueError("cannot shell-escape a NUL character")
    escaped = _SAFE.sub(lambda m: "\\" + m.group(0), text)
    return escaped.replace("\n", "'\n'")


def shellsplit(line: str) -> list[str]:
    """Split ``line`` into words like a POSIX shell would, without expanding anything."""
    words: list[str] = []
    field: list[str] = []
    pos = 0
    while pos < len(line):
        match = _WORD.match(line, pos)
        if match is None:  # only trailing whitespace is left
            break
        word, single, double, escape, garbage, separator = match.groups()
        if garbage is not None:
            what = "NUL character" if garbage == "\0" else "unmatched quote"
            raise ValueError(f"{what} at {match.start()}")
        if word is not None:
            field.append(word)
        elif single is not None:
            field.append(single)
        elif double is not None:
            field.append(_DQ_ESCAPE.sub(r"\1", double))
        elif escape is not None:
            field.append(_BACKSLASH_ANY.sub(r"\1", escape))
        if separator is not None:
            words.append("".join(field))
            field = []
        pos = match.end()
        if match.end() == match.start():  # defensive: never loop without progress
            break
    if field:
        words.append("".join(field))
    return words
