"""Git queries on the deploying machine (version, clone builds, hook performer, lock owner)."""

from __future__ import annotations

from pykamal.commands.base import Command, cmd


def git(*args: str, path: str | None = None) -> Command:
    return cmd("git", ["-C", path] if path else None, *args)


def is_repository() -> Command:
    return git("rev-parse")


def revision() -> Command:
    return git("rev-parse", "HEAD")


def root() -> Command:
    return git("rev-parse", "--show-toplevel")


def uncommitted_changes() -> Command:
    return git("status", "--porcelain")


def uncommitted_files() -> Command:
    return git("ls-files", "--modified")


def untracked_files() -> Command:
    """Untracked files, including ignored ones."""
    return git("ls-files", "--others")


def user_name() -> Command:
    return git("config", "user.name")


def user_email() -> Command:
    return git("config", "user.email")
