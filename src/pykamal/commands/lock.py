"""The deploy lock on the primary host, in Kamal's on-host format so both tools see each other's lock.

The lock is a directory ``.kamal/lock-<service>[-<destination>]`` (``mkdir`` is atomic, so only one
acquirer wins) holding a ``details`` file: three lines (who and when, version, message), base64
encoded with 60-character lines as Ruby's ``Base64.encode64`` writes them.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pykamal.commands.base import Command, Raw, cmd, combine, pipe
from pykamal.config.model import Config

AUTOMATIC_MESSAGE = "Automatic deploy lock"


def lock_dir(config: Config) -> str:
    return config.lock_directory


def details_file(config: Config) -> str:
    return f"{lock_dir(config)}/details"


def details_text(locked_by: str, version: str, message: str, at: datetime) -> str:
    return f"Locked by: {locked_by} at {iso8601(at)}\nVersion: {version}\nMessage: {message}"


def encode_details(text: str) -> str:
    """Base64 with a newline after every 60 characters and at the end (Ruby's ``encode64``)."""
    flat = base64.b64encode(text.encode()).decode()
    return "".join(flat[i : i + 60] + "\n" for i in range(0, len(flat), 60))


def acquire(config: Config, message: str, version: str, locked_by: str, at: datetime) -> Command:
    """``mkdir <dir> && echo "<base64>" > <dir>/details`` (fails with "cannot create directory" if held)."""
    encoded = encode_details(details_text(locked_by, version, message, at))
    return combine(
        cmd("mkdir", lock_dir(config)),
        cmd("echo", Raw(f'"{encoded}"'), Raw(">"), details_file(config)),
    )


def release(config: Config) -> Command:
    return combine(cmd("rm", details_file(config)), cmd("rm", "-r", lock_dir(config)))


def status(config: Config) -> Command:
    """Decoded details; fails with "No such file or directory" when there is no lock."""
    return combine(
        cmd("stat", lock_dir(config), Raw(">"), "/dev/null"),
        pipe(cmd("cat", details_file(config)), cmd("base64", "-d")),
    )


def iso8601(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LockDetails:
    text: str
    locked_by: str | None
    locked_at: datetime | None
    version: str | None
    message: str | None

    def age(self, now: datetime) -> float | None:
        if self.locked_at is None:
            return None
        return max(0.0, (now - self.locked_at).total_seconds())


_LOCKED_BY = re.compile(
    r"^Locked by: (?P<who>.*) at (?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))\s*$"
)


def parse_details(text: str) -> LockDetails:
    """Read the decoded details text (as written by Kamal or pykamal)."""
    who = at = version = message = None
    for line in text.splitlines():
        match = _LOCKED_BY.match(line)
        if match:
            who = match["who"]
            stamp = match["at"].replace("Z", "+00:00")
            try:
                at = datetime.fromisoformat(stamp)
            except ValueError:
                at = None
        elif line.startswith("Version: "):
            version = line[len("Version: ") :]
        elif line.startswith("Message: "):
            message = line[len("Message: ") :]
    return LockDetails(text.strip(), who, at, version, message)
