"""Errors raised by the sandbox: always one line that tells the user what to do next."""

from __future__ import annotations

from pykamal.errors import PykamalError


class SandboxError(PykamalError):
    """The sandbox could not be built, started, inspected or removed."""
