"""A small, safe subset of Ruby: what ERB tags in deploy.yml files contain, evaluated without eval.

lexer -> parser (a tree of tuples) -> interpreter; ``values`` holds Ruby's view of Python values
(``to_s``, ``inspect``, truthiness, equality) and ``methods`` the whitelisted methods.
"""

from __future__ import annotations


class Unsupported(Exception):
    """Ruby outside the subset; ``line`` is the template line where it starts."""

    def __init__(self, line: int, what: str = "") -> None:
        super().__init__(what)
        self.line = line
        self.what = what


class RubyError(Exception):
    """An exception Ruby itself would raise (``KeyError``, ``NoMethodError``...), at ``line``."""

    def __init__(self, kind: str, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
