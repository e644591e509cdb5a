"""Who is deploying: the names Kamal writes into lock details and audit lines (read once per run)."""

from __future__ import annotations

import functools
import getpass
import subprocess


def _git_config(key: str) -> str | None:
    """``git config <key>`` stripped; None when git is not installed."""
    try:
        completed = subprocess.run(
            ["git", "config", key], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip()


@functools.cache
def git_user_name() -> str:
    """The lock holder's name: ``git config user.name`` ("Unknown" without git, as Kamal)."""
    name = _git_config("user.name")
    return "Unknown" if name is None else name


@functools.cache
def performer() -> str:
    """The audit log's performer: ``git config user.email``, else the login name."""
    email = _git_config("user.email")
    if email:
        return email
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
