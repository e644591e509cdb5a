"""Canary rollouts: read kamal-proxy's request log for the new container, and mark canary hosts.

kamal-proxy logs one JSON line per request (``"msg":"Request"``) with its ``status``, ``path`` and
``target``, the ``<container id>:<port>`` the deploy gave it. The read filters on the new
container's id on the host, so only that container's requests come back.

A host on a canary version carries a marker file, ``<apps dir>/canary/<role>``, holding the
version; it goes when the rest of the fleet follows or the canary is switched back. Kamal leaves
files it does not know alone, so both tools keep working on the host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pykamal.commands.app import container_name
from pykamal.commands.app_proxy import PROXY_CONTAINER
from pykamal.commands.base import MARK, Command, Raw, cmd, combine, quote
from pykamal.config.model import Config, Role

TARGET_KEY = "canary-target"
NOW_KEY = "canary-now"
SINCE_OVERLAP = 2  # seconds read again on the next poll (lines are told apart by their text)


def request_log(config: Config, role: Role, since: int | None) -> Command:
    """The host's clock, the new container's short id, then kamal-proxy's request lines for it.

    ``since`` (the host's clock, seconds): read from there on; None reads from the container's
    creation.
    """
    name = quote(container_name(config, role))
    start = f"{since}" if since is not None else '"$created"'
    script = (
        f'echo "{MARK} {NOW_KEY} $(date +%s)"; '
        f"set -- $(docker inspect --format '{{{{.Id}}}} {{{{.Created}}}}' {name} 2>/dev/null); "
        'id=$(printf %.12s "$1"); created=$2; '
        f'echo "{MARK} {TARGET_KEY} $id"; '
        f'[ -n "$id" ] && docker logs {PROXY_CONTAINER} --since {start} 2>&1 '
        f'| grep -F \'"msg":"Request"\' | grep -F "\\"target\\":\\"$id:" || true'
    )
    return cmd(Raw(script))


@dataclass(frozen=True)
class Request:
    status: int
    path: str
    line: str  # the log line as read (tells repeated reads of one request apart)


@dataclass(frozen=True)
class LogRead:
    now: int | None
    target: str  # the new container's short id ("" when it is gone)
    requests: tuple[Request, ...]


def parse_request_log(stdout: str) -> LogRead:
    """The output of ``request_log``; lines that are not a request of the target are skipped."""
    now: int | None = None
    target = ""
    requests: list[Request] = []
    for line in stdout.splitlines():
        if line.startswith(f"{MARK} {NOW_KEY} "):
            value = line.split()[-1]
            now = int(value) if value.isdigit() else None
        elif line.startswith(f"{MARK} {TARGET_KEY}"):
            target = line[len(f"{MARK} {TARGET_KEY}") :].strip()
        else:
            request = _request(line, target)
            if request is not None:
                requests.append(request)
    return LogRead(now, target, tuple(requests))


def _request(line: str, target: str) -> Request | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("msg") != "Request" or not target:
        return None
    if not str(entry.get("target", "")).startswith(f"{target}:"):
        return None
    status = entry.get("status")
    if not isinstance(status, int):
        return None
    return Request(status, str(entry.get("path", "")), line)


def marker_directory(config: Config) -> str:
    return f"{config.apps_directory}/canary"


def marker_path(config: Config, role: Role) -> str:
    return f"{marker_directory(config)}/{role.name}"


def mark(config: Config, role: Role) -> Command:
    """Record that the host runs ``config.version`` of the role as a canary."""
    path = marker_path(config, role)
    return combine(
        cmd("mkdir", "-p", marker_directory(config)),
        cmd("echo", config.version, Raw(">"), path),
    )


def unmark(config: Config, roles: tuple[Role, ...] | list[Role]) -> Command:
    return cmd("rm", "-f", *(marker_path(config, role) for role in roles))
