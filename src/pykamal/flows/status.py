"""``pykamal status``: what runs where, from one probe per host, and where the fleet has drifted.

``gather`` sends the probe to every selected host at once; a host that cannot be reached gives its
reason instead of facts. ``assess`` (pure) turns the facts into a ``FleetStatus``: rows per role and
host, accessories, kamal-proxy per host, the deploy lock and the list of drift found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pykamal.commands import status as probe_commands
from pykamal.commands.proxy import MINIMUM_VERSION, is_older_version
from pykamal.commands.status import ContainerFacts, HostFacts, Route

if TYPE_CHECKING:
    from pykamal.config.model import Accessory, Config, Role
    from pykamal.flows.context import Run

SCHEMA_VERSION = 1
PROBE_TIMEOUT = 30.0
ACTIVE = ("running", "restarting")
REPLACED_MARK = "_replaced_"
PROXY_CONTAINER = "kamal-proxy"


@dataclass(frozen=True)
class ProxyRoute:
    service: str
    state: str  # kamal-proxy's state of the service: running, paused, stopped ("" when no route)
    target: str | None  # name of the container routed to (its id when no such container exists)
    target_state: str | None  # that container's state; None when it does not exist
    routes_to_current: bool


@dataclass(frozen=True)
class RoleRow:
    role: str
    host: str
    reachable: bool
    container: str | None = None
    version: str | None = None
    state: str | None = None  # the container's state, None when the role has no container there
    uptime: float | None = None  # seconds since the container started, when running
    proxy: ProxyRoute | None = None  # None for roles without the proxy
    other_versions: tuple[str, ...] = ()  # newest first: what rollback can go back to
    replaced: tuple[str, ...] = ()  # leftover ``_replaced_`` containers
    problem: str | None = None  # why nothing is known (unreachable host, Docker down)
    canary: bool = False  # the version runs here as a canary (the rest of the fleet not yet on it)


@dataclass(frozen=True)
class AccessoryRow:
    accessory: str
    host: str
    reachable: bool
    container: str
    state: str | None = None
    image: str | None = None
    uptime: float | None = None
    problem: str | None = None


@dataclass(frozen=True)
class HostRow:
    host: str
    reachable: bool
    error: str | None = None
    docker: str | None = None  # ok | missing | error
    proxy_state: str | None = None
    proxy_image: str | None = None
    proxy_version: str | None = None
    clock: int | None = None  # the host's clock, seconds since the epoch


@dataclass(frozen=True)
class LockView:
    host: str
    locked_by: str | None
    locked_at: datetime | None
    age: float | None
    version: str | None
    message: str | None


@dataclass(frozen=True)
class Drift:
    kind: str
    message: str
    host: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class FleetStatus:
    service: str
    destination: str | None
    checked_at: datetime
    hosts: tuple[HostRow, ...]
    roles: tuple[RoleRow, ...]
    accessories: tuple[AccessoryRow, ...]
    lock: LockView | None
    drift: tuple[Drift, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.drift

    def drift_for(self, host: str, role: str | None = None) -> list[Drift]:
        return [d for d in self.drift if d.host == host and (role is None or d.role in (None, role))]

    def to_json(self) -> dict[str, Any]:
        return status_json(self)


# --- gathering ----------------------------------------------------------------------------------

Probed = HostFacts | str  # the facts, or why the host could not be probed


async def gather(run: Run, hosts: Sequence[str]) -> dict[str, Probed]:
    """Every host's probe at once; each unreachable host gives the reason instead of facts."""
    from pykamal.remote.executor import run_on
    from pykamal.remote.result import describe_failure

    command = probe_commands.probe(run.config)

    async def one(host: str) -> Probed:
        try:
            result = await run.executor.run(
                host, command, check=False, log_level="debug", timeout=PROBE_TIMEOUT
            )
        except Exception as exc:  # any failure becomes that host's row; the others still show
            return describe_failure(exc)
        facts = probe_commands.parse(result.stdout)
        if facts.now is None:
            detail = (result.stderr or result.stdout).strip().splitlines()
            return f"the status probe failed (exit {result.exit_status}){': ' + detail[-1] if detail else ''}"
        return facts

    return await run_on(hosts, one)


