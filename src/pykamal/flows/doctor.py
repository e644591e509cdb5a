"""``pykamal doctor``: preflight checks on this machine, on every host (one probe each, all at once)
and in DNS, each with a verdict and, when it fails, what to do about it.

``local_checks`` looks at the configuration, the secrets it names, Docker and buildx here (only when
a deploy would build) and git. ``host_checks`` connects to every host, sends the probe and judges
what it prints (``judge_host``, pure). ``dns_checks`` resolves each proxy host name and compares
the answer with the addresses of the role's hosts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pykamal.commands import doctor as probe_commands
from pykamal.commands.doctor import DoctorFacts, RegistryLogin
from pykamal.commands.proxy import MINIMUM_VERSION, is_older_version

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.flows.context import Run

SCHEMA_VERSION = 1
PROBE_TIMEOUT = 60.0
DNS_TIMEOUT = 5.0
OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
GIB = 1024 * 1024  # in KiB, as df reports
DISK_FAIL_KIB = 1 * GIB  # less free than this: an image pull may not fit
DISK_WARN_KIB = 5 * GIB
DISK_WARN_USED = 0.90
CLOCK_WARN_SECONDS = 5
CLOCK_FAIL_SECONDS = 60  # registry tokens and TLS start failing around here


@dataclass(frozen=True)
class Check:
    scope: str  # local | host | dns
    target: str | None  # the host or host name checked; None for local checks
    name: str
    verdict: str  # ok | warn | fail | skip
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class DoctorReport:
    service: str | None
    checked_at: datetime
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return not any(c.verdict == FAIL for c in self.checks)

    def count(self, verdict: str) -> int:
        return sum(1 for c in self.checks if c.verdict == verdict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "service": self.service,
            "checked_at": self.checked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ok": self.ok,
            "summary": {v: self.count(v) for v in (OK, WARN, FAIL, SKIP)},
            "checks": [
                {
                    "scope": c.scope,
                    "target": c.target,
                    "check": c.name,
                    "verdict": c.verdict,
                    "detail": c.detail,
                    "fix": c.fix,
                }
                for c in self.checks
            ],
        }


def config_failed(message: str) -> DoctorReport:
    """The report when the configuration does not load: nothing else can be checked."""
    check = Check(
        "local",
        None,
        "config",
        FAIL,
        message,
        "fix the file and key named above (`pykamal docs` describes every key)",
    )
    return DoctorReport(None, datetime.now(UTC), (check,))


async def doctor(run: Run, *, skip_push: bool = False) -> DoctorReport:
    await run.pre_connect()
    local, hosts, dns = await asyncio.gather(
        local_checks(run, skip_push=skip_push), host_checks(run), dns_checks(run)
    )
    return DoctorReport(run.config.service, datetime.now(UTC), (*local, *hosts, *dns))


# --- local ----------------------------------------------------------------------------------------


async def local_checks(run: Run, *, skip_push: bool) -> list[Check]:
    config = run.config
    roles = ", ".join(r.name for r in config.roles)
    checks = [
        Check("local", None, "config", OK, f"{config.config_file}: {config.service}, roles {roles}"),
        secrets_check(config),
    ]
    checks.extend(await docker_checks(run, skip_push=skip_push))
    checks.append(await git_check(run))
    return checks


def referenced_secrets(config: Config) -> dict[str, str]:
    """Every secret name the configuration refers to, with where (the first place) it is used."""
    from pykamal.config.model import SecretRef

    found: dict[str, str] = {}

    def add(name: str | None, where: str) -> None:
        if name:
            found.setdefault(name, where)

    for key in ("username", "password"):
        value = getattr(config.registry, key)
        if isinstance(value, SecretRef):
            add(value.name, f"registry/{key}")
    for _, secret in config.env.secret_keys:
        add(secret, "env/secret")
    for role in config.roles:
        for _, secret in role.env.secret_keys:
            add(secret, f"servers/{role.name}/env/secret")
        if role.proxy is not None:
            add(role.proxy.ssl_certificate_pem_secret, f"servers/{role.name}/proxy/ssl")
            add(role.proxy.ssl_private_key_pem_secret, f"servers/{role.name}/proxy/ssl")
    for tag, env in config.env_tags:
        for _, secret in env.secret_keys:
            add(secret, f"env/tags/{tag}")
    for accessory in config.accessories:
        for _, secret in accessory.env.secret_keys:
            add(secret, f"accessories/{accessory.name}/env/secret")
    for secret in config.builder.secrets:
        add(secret, "builder/secrets")
    return found


def secrets_check(config: Config) -> Check:
    from pykamal.errors import PykamalError

    needed = referenced_secrets(config)
    store = config.secrets
    files = ", ".join(store.files) or "no secrets file"
    try:
        missing = [name for name in needed if not store.present(name)]
    except PykamalError as exc:
        return Check(
            "local",
            None,
            "secrets",
            FAIL,
            str(exc),
            f"fix {store.candidate_files[1]} (or the command it runs)",
        )
    if missing:
        where = "; ".join(f"{name} ({needed[name]})" for name in missing)
        return Check(
            "local",
            None,
            "secrets",
            FAIL,
            f"not set in {files}: {where}",
            f"add {', '.join(missing)} to {store.candidate_files[1]}",
        )
    return Check(
        "local", None, "secrets", OK, f"{len(needed)} secret(s) named in the config, all set ({files})"
    )


async def docker_checks(run: Run, *, skip_push: bool) -> list[Check]:
    """Docker and buildx here, when a deploy would build: not with ``--skip-push`` (the image was
    built elsewhere). A remote builder still needs the client and buildx here, not the daemon."""
    from pykamal.commands import docker
    from pykamal.flows.local import LOCALHOST, local_executor

    if skip_push:
        reason = "not needed: deploys will run with --skip-push"
        return [Check("local", None, "docker", SKIP, reason), Check("local", None, "buildx", SKIP, reason)]
    local = local_executor(run)
    builder = run.config.builder

    async def attempt(command: Any) -> Any:
        from pykamal.remote.result import HostError

        try:
            return await local.run(LOCALHOST, command, check=False, log_level="debug")
        except HostError:
            return None

    client = await attempt(docker.local_docker_version())
    if client is None or not client.ok:
        fix = "install Docker (https://docs.docker.com/engine/install/), or deploy with --skip-push"
        return [
            Check("local", None, "docker", FAIL, "the docker command is not installed here", fix),
            Check("local", None, "buildx", SKIP, "needs docker"),
        ]
    version = client.stdout.strip()
    checks = []
    if builder.remote:
        checks.append(Check("local", None, "docker", OK, f"{version}; builds run on {builder.remote}"))
    else:
        daemon = await attempt(probe_commands.local_server_version())
        if daemon is None or not daemon.ok:
            detail = (daemon.stderr or daemon.stdout).strip().splitlines()[-1:] if daemon else []
            checks.append(
                Check(
                    "local",
                    None,
                    "docker",
                    FAIL,
                    "the local Docker daemon does not answer" + (f": {detail[0]}" if detail else ""),
                    "start Docker here, set builder/remote, or deploy with --skip-push",
                )
            )
        else:
            checks.append(Check("local", None, "docker", OK, f"{version}; daemon {daemon.stdout.strip()}"))
    buildx = await attempt(docker.local_buildx_version())
    if buildx is not None and buildx.ok:
        checks.append(Check("local", None, "buildx", OK, buildx.stdout.strip().splitlines()[0]))
    elif builder.remote or len(builder.arches) > 1:
        why = f"remote builder {builder.remote}" if builder.remote else "a multi-platform build"
        checks.append(
            Check("local", None, "buildx", FAIL, f"not installed; {why} needs it", "install docker-buildx")
        )
    else:
        checks.append(
            Check(
                "local",
                None,
                "buildx",
                WARN,
                "not installed; builds fall back to `docker build`",
                "install docker-buildx",
            )
        )
    return checks


async def git_check(run: Run) -> Check:
    from pykamal.commands import git
    from pykamal.flows.local import LOCALHOST, local_executor

    config = run.config
    if config.declared_version:
        return Check("local", None, "git", OK, f"version {config.declared_version} given (--version)")
    local = local_executor(run)
    head = await local.run(LOCALHOST, git.revision(), check=False, log_level="debug")
    if not head.ok:
        return Check(
            "local",
            None,
            "git",
            FAIL,
            "not a git repository: the version is the commit of HEAD",
            "commit the project to git, or pass --version (or set VERSION)",
        )
    sha = head.stdout.strip()
    dirty = await local.run(LOCALHOST, git.uncommitted_changes(), check=False, log_level="debug")
    changed = len(dirty.stdout.splitlines())
    if not changed:
        return Check("local", None, "git", OK, f"version {sha[:12]} (clean working tree)")
    if config.builder.context is None:
        return Check(
            "local",
            None,
            "git",
            WARN,
            f"{changed} uncommitted change(s) are not deployed: images build from a clone of {sha[:12]}",
            "commit the changes to deploy them",
        )
    return Check(
        "local",
        None,
        "git",
        WARN,
        f"{changed} uncommitted change(s): the version will be {sha[:12]}_uncommitted_<random>",
        "commit the changes for a reproducible version",
    )


# --- hosts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostPlan:
    """What to judge on one host."""

    host: str
    user: str
    runs_proxy: bool
    ports: tuple[int, ...]
    registry: str
    login_ready: bool  # the registry credentials could be read
    local_registry: bool


async def host_checks(run: Run) -> list[Check]:
    from pykamal.remote.executor import run_on
    from pykamal.remote.result import describe_failure

    config = run.config
    login, login_problem = _registry_login(config)
    command = probe_commands.probe(login)
    plans = {host: _plan(config, run, host, login is not None) for host in run.selection.hosts}
    connect = getattr(run.executor, "connection", None)
    key_status = getattr(run.executor, "host_key_status", None)

    async def one(host: str) -> list[Check]:
        started = time.monotonic()
        try:
            if connect is not None:
                await connect(host)
            connected = time.monotonic() - started
            before = time.time()
            result = await run.executor.run(
                host, command, check=False, log_level="debug", timeout=PROBE_TIMEOUT
            )
            after = time.time()
        except Exception as exc:  # the host's row says why; the other hosts still show
            return [ssh_failure(host, describe_failure(exc), plans[host].user)]
        facts = probe_commands.parse(result.stdout)
        if facts.now is None:
            lines = (result.stderr or result.stdout).strip().splitlines()
            detail = f"the probe failed (exit {result.exit_status})" + (f": {lines[-1]}" if lines else "")
            return [
                Check("host", host, "ssh", FAIL, detail, "run `pykamal server exec -h HOST true` to see why")
            ]
        keys = key_status(host) if key_status is not None else None
        ssh = f"connected as {plans[host].user} in {connected:.2f}s" + (f"; host key {keys}" if keys else "")
        return [
            Check("host", host, "ssh", OK, ssh),
            *judge_host(plans[host], facts, (before + after) / 2, after - before, login_problem),
        ]

    results = await run_on(list(plans), one)
    return [check for host in plans for check in results[host]]


def _registry_login(config: Config) -> tuple[RegistryLogin | None, str | None]:
    """The login to try on the hosts, or why none is tried."""
    from pykamal.errors import PykamalError

    registry = config.registry
    if registry.is_local:
        return None, None
    try:
        username = registry.resolve_username(config.secrets)
        password = registry.resolve_password(config.secrets)
    except PykamalError as exc:
        return None, f"credentials unavailable: {exc}"
    if username is None or password is None:
        return None, "registry/username and registry/password are not both set"
    name = username.value if hasattr(username, "value") else str(username)
    return RegistryLogin(registry.server, name, password), None


def _plan(config: Config, run: Run, host: str, login_ready: bool) -> HostPlan:
    runs_proxy = host in run.selection.proxy_hosts
    proxy_run = config.proxy.run if config.proxy is not None else None
    ports = (proxy_run.http_port, proxy_run.https_port) if proxy_run is not None else (80, 443)
    return HostPlan(
        host=host,
        user=config.ssh.user,
        runs_proxy=runs_proxy,
        ports=ports if proxy_run is None or proxy_run.publish else (),
        registry=config.registry.server or "Docker Hub",
        login_ready=login_ready,
        local_registry=config.registry.is_local,
    )


def ssh_failure(host: str, reason: str, user: str) -> Check:
    lowered = reason.lower()
    if "changed" in lowered:
        fix = f"if the server was rebuilt, forget its old key: ssh-keygen -R {host}"
    elif "not in known_hosts" in lowered:
        fix = f"add the host's key after checking it: ssh-keyscan {host} >> ~/.ssh/known_hosts"
    elif "authentication failed" in lowered:
        fix = f"add your public key to ~{user}/.ssh/authorized_keys on the host, or set ssh/keys"
    elif "resolve" in lowered:
        fix = "correct the host name under servers (or its DNS record)"
    elif "refused" in lowered:
        fix = "start sshd on the host, or set ssh/port to the port it listens on"
    else:
        fix = "check that the host is up and its SSH port is open to this machine"
    return Check("host", host, "ssh", FAIL, reason, fix)


def judge_host(
    plan: HostPlan, facts: DoctorFacts, local_time: float, window: float, login_problem: str | None
) -> list[Check]:
    """Every check of one host from its probe's facts (pure)."""
    checks = [_docker(plan, facts)]
    checks.extend(_disks(plan.host, facts))
    if plan.runs_proxy:
        checks.extend(_ports(plan, facts))
    checks.append(_registry(plan, facts, login_problem))
    checks.append(_clock(plan.host, facts, local_time, window))
    if plan.runs_proxy:
        checks.append(_proxy(plan.host, facts))
    return checks


