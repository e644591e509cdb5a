"""A value that must never be printed, shared by the configuration and the commands built from it."""

from __future__ import annotations

from dataclasses import dataclass

REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class Sensitive:
    """A value that must never be printed: logs show ``redaction`` instead.

    ``secret=False`` hides the value only where it stands in a command (a registry user name, as
    Kamal does) without masking the same word everywhere else in the output.
    """

    value: str
    redaction: str = REDACTED
    secret: bool = True

    def __str__(self) -> str:  # accidental str() never leaks the value
        return self.redaction

    def __repr__(self) -> str:
        return f"Sensitive({self.redaction!r})"
