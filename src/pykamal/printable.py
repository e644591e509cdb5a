"""Text from outside (a host's output, a lock message, a config key) made safe to print.

A terminal acts on escape sequences wherever they appear, also in text that was only meant to be
read: an OSC sequence can retitle the window or plant a link, CSI can clear the screen or move the
cursor. Control characters are shown as Python escapes (``\\x1b``) instead; newlines and tabs stay.
"""

from __future__ import annotations

_KEEP = frozenset("\n\t")


def visible(text: str) -> str:
    """``text`` with every control or other non-printable character written as an escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch in _KEEP or ch.isprintable() else repr(ch)[1:-1] for ch in text)