def _docker(plan: HostPlan, facts: DoctorFacts) -> Check:
    host = plan.host
    if facts.docker == "missing":
        return Check(
            "host", host, "docker", FAIL, "Docker is not installed", "run `pykamal server bootstrap`"
        )
    if facts.docker != "ok":
        error = facts.docker_error or "no answer"
        if "permission denied" in error.lower():
            return Check(
                "host",
                host,
                "docker",
                FAIL,
                f"{facts.user} may not use Docker: {error}",
                f"add {facts.user} to the docker group (usermod -aG docker {facts.user}) and reconnect",
            )
        return Check(
            "host",
            host,
            "docker",
            FAIL,
            f"Docker is installed but does not answer: {error}",
            "start the Docker daemon on the host (systemctl start docker)",
        )
    if facts.user == "root":
        who = "root"
    elif "docker" in facts.groups:
        who = f"{facts.user} (in group docker)"
    else:
        who = facts.user
    client = f", client {facts.client_version}" if facts.client_version != facts.server_version else ""
    return Check("host", host, "docker", OK, f"Docker {facts.server_version}{client}, used as {who}")


def _disks(host: str, facts: DoctorFacts) -> list[Check]:
    paths = ["/"]
    if facts.docker_root and facts.docker_root != "/":
        paths.append(facts.docker_root)
    elif not facts.docker_root and probe_commands.DEFAULT_DOCKER_ROOT in facts.disks:
        paths.append(probe_commands.DEFAULT_DOCKER_ROOT)
    checks = []
    for path in paths:
        name = f"disk {path}"
        if path not in facts.disks:
            checks.append(Check("host", host, name, SKIP, "not found on the host"))
            continue
        size, free = facts.disks[path]
        used = 1 - free / size if size else 0.0
        detail = f"{_gib(free)} free of {_gib(size)} ({used:.0%} used)"
        fix = "free space: `docker system prune` removes unused images, or grow the disk"
        if free < DISK_FAIL_KIB:
            checks.append(Check("host", host, name, FAIL, detail, fix))
        elif free < DISK_WARN_KIB or used >= DISK_WARN_USED:
            checks.append(Check("host", host, name, WARN, detail, fix))
        else:
            checks.append(Check("host", host, name, OK, detail))
    return checks