async def status(run: Run) -> FleetStatus:
    await run.pre_connect()
    selection = run.selection
    hosts = list(selection.hosts)
    probed = await gather(run, hosts)
    accessories = [a for a in run.config.accessories if set(a.hosts) & set(hosts)]
    return assess(
        run.config,
        roles=selection.roles,
        hosts=hosts,
        proxy_hosts=selection.proxy_hosts,
        accessories=accessories,
        probed=probed,
        now=datetime.now(UTC),
    )


# --- judging ------------------------------------------------------------------------------------


def assess(
    config: Config,
    *,
    roles: Sequence[Role],
    hosts: Sequence[str],
    proxy_hosts: Sequence[str],
    accessories: Sequence[Accessory],
    probed: Mapping[str, Probed],
    now: datetime,
) -> FleetStatus:
    drift: list[Drift] = []
    host_rows = [
        _host_row(host, probed.get(host, "not probed"), host in proxy_hosts, drift) for host in hosts
    ]
    role_rows: list[RoleRow] = []
    for role in roles:
        rows = [
            _role_row(config, role, host, probed.get(host, "not probed"), drift)
            for host in hosts
            if host in role.hosts
        ]
        role_rows.extend(rows)
        _check_versions_agree(role, rows, drift)
    accessory_rows = [
        _accessory_row(accessory, host, probed.get(host, "not probed"))
        for accessory in accessories
        for host in accessory.hosts
        if host in hosts
    ]
    return FleetStatus(
        service=config.service,
        destination=config.destination,
        checked_at=now,
        hosts=tuple(host_rows),
        roles=tuple(role_rows),
        accessories=tuple(accessory_rows),
        lock=_lock(probed, hosts, now),
        drift=tuple(drift),
    )


def _host_row(host: str, probed: Probed, runs_proxy: bool, drift: list[Drift]) -> HostRow:
    if isinstance(probed, str):
        drift.append(Drift("unreachable", f"{host} cannot be reached: {probed}", host=host))
        return HostRow(host, False, error=probed)
    if probed.docker != "ok":
        reason = docker_problem(probed)
        drift.append(Drift("docker", f"{host}: {reason}", host=host))
        return HostRow(host, True, error=reason, docker=probed.docker, clock=probed.now)
    proxy = _named(probed, PROXY_CONTAINER)
    version = proxy.image.rsplit(":", 1)[1] if proxy is not None and ":" in proxy.image else None
    if runs_proxy:
        if proxy is None:
            drift.append(Drift("proxy_missing", f"{host}: no kamal-proxy container", host=host))
        elif proxy.state not in ACTIVE:
            drift.append(Drift("proxy_stopped", f"{host}: kamal-proxy is {proxy.state}", host=host))
    if version and version.startswith("v") and is_older_version(version, MINIMUM_VERSION):
        drift.append(
            Drift(
                "proxy_outdated", f"{host}: kamal-proxy {version} is older than {MINIMUM_VERSION}", host=host
            )
        )
    return HostRow(
        host,
        True,
        docker="ok",
        proxy_state=proxy.state if proxy else None,
        proxy_image=proxy.image if proxy else None,
        proxy_version=version,
        clock=probed.now,
    )


def docker_problem(facts: HostFacts) -> str:
    if facts.docker == "missing":
        return "Docker is not installed"
    return f"Docker does not answer: {facts.docker_error or 'unknown error'}"


