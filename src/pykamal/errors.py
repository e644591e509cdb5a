"""Exceptions that the CLI turns into one-line messages and a non-zero exit."""

from __future__ import annotations


class PykamalError(Exception):
    """Base for every error meant for the user: printed as one line, never as a traceback."""

    exit_code = 1


class ConfigError(PykamalError):
    """Invalid or missing configuration; the message names the file and/or key path."""


class SecretsError(PykamalError):
    """A secret could not be read, substituted or fetched."""


class RemoteError(PykamalError):
    """A command failed (or timed out) on one or more hosts."""


class LockError(PykamalError):
    """The deploy lock is held by someone else, or could not be taken or released."""


class HookError(PykamalError):
    """A local hook exited non-zero."""


class UsageError(PykamalError):
    """Bad command-line arguments (unknown host/role filter, conflicting flags, …)."""

    exit_code = 2