def _gib(kib: int) -> str:
    if kib < GIB:
        return f"{kib / 1024:.0f} MiB"
    return f"{kib / GIB:.1f} GiB"


def _ports(plan: HostPlan, facts: DoctorFacts) -> list[Check]:
    checks = []
    for port in plan.ports:
        holders = facts.published.get(port, [])
        name = f"port {port}"
        if holders == ["kamal-proxy"]:
            checks.append(Check("host", plan.host, name, OK, "held by kamal-proxy"))
        elif holders:
            others = ", ".join(h for h in holders if h != "kamal-proxy")
            checks.append(
                Check(
                    "host",
                    plan.host,
                    name,
                    FAIL,
                    f"taken by container {others}: kamal-proxy cannot bind it",
                    f"stop or remove {others} (docker rm -f {others}), or publish it on another port",
                )
            )
        elif port in facts.listening:
            checks.append(
                Check(
                    "host",
                    plan.host,
                    name,
                    FAIL,
                    "a process outside Docker listens on it: kamal-proxy cannot bind it",
                    f"stop that process (`ss -ltnp 'sport = :{port}'` on the host names it)",
                )
            )
        else:
            checks.append(Check("host", plan.host, name, OK, "free"))
    return checks


def _registry(plan: HostPlan, facts: DoctorFacts, login_problem: str | None) -> Check:
    host, server = plan.host, plan.registry
    if plan.local_registry:
        return Check("host", host, "registry", SKIP, f"{server} is reached through SSH during deploys")
    if not plan.login_ready:
        return Check("host", host, "registry", SKIP, login_problem or "no credentials")
    if facts.docker != "ok" or facts.registry is None:
        return Check("host", host, "registry", SKIP, "needs a working Docker")
    if facts.registry == "ok":
        return Check("host", host, "registry", OK, f"logged in to {server} (password sent on stdin)")
    error = facts.registry_error or "login failed"
    lowered = error.lower()
    if "unauthorized" in lowered or "incorrect username or password" in lowered or "401" in lowered:
        return Check(
            "host",
            host,
            "registry",
            FAIL,
            f"{server} refused the credentials: {error}",
            "check registry/username and the registry password secret in .kamal/secrets",
        )
    unreachable = ("dial tcp", "no such host", "timeout", "connection refused", "network is unreachable")
    if any(word in lowered for word in unreachable):
        return Check(
            "host",
            host,
            "registry",
            FAIL,
            f"cannot reach {server} from the host: {error}",
            "check registry/server, and the host's DNS and outbound firewall",
        )
    return Check("host", host, "registry", FAIL, f"login to {server} failed: {error}", "check registry/*")