def _role_row(config: Config, role: Role, host: str, probed: Probed, drift: list[Drift]) -> RoleRow:
    if isinstance(probed, str):
        return RoleRow(role.name, host, False, problem=f"unreachable: {probed}")
    if probed.docker != "ok":
        return RoleRow(role.name, host, True, problem=docker_problem(probed))
    prefix = f"{role.container_prefix}-"
    mine = [
        c
        for c in probed.containers
        if c.service == config.service
        and c.destination == (config.destination or "")
        and c.role == role.name
        and c.name.startswith(prefix)
    ]
    replaced = tuple(c.name for c in mine if REPLACED_MARK in c.name)
    versions = sorted(
        (c for c in mine if REPLACED_MARK not in c.name), key=lambda c: c.created_at, reverse=True
    )
    route = _route_for(probed.routes, role.container_prefix) if role.running_proxy else None
    current = _current(versions, route)
    # A stopped one is what a redeploy or rollback of a version still on the host leaves (Kamal
    # too, until prune); one still running means a deploy was cut off between rename and stop.
    still_running = [c.name for c in mine if REPLACED_MARK in c.name and c.state in ACTIVE]
    if still_running:
        drift.append(
            Drift(
                "replaced_leftover",
                f"{host}: {', '.join(still_running)} still running",
                host=host,
                role=role.name,
            )
        )
    proxy = _proxy_route(role, route, probed, current) if role.running_proxy and probed.routes_read else None
    if role.running_proxy and _named(probed, PROXY_CONTAINER) is not None:
        _check_routing(role, host, route, versions, probed, drift)
    elif not role.running_proxy:
        running = [c for c in versions if c.state in ACTIVE]
        if len(running) > 1:
            names = ", ".join(c.name for c in running)
            drift.append(
                Drift(
                    "extra_running",
                    f"{host}: {len(running)} {role.name} containers running ({names})",
                    host=host,
                    role=role.name,
                )
            )
    if current is None or current.state not in ACTIVE:
        what = f"{current.name} is {current.state}" if current is not None else "no container"
        drift.append(
            Drift("not_running", f"{host}: {role.name} is not running ({what})", host=host, role=role.name)
        )
    return RoleRow(
        role.name,
        host,
        True,
        container=current.name if current else None,
        version=current.name[len(prefix) :] if current else None,
        state=current.state if current else None,
        uptime=_uptime(current, probed.now),
        proxy=proxy,
        other_versions=tuple(c.name[len(prefix) :] for c in versions if c is not current),
        replaced=replaced,
        canary=current is not None and probed.canary.get(role.name) == current.name[len(prefix) :],
    )


def _current(versions: list[ContainerFacts], route: Route | None) -> ContainerFacts | None:
    """The container routed to, else the newest running one, else the newest one."""
    if route is not None:
        routed = [c for c in versions if _targets(route, c)]
        if routed:
            return routed[0]
    running = [c for c in versions if c.state in ACTIVE]
    if running:
        return max(running, key=lambda c: c.started_at)
    return versions[0] if versions else None


def _check_routing(
    role: Role,
    host: str,
    route: Route | None,
    versions: list[ContainerFacts],
    probed: HostFacts,
    drift: list[Drift],
) -> None:
    running = [c for c in versions if c.state in ACTIVE]
    if not probed.routes_read:
        return
    if route is None:
        if running:
            drift.append(
                Drift(
                    "unrouted",
                    f"{host}: kamal-proxy has no route for {role.container_prefix}, "
                    f"yet {running[0].name} is running",
                    host=host,
                    role=role.name,
                )
            )
        return
    for container in running:
        if not _targets(route, container):
            drift.append(
                Drift(
                    "unrouted",
                    f"{host}: {container.name} is running but kamal-proxy does not route to it",
                    host=host,
                    role=role.name,
                )
            )
    for target in route.targets:
        routed = _container_for_target(probed.containers, target)
        if routed is None or routed.state not in ACTIVE:
            what = f"{routed.name}, which is {routed.state}" if routed else f"{target}, which does not exist"
            drift.append(
                Drift("routes_to_stopped", f"{host}: kamal-proxy routes to {what}", host=host, role=role.name)
            )


def _proxy_route(
    role: Role, route: Route | None, probed: HostFacts, current: ContainerFacts | None
) -> ProxyRoute:
    if route is None or not route.targets:
        return ProxyRoute(role.container_prefix, route.state if route else "", None, None, False)
    routed = _container_for_target(probed.containers, route.targets[0])
    return ProxyRoute(
        route.service,
        route.state,
        routed.name if routed else route.targets[0].rsplit(":", 1)[0],
        routed.state if routed else None,
        routed is not None and routed is current and routed.state in ACTIVE,
    )


def _route_for(routes: Sequence[Route], service: str) -> Route | None:
    return next((r for r in routes if r.service == service), None)


def _target_id(target: str) -> str:
    return target.rsplit(":", 1)[0] if ":" in target else target


def _targets(route: Route, container: ContainerFacts) -> bool:
    return any(_matches(_target_id(t), container) for t in route.targets)


def _container_for_target(containers: Sequence[ContainerFacts], target: str) -> ContainerFacts | None:
    ident = _target_id(target)
    return next((c for c in containers if _matches(ident, c)), None)


def _matches(ident: str, container: ContainerFacts) -> bool:
    return bool(ident) and (container.id.startswith(ident) or container.name == ident)


