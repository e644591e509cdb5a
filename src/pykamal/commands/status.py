"""The one remote command ``status`` sends to each host, and the parser of what it prints.

The probe reads everything in one round trip: the host's clock, the deploy lock's details, whether
Docker answers, every container (one ``docker inspect`` line each) and kamal-proxy's route table.
Each line it prints starts with ``@pykamal <key>``; everything else is ignored.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from pykamal.commands.base import MARK, Command, Raw, quote
from pykamal.commands.canary import marker_directory
from pykamal.commands.proxy import PROXY_CONTAINER
from pykamal.config.model import Config

SEPARATOR = "|"
INSPECT_FIELDS = (
    "{{.Id}}",
    "{{.Name}}",
    "{{.State.Status}}",
    "{{.State.StartedAt}}",
    "{{.Created}}",
    "{{.Config.Image}}",
    '{{index .Config.Labels "service"}}',
    '{{index .Config.Labels "destination"}}',
    '{{index .Config.Labels "role"}}',
)
INSPECT_FORMAT = f"{MARK} container " + SEPARATOR.join(INSPECT_FIELDS)


def probe(config: Config) -> Command:
    """One shell command: clock, lock, Docker's answer, every container, kamal-proxy's routes."""
    lock = quote(config.lock_directory)
    canary = quote(marker_directory(config))
    script = f"""\
echo "{MARK} now $(date +%s)"
for marker in {canary}/*; do [ -f "$marker" ] && echo "{MARK} canary ${{marker##*/}} $(cat "$marker")"; done
if [ -d {lock} ]; then echo "{MARK} lock $(tr -d '\\n' < {lock}/details 2>/dev/null)"; fi
if ! command -v docker >/dev/null 2>&1; then echo "{MARK} docker missing"
elif ! ids=$(docker ps -aq 2>&1); then echo "$ids" | sed 's/^/{MARK} docker error /'
else
  echo "{MARK} docker ok"
  if [ -n "$ids" ]; then
    found=$(docker inspect --format {quote(INSPECT_FORMAT)} $ids 2>/dev/null)
    echo "$found"
    case "$found" in *"{SEPARATOR}/{PROXY_CONTAINER}{SEPARATOR}running{SEPARATOR}"*)
      docker exec {PROXY_CONTAINER} kamal-proxy list 2>/dev/null | sed 's/^/{MARK} route /';;
    esac
  fi
fi"""
    return Command((Raw(script),))


# --- parsing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerFacts:
    id: str
    name: str
    state: str  # created, running, paused, restarting, removing, exited, dead
    started_at: str  # RFC 3339 as Docker writes it ("0001-01-01T00:00:00Z" when never started)
    created_at: str
    image: str
    service: str
    destination: str
    role: str


@dataclass(frozen=True)
class Route:
    """One service in kamal-proxy's table: its name, state (running/paused/stopped) and targets."""

    service: str
    host: str
    path: str
    targets: tuple[str, ...]  # "<container id>:<port>" as the deploy gave it
    state: str
    tls: bool


@dataclass
class HostFacts:
    """What the probe found on one host (raw facts; judging them is the flow's job)."""

    now: int | None = None
    docker: str = "unknown"  # ok | missing | error
    docker_error: str = ""
    containers: list[ContainerFacts] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    routes_read: bool = False
    lock_text: str | None = None  # decoded lock details, None when there is no lock
    canary: dict[str, str] = field(default_factory=dict)  # role -> version it runs as a canary


def parse(stdout: str) -> HostFacts:
    facts = HostFacts()
    route_lines: list[str] = []
    for line in stdout.splitlines():
        if not line.startswith(MARK + " "):
            continue
        key, _, rest = line[len(MARK) + 1 :].partition(" ")
        if key == "now" and rest.strip().isdigit():
            facts.now = int(rest.strip())
        elif key == "canary":
            role, _, version = rest.strip().partition(" ")
            if role and version:
                facts.canary[role] = version.strip()
        elif key == "lock":
            facts.lock_text = _decode_lock(rest.strip())
        elif key == "docker":
            verdict, _, detail = rest.partition(" ")
            facts.docker = verdict
            if verdict == "error" and detail.strip():
                facts.docker_error = detail.strip()
        elif key == "container":
            container = parse_container(rest)
            if container is not None:
                facts.containers.append(container)
        elif key == "route":
            route_lines.append(rest)
    if route_lines:
        facts.routes_read = True
        facts.routes = parse_routes(route_lines)
    return facts


def parse_container(text: str) -> ContainerFacts | None:
    parts = text.split(SEPARATOR)
    if len(parts) != len(INSPECT_FIELDS):
        return None
    cid, name, state, started, created, image, service, destination, role = (_value(p) for p in parts)
    return ContainerFacts(cid, name.lstrip("/"), state, started, created, image, service, destination, role)


def _value(text: str) -> str:
    """A field as Docker printed it; a label the container does not have prints ``<no value>``."""
    text = text.strip()
    return "" if text == "<no value>" else text


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
ROUTE_COLUMNS = ("Service", "Host", "Path", "Target", "State", "TLS")


def parse_routes(lines: list[str]) -> list[Route]:
    """kamal-proxy's ``list`` table: cells are padded to each column's width, so the header's
    word positions give every column (the Path cell is empty when the service has no prefix)."""
    plain = [_ANSI.sub("", line).rstrip() for line in lines]
    header_at = next((i for i, line in enumerate(plain) if line.split()[:1] == ["Service"]), None)
    if header_at is None:
        return []
    header = plain[header_at]
    starts = [header.find(name) for name in ROUTE_COLUMNS]
    if any(s < 0 for s in starts):
        return []
    routes = []
    for line in plain[header_at + 1 :]:
        if not line.strip():
            continue
        cells = [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
        service, host, path, target, state, tls = cells
        targets = tuple(t for t in target.split(",") if t)
        routes.append(Route(service, host, path, targets, state, tls == "yes"))
    return routes


def _decode_lock(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=False).decode("utf-8", "replace").strip()
    except ValueError:
        return text or None