def _clock(host: str, facts: DoctorFacts, local_time: float, window: float) -> Check:
    if facts.now is None:
        return Check("host", host, "clock", SKIP, "the host's clock was not read")
    skew = facts.now - local_time
    margin = window / 2 + 1  # date +%s has whole seconds; the reply took `window` to arrive
    if abs(skew) <= max(margin, CLOCK_WARN_SECONDS):
        return Check("host", host, "clock", OK, f"within {max(margin, abs(skew)):.0f}s of this machine")
    direction = "ahead of" if skew > 0 else "behind"
    detail = f"{abs(skew):.0f}s {direction} this machine"
    fix = "enable time synchronisation on the host (timedatectl set-ntp true) or here"
    return Check("host", host, "clock", FAIL if abs(skew) > CLOCK_FAIL_SECONDS else WARN, detail, fix)


def _proxy(host: str, facts: DoctorFacts) -> Check:
    if facts.docker != "ok":
        return Check("host", host, "kamal-proxy", SKIP, "needs a working Docker")
    if not facts.proxy_state:
        return Check("host", host, "kamal-proxy", OK, "not running yet (deploy boots it)")
    image = facts.proxy_image or ""
    version = image.rsplit(":", 1)[1] if ":" in image else ""
    if version.startswith("v") and is_older_version(version, MINIMUM_VERSION):
        return Check(
            "host",
            host,
            "kamal-proxy",
            FAIL,
            f"{version} is older than {MINIMUM_VERSION}",
            "pykamal proxy reboot",
        )
    if facts.proxy_state != "running":
        return Check(
            "host", host, "kamal-proxy", WARN, f"{image} is {facts.proxy_state}", "pykamal proxy boot"
        )
    return Check("host", host, "kamal-proxy", OK, f"{version or image} running")


