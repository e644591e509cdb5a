"""Results of remote commands and the errors raised for one host or for a fan-out over many."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pykamal.errors import RemoteError


@dataclass(frozen=True)
class Result:
    host: str
    command: str  # as displayed (secrets redacted)
    exit_status: int
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class HostError(RemoteError):
    """Something failed on one host. ``reason`` is the message without the host name."""

    def __init__(self, host: str, reason: str, message: str | None = None) -> None:
        self.host = host
        self.reason = reason
        super().__init__(message or f"{reason} (on {host})")


class ConnectError(HostError):
    """Could not connect, authenticate, or verify the host key."""


class CommandFailed(HostError):
    """A command exited non-zero."""

    def __init__(self, result: Result, redact: Callable[[str], str] | None = None) -> None:
        """``redact`` masks secrets the command may have echoed into the message."""
        self.result = result
        detail = _last_line(result.stderr) or _last_line(result.stdout)
        if redact is not None:
            detail = redact(detail)
        reason = f"`{result.command}` failed with exit status {result.exit_status}"
        if detail:
            reason += f": {detail}"
        message = f"`{result.command}` failed on {result.host} with exit status {result.exit_status}"
        if detail:
            message += f": {detail}"
        if docker_missing(result):
            reason += f"; {DOCKER_MISSING_FIX}"
            message += f"; {DOCKER_MISSING_FIX}"
        super().__init__(result.host, reason, message)


class CommandTimeout(HostError):
    def __init__(self, host: str, display: str, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            host,
            f"timed out after {seconds:g} s running `{display}`",
            f"timed out after {seconds:g} s on {host} running `{display}`",
        )


class FanOutError(RemoteError):
    """Failures on some hosts of a parallel run; the other hosts' results are kept."""

    def __init__(self, failures: Mapping[str, BaseException], results: Mapping[str, Any], total: int) -> None:
        self.failures = dict(failures)
        self.results = dict(results)
        self.total = total
        if total == 1 and len(self.failures) == 1:
            message = str(next(iter(self.failures.values())))
        else:
            parts = [f"{host}: {describe_failure(exc)}" for host, exc in self.failures.items()]
            message = f"failed on {len(self.failures)} of {total} hosts: " + "; ".join(parts)
        super().__init__(message)

    @property
    def only_failure(self) -> BaseException | None:
        return next(iter(self.failures.values())) if len(self.failures) == 1 else None


DOCKER_MISSING_FIX = "Docker is not installed on this host: run `pykamal server bootstrap`"


def docker_missing(result: Result) -> bool:
    text = f"{result.stderr}\n{result.stdout}"
    return result.exit_status in (81, 127) and "docker" in text and "not found" in text


def describe_failure(exc: BaseException) -> str:
    """A host-less description of one host's failure."""
    if isinstance(exc, HostError):
        return exc.reason
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _last_line(text: str, limit: int = 300) -> str:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""