def _check_versions_agree(role: Role, rows: list[RoleRow], drift: list[Drift]) -> None:
    active = [row for row in rows if row.version is not None and row.state in ACTIVE]
    if len({row.version for row in active}) > 1:
        listed = ", ".join(
            f"{row.host} runs {row.version}{' (canary)' if row.canary else ''}" for row in active
        )
        drift.append(
            Drift("versions_differ", f"{role.name}: hosts run different versions ({listed})", role=role.name)
        )


def _accessory_row(accessory: Accessory, host: str, probed: Probed) -> AccessoryRow:
    if isinstance(probed, str):
        return AccessoryRow(accessory.name, host, False, accessory.service, problem=f"unreachable: {probed}")
    if probed.docker != "ok":
        return AccessoryRow(accessory.name, host, True, accessory.service, problem=docker_problem(probed))
    container = _named(probed, accessory.service)
    if container is None:
        return AccessoryRow(accessory.name, host, True, accessory.service, image=accessory.image)
    return AccessoryRow(
        accessory.name,
        host,
        True,
        accessory.service,
        state=container.state,
        image=container.image,
        uptime=_uptime(container, probed.now),
    )


def _named(facts: HostFacts, name: str) -> ContainerFacts | None:
    return next((c for c in facts.containers if c.name == name), None)


def _uptime(container: ContainerFacts | None, now: int | None) -> float | None:
    if container is None or container.state not in ACTIVE or now is None:
        return None
    started = parse_time(container.started_at)
    if started is None:
        return None
    return max(0.0, now - started.timestamp())


def parse_time(text: str) -> datetime | None:
    """Docker's RFC 3339 times with nanoseconds (Python reads at most microseconds)."""
    text = text.strip()
    if not text or text.startswith("0001-"):
        return None
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _lock(probed: Mapping[str, Probed], hosts: Sequence[str], now: datetime) -> LockView | None:
    from pykamal.commands.lock import parse_details

    for host in hosts:
        facts = probed.get(host)
        if isinstance(facts, HostFacts) and facts.lock_text is not None:
            details = parse_details(facts.lock_text)
            return LockView(
                host, details.locked_by, details.locked_at, details.age(now), details.version, details.message
            )
    return None


# --- the JSON form (documented in docs/status.md; add fields, never rename or remove) -------------


def status_json(fleet: FleetStatus) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "service": fleet.service,
        "destination": fleet.destination,
        "checked_at": _iso(fleet.checked_at),
        "ok": fleet.ok,
        "hosts": [
            {
                "host": h.host,
                "reachable": h.reachable,
                "error": h.error,
                "docker": h.docker,
                "proxy": None
                if h.proxy_state is None
                else {"state": h.proxy_state, "image": h.proxy_image, "version": h.proxy_version},
            }
            for h in fleet.hosts
        ],
        "roles": [
            {
                "role": r.role,
                "host": r.host,
                "reachable": r.reachable,
                "problem": r.problem,
                "container": r.container,
                "version": r.version,
                "state": r.state,
                "uptime_seconds": _seconds(r.uptime),
                "proxy": None
                if r.proxy is None
                else {
                    "service": r.proxy.service,
                    "state": r.proxy.state or None,
                    "target": r.proxy.target,
                    "target_state": r.proxy.target_state,
                    "routes_to_current": r.proxy.routes_to_current,
                },
                "other_versions": list(r.other_versions),
                "replaced": list(r.replaced),
                "canary": r.canary,
            }
            for r in fleet.roles
        ],
        "accessories": [
            {
                "accessory": a.accessory,
                "host": a.host,
                "reachable": a.reachable,
                "problem": a.problem,
                "container": a.container,
                "state": a.state,
                "image": a.image,
                "uptime_seconds": _seconds(a.uptime),
            }
            for a in fleet.accessories
        ],
        "lock": None
        if fleet.lock is None
        else {
            "host": fleet.lock.host,
            "locked_by": fleet.lock.locked_by,
            "locked_at": _iso(fleet.lock.locked_at) if fleet.lock.locked_at else None,
            "age_seconds": _seconds(fleet.lock.age),
            "version": fleet.lock.version,
            "message": fleet.lock.message,
        },
        "drift": [
            {"kind": d.kind, "host": d.host, "role": d.role, "message": d.message} for d in fleet.drift
        ],
    }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)