# --- DNS ------------------------------------------------------------------------------------------


async def dns_checks(run: Run) -> list[Check]:
    wanted: dict[str, tuple[str, tuple[str, ...]]] = {}  # proxy host name -> (role, its hosts)
    for role in run.selection.roles:
        if role.proxy is None or not role.running_proxy:
            continue
        for name in role.proxy.hosts:
            wanted.setdefault(name, (role.name, role.hosts))
    if not wanted:
        return []
    names = {n for n in wanted if not n.startswith("*")}
    role_hosts = {h for _, hosts in wanted.values() for h in hosts}
    answers = dict(
        zip(
            [*names, *role_hosts],
            await asyncio.gather(*(resolve(n) for n in [*names, *role_hosts])),
            strict=True,
        )
    )
    return [dns_verdict(name, *wanted[name], answers) for name in wanted]


async def resolve(name: str) -> tuple[str, ...] | str:
    """The addresses ``name`` resolves to here, or why it does not resolve."""
    import socket

    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(name, None, type=socket.SOCK_STREAM), DNS_TIMEOUT)
    except TimeoutError:
        return f"no answer within {DNS_TIMEOUT:g}s"
    except OSError as exc:
        return exc.strerror or str(exc)
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


def dns_verdict(
    name: str, role: str, hosts: Sequence[str], answers: dict[str, tuple[str, ...] | str]
) -> Check:
    if name.startswith("*"):
        return Check("dns", name, "dns", SKIP, "a wildcard name cannot be resolved")
    answer = answers.get(name, "not resolved")
    if isinstance(answer, str):
        return Check(
            "dns",
            name,
            "dns",
            WARN,
            f"does not resolve: {answer}",
            f"add an A/AAAA record for {name} pointing at a {role} host",
        )
    role_addresses = set(hosts)
    for host in hosts:
        found = answers.get(host)
        if isinstance(found, tuple):
            role_addresses.update(found)
    listed = ", ".join(answer)
    if role_addresses & set(answer):
        return Check("dns", name, "dns", OK, f"{listed}: a {role} host")
    return Check(
        "dns",
        name,
        "dns",
        WARN,
        f"{listed}: not a {role} host (fine when a CDN or load balancer sits in front)",
        f"point {name} at a {role} host ({', '.join(hosts)})",
    )
