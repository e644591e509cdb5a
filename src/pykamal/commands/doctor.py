"""The one remote command ``doctor`` sends to each host, and the parser of what it prints.

In one round trip the probe reads: the host's clock, the SSH user and its groups, Docker (client and
daemon versions, or why the daemon does not answer), free space on ``/`` and Docker's root, who
listens on the proxy ports, kamal-proxy's container, and whether the host can log in to the
registry. The login runs with a throwaway ``DOCKER_CONFIG`` (nothing is left on the host) and the
password comes in on stdin: the script keeps it in a shell variable and hands it to
``docker login --password-stdin`` through the shell's built-in ``printf``, so it is on no command
line. Each line it prints starts with ``@pykamal <key>``; everything else is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pykamal.commands.args import docker
from pykamal.commands.base import MARK, Command, Raw, Sensitive, quote
from pykamal.commands.proxy import PROXY_CONTAINER

DEFAULT_DOCKER_ROOT = "/var/lib/docker"


@dataclass(frozen=True)
class RegistryLogin:
    server: str | None  # None: Docker Hub
    username: str
    password: str | Sensitive


def probe(login: RegistryLogin | None) -> Command:
    """The doctor's shell script for one host; ``login``: the registry to log in to (None: none)."""
    lines = []
    if login is not None:
        lines.append("pw=$(cat)")
    lines.append(f"""\
echo "{MARK} now $(date +%s)"
echo "{MARK} user $(id -un) $(id -Gn | tr ' ' ',')"
root={DEFAULT_DOCKER_ROOT}; up=
if ! command -v docker >/dev/null 2>&1; then echo "{MARK} docker missing"
else
  echo "{MARK} client $(docker version --format '{{{{.Client.Version}}}}' 2>/dev/null)"
  if info=$(docker info --format '{{{{.ServerVersion}}}}|{{{{.DockerRootDir}}}}' 2>/dev/null) \
      && [ "${{info%%|*}}" ]; then
    echo "{MARK} docker ok $info"; root=${{info#*|}}; up=1
  else
    docker version --format '{{{{.Server.Version}}}}' 2>&1 >/dev/null | grep -v '^$' | tail -n 1 \
      | sed 's/^/{MARK} docker error /'
  fi
fi
for path in / "$root"; do
  [ -d "$path" ] && df -Pk "$path" | awk -v p="$path" 'NR==2 {{print "{MARK} disk " p " " $2 " " $4}}'
done
cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" {{print "{MARK} listen " $2}}'""")
    lines.append(f"""\
if [ -n "$up" ]; then
  docker ps --format '{{{{.Names}}}}|{{{{.Ports}}}}' | sed 's/^/{MARK} container /'
  docker inspect --format '{{{{.State.Status}}}}|{{{{.Config.Image}}}}' {PROXY_CONTAINER} 2>/dev/null \\
    | sed 's/^/{MARK} proxy /'""")
    if login is not None:
        server = quote(login.server) if login.server else ""
        lines.append(f"""\
  conf=$(mktemp -d)
  if out=$(printf '%s\\n' "$pw" | DOCKER_CONFIG=$conf docker login {server} -u {quote(login.username)} \\
      --password-stdin 2>&1); then echo "{MARK} registry ok"
  else echo "$out" | grep -v '^$' | tail -n 1 | sed 's/^/{MARK} registry error /'
  fi
  rm -rf "$conf\"""")
    lines.append("fi")
    script = "\n".join(lines)
    stdin = None
    if login is not None:
        password = login.password
        stdin = password if isinstance(password, Sensitive) else Sensitive(password)
    return Command((Raw(script),), stdin=stdin)


def local_server_version() -> Command:
    """The version of the Docker daemon on this machine (fails when it does not answer)."""
    return docker("version", "--format", "{{.Server.Version}}")


# --- parsing ----------------------------------------------------------------------------------


@dataclass
class DoctorFacts:
    """What the doctor's probe found on one host (raw facts; judging them is the flow's job)."""

    now: int | None = None
    user: str = ""
    groups: tuple[str, ...] = ()
    docker: str = "unknown"  # ok | missing | error
    docker_error: str = ""
    client_version: str = ""
    server_version: str = ""
    docker_root: str = ""
    disks: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size KiB, free KiB)
    listening: set[int] = field(default_factory=set)  # TCP ports something listens on
    published: dict[int, list[str]] = field(default_factory=dict)  # host port -> container names
    proxy_state: str | None = None
    proxy_image: str | None = None
    registry: str | None = None  # ok | error | None (not tried)
    registry_error: str = ""


def parse(stdout: str) -> DoctorFacts:
    facts = DoctorFacts()
    for line in stdout.splitlines():
        if not line.startswith(MARK + " "):
            continue
        key, _, rest = line[len(MARK) + 1 :].partition(" ")
        rest = rest.strip()
        if key == "now" and rest.isdigit():
            facts.now = int(rest)
        elif key == "user":
            user, _, groups = rest.partition(" ")
            facts.user, facts.groups = user, tuple(g for g in groups.split(",") if g)
        elif key == "client":
            facts.client_version = rest
        elif key == "docker":
            _read_docker(facts, rest)
        elif key == "disk":
            _read_disk(facts, rest)
        elif key == "listen":
            port = _listening_port(rest)
            if port is not None:
                facts.listening.add(port)
        elif key == "container":
            name, _, ports = rest.partition("|")
            for port in published_ports(ports):
                facts.published.setdefault(port, [])
                if name not in facts.published[port]:
                    facts.published[port].append(name)
        elif key == "proxy":
            state, _, image = rest.partition("|")
            if state:
                facts.proxy_state, facts.proxy_image = state, image
        elif key == "registry":
            verdict, _, detail = rest.partition(" ")
            facts.registry, facts.registry_error = verdict, detail.strip()
    return facts


def _read_docker(facts: DoctorFacts, rest: str) -> None:
    verdict, _, detail = rest.partition(" ")
    facts.docker = verdict
    if verdict == "ok":
        version, _, root = detail.partition("|")
        facts.server_version, facts.docker_root = version.strip(), root.strip()
    elif verdict == "error":
        facts.docker_error = detail.strip()


def _read_disk(facts: DoctorFacts, rest: str) -> None:
    parts = rest.rsplit(" ", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        facts.disks[parts[0]] = (int(parts[1]), int(parts[2]))


def _listening_port(local_address: str) -> int | None:
    """``/proc/net/tcp``'s local address column: hex address, colon, hex port."""
    _, _, port = local_address.rpartition(":")
    try:
        return int(port, 16)
    except ValueError:
        return None


def published_ports(text: str) -> list[int]:
    """Host ports in ``docker ps``'s Ports column (``0.0.0.0:80->80/tcp, :::443->443/tcp``)."""
    ports = []
    for entry in text.split(","):
        host_side, arrow, _ = entry.strip().partition("->")
        if not arrow:
            continue
        _, _, port = host_side.rpartition(":")
        if port.isdigit() and int(port) not in ports:
            ports.append(int(port))
    return ports
