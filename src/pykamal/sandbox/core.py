"""Bringing a sandbox up and down, reporting on it, and reaching into its hosts.

A sandbox `<name>` is made of:
* a Docker network `<name>`;
* a registry container `<name>-registry` (volume `<name>-registry`), published on
  `<base address>:5000` of this machine and forwarded to the same address inside each host;
* host containers `<name>-host-<i>`, each running sshd (and, unless light, its own dockerd with
  its storage on volume `<name>-host-<i>-docker`), published on loopback address base + i
  (ports 22, 80 and 443);
* a state folder with the client key, host keys, known_hosts, ssh_config and state.json.
Every container, volume and network carries the label `dev.pykamal.sandbox.name=<name>`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pykamal.sandbox.build import (
    BUSYBOX_IMAGE,
    HOST_IMAGE,
    INPUTS_LABEL,
    KAMAL_PROXY_IMAGE,
    REGISTRY_IMAGE,
    ImageBuilder,
)
from pykamal.sandbox.caps import missing_capabilities, privilege_flags
from pykamal.sandbox.docker import LABEL_PREFIX, Docker
from pykamal.sandbox.errors import SandboxError
from pykamal.sandbox.imagetar import TarTree
from pykamal.sandbox.paths import DEFAULT_NAME, StatePaths
from pykamal.sandbox.sshsetup import ensure_key, known_hosts_text, public_key, ssh_config_text

DEFAULT_HOSTS = 3
DEFAULT_BASE_ADDRESS = "127.0.0.10"
REGISTRY_PORT = 5000
COMMAND_LOG = "/var/log/pykamal-sandbox/commands.log"
# Images pushed into the sandbox registry at `up`; hosts pull them through their registry mirror.
SEEDED_IMAGES = (KAMAL_PROXY_IMAGE, BUSYBOX_IMAGE)

NAME_LABEL = f"{LABEL_PREFIX}.name"
ROLE_LABEL = f"{LABEL_PREFIX}.role"
ADDRESS_LABEL = f"{LABEL_PREFIX}.address"
CONFIG_LABEL = f"{LABEL_PREFIX}.config"

Log = Callable[[str], None]


@dataclass(frozen=True)
class SandboxSpec:
    """What a sandbox should look like; stored in state.json so later commands need no flags."""

    name: str = DEFAULT_NAME
    hosts: int = DEFAULT_HOSTS
    base_address: str = DEFAULT_BASE_ADDRESS
    light: bool = False
    command_log: bool = True

    def __post_init__(self) -> None:
        if not self.name.replace("-", "").replace("_", "").isalnum():
            raise SandboxError(f"sandbox name {self.name!r}: use letters, digits, - and _ only")
        if self.hosts < 0:
            raise SandboxError(f"--hosts must be 0 or more, got {self.hosts}")
        try:
            base = ipaddress.IPv4Address(self.base_address)
        except ValueError as exc:
            raise SandboxError(f"address {self.base_address!r} is not an IPv4 address") from exc
        last = base + self.hosts
        if not (base.is_loopback and last.is_loopback):
            raise SandboxError(f"sandbox addresses must stay in 127.0.0.0/8 ({base} + {self.hosts} hosts)")

    @property
    def addresses(self) -> list[str]:
        base = ipaddress.IPv4Address(self.base_address)
        return [str(base + i) for i in range(1, self.hosts + 1)]

    @property
    def registry(self) -> str:
        return f"{self.base_address}:{REGISTRY_PORT}"

    @property
    def uses_registry(self) -> bool:
        return not self.light


class Sandbox:
    """One named sandbox: `up`, `down`, `status`, and helpers for tests and benchmarks."""

    user = "root"

    def __init__(self, spec: SandboxSpec, docker: Docker | None = None, log: Log = print) -> None:
        self.spec = spec
        self.docker = docker or Docker()
        self.log = log
        self.paths = StatePaths.for_name(spec.name)

    # -- loading ------------------------------------------------------------------------

    @classmethod
    def load(cls, name: str = DEFAULT_NAME, docker: Docker | None = None, log: Log = print) -> Sandbox:
        """The sandbox as last brought up (state.json), or a default spec when there is none."""
        state = StatePaths.for_name(name).state_file
        spec = SandboxSpec(name=name)
        if state.exists():
            try:
                data = json.loads(state.read_text())
                spec = SandboxSpec(**{k: v for k, v in data.get("spec", {}).items() if k in asdict(spec)})
            except (ValueError, TypeError) as exc:
                raise SandboxError(
                    f"{state}: unreadable sandbox state ({exc}); run `pykamal sandbox down`"
                ) from exc
        return cls(spec, docker, log)

    def with_changes(self, **changes: object) -> Sandbox:
        wanted = {k: v for k, v in changes.items() if v is not None}
        return Sandbox(replace(self.spec, **wanted), self.docker, self.log)  # type: ignore[arg-type]

    # -- what tests use -------------------------------------------------------------------

    @property
    def hosts(self) -> list[str]:
        return self.spec.addresses

    @property
    def registry(self) -> str:
        """Registry address, the same on this machine (for push) and on every host (for pull)."""
        return self.spec.registry

    @property
    def ssh_config_path(self) -> Path:
        return self.paths.ssh_config

    @property
    def known_hosts_path(self) -> Path:
        return self.paths.known_hosts

    @property
    def key_path(self) -> Path:
        return self.paths.client_key

    def container(self, host: str) -> str:
        """Container name of the host at `host` (its address)."""
        try:
            index = self.hosts.index(host)
        except ValueError:
            raise SandboxError(
                f"{host} is not a host of sandbox {self.spec.name} ({', '.join(self.hosts)})"
            ) from None
        return self._host_container(index + 1)

    def run_on_host(
        self, host: str, shell_cmd: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell command inside the host container (not over SSH); never raises on failure."""
        return self.docker.run(
            ["exec", self.container(host), "sh", "-c", shell_cmd], check=False, timeout=timeout
        )

    def command_log_entries(self, host: str) -> list[tuple[str, str]]:
        """(UTC timestamp, command) for every command sshd ran on the host, oldest first."""
        result = self.run_on_host(host, f"cat {COMMAND_LOG} 2>/dev/null || true")
        entries = []
        for line in result.stdout.splitlines():
            stamp, _, command = line.partition(" ")
            entries.append((stamp, _unescape(command)))
        return entries

    def command_log(self, host: str) -> list[str]:
        """Every command sshd received on the host (`<shell>` for an interactive login)."""
        return [command for _, command in self.command_log_entries(host)]

    def clear_command_log(self, host: str) -> None:
        self.run_on_host(host, f": > {COMMAND_LOG}")

    def reset_hosts(self) -> None:
        """Return every host to a fresh server: no containers, networks, volumes, ~/.kamal or logs.

        Pulled images are kept (a cache, like on a long-lived server); run between tests that
        must not see each other's deploys.
        """
        script = (
            "docker ps -aq | xargs -r docker rm -f >/dev/null; "
            "docker network prune -f >/dev/null; docker volume prune -f >/dev/null; "
            "docker volume ls -q | xargs -r docker volume rm -f >/dev/null; "
            f"rm -rf /root/.kamal /root/.docker; : > {COMMAND_LOG}"
        )
        if self.spec.light:
            script = f"rm -rf /root/.kamal; : > {COMMAND_LOG}"
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(self.hosts)))) as pool:
            results = list(pool.map(lambda host: self.run_on_host(host, script), self.hosts))
        failed = [
            f"{host}: {r.stderr.strip()}" for host, r in zip(self.hosts, results, strict=True) if r.returncode
        ]
        if failed:
            raise SandboxError("reset failed on " + "; ".join(failed))

    def make_ssh_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for running pykamal or kamal against the sandbox.

        deploy.yml files read these with ERB, e.g. `ssh: config: <%= ENV["PYKAMAL_SANDBOX_SSH_CONFIG"] %>`
        and `- <%= ENV["PYKAMAL_SANDBOX_HOST_1"] %>` (see examples/hello/config/deploy.yml).
        """
        env = dict(os.environ if base is None else base)
        env.update(
            PYKAMAL_SANDBOX_SSH_CONFIG=str(self.ssh_config_path),
            PYKAMAL_SANDBOX_KNOWN_HOSTS=str(self.known_hosts_path),
            PYKAMAL_SANDBOX_KEY=str(self.key_path),
            PYKAMAL_SANDBOX_REGISTRY=self.registry,
            PYKAMAL_SANDBOX_HOSTS=",".join(self.hosts),
        )
        for number, host in enumerate(self.hosts, start=1):
            env[f"PYKAMAL_SANDBOX_HOST_{number}"] = host
        return env

    # -- up -------------------------------------------------------------------------------

    def up(self, build: bool = True) -> None:
        """Create or adjust everything so the sandbox matches its spec; a no-op when it already does."""
        self.docker.ensure_available()
        started = time.monotonic()
        if build:
            builder = ImageBuilder(self.docker, log=self.log)
            images = ("host",) if self.spec.light else ("host", "registry", "kamal-proxy", "busybox")
            builder.ensure(images)
        self._write_state()
        self._write_ssh_files()
        self._ensure_network()
        if self.spec.uses_registry:
            self._ensure_registry()
        else:
            self._remove_containers(f"{ROLE_LABEL}=registry")
        wanted = {self._host_container(i) for i in range(1, self.spec.hosts + 1)}
        self._remove_hosts(sorted(set(self._containers("host")) - wanted))
        with ThreadPoolExecutor(max_workers=min(8, max(1, self.spec.hosts))) as pool:
            list(pool.map(self._ensure_host, range(1, self.spec.hosts + 1)))
        if self.spec.uses_registry:
            self._seed_registry()
        with ThreadPoolExecutor(max_workers=min(16, max(1, self.spec.hosts))) as pool:
            list(pool.map(self._wait_for_host, range(1, self.spec.hosts + 1)))
        if self.spec.uses_registry:
            self._drop_stale_seeds()
        self.log(
            f"sandbox {self.spec.name} is up: {self.spec.hosts} host(s) in {time.monotonic() - started:.1f}s"
        )

    def _write_state(self) -> None:
        self.paths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.paths.state_file.write_text(json.dumps({"spec": asdict(self.spec)}, indent=2) + "\n")

    def _write_ssh_files(self) -> None:
        ensure_key(self.paths.client_key, f"{self.spec.name}-client")
        host_keys = []
        for i, address in enumerate(self.hosts, start=1):
            host_keys.append((address, ensure_key(self.paths.host_key(address), f"root@host-{i}")))
        self.paths.known_hosts.write_text(known_hosts_text(host_keys))
        self.paths.ssh_config.write_text(ssh_config_text(self.spec.name, self.hosts, self.paths, self.user))

    def _ensure_network(self) -> None:
        if self.docker.inspect("network", self.spec.name) is None:
            self.docker.run(
                ["network", "create", "--label", f"{NAME_LABEL}={self.spec.name}", self.spec.name]
            )

    def _ensure_registry(self) -> None:
        name = f"{self.spec.name}-registry"
        config = _digest(self._image_id(REGISTRY_IMAGE), self.spec.registry)
        if self._running_with(name, config):
            return
        self._remove_containers(f"{ROLE_LABEL}=registry")
        volume = f"{self.spec.name}-registry"
        self._ensure_volume(volume)
        self._run_published(name, [
            "run", "--detach", "--name", name, "--network", self.spec.name, "--restart", "unless-stopped",
            *self._labels("registry", config),
            "--volume", f"{volume}:/var/lib/registry",
            "--publish", f"{self.spec.registry}:5000",
            REGISTRY_IMAGE,
        ])  # fmt: skip

    def _seed_registry(self) -> None:
        self._wait(f"registry {self.spec.registry}", lambda: _http_ok(f"http://{self.spec.registry}/v2/"), 30)
        for image in SEEDED_IMAGES:
            target = f"{self.spec.registry}/{image}"
            self.docker.run(["tag", image, target])
            try:
                self.docker.run(["push", target], timeout=300)
            finally:
                self.docker.run(["rmi", target], check=False)

    def _drop_stale_seeds(self) -> None:
        """Untag seeded images that hosts pulled before a rebuild, so their next pull gets the new ones."""
        label_format = shlex.quote(f'{{{{index .Config.Labels "{INPUTS_LABEL}"}}}}')
        checks = []
        for image in SEEDED_IMAGES:
            wanted = self.docker.image_label(image, INPUTS_LABEL)
            if wanted is None:
                continue
            checks.append(
                f"have=$(docker image inspect --format {label_format} {image} 2>/dev/null)"
                f' && [ "$have" != {shlex.quote(wanted)} ] && docker image rm --force {image} >/dev/null'
            )
        if not checks:
            return
        script = "; ".join([*checks, "true"])
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(self.hosts)))) as pool:
            list(pool.map(lambda host: self.run_on_host(host, script), self.hosts))

    def _ensure_host(self, index: int) -> None:
        name = self._host_container(index)
        address = self.hosts[index - 1]
        flags = self._host_flags(index, address)
        config = _digest(self._image_id(HOST_IMAGE), *flags)
        if self._running_with(name, config):
            return
        self._remove_containers(f"name=^{name}$", by_name=True)
        self.docker.run(
            ["create", "--name", name, *self._labels("host", config, address), *flags, HOST_IMAGE]
        )
        self.docker.run_binary_input(["cp", "-", f"{name}:/"], self._host_files(address).chunks())
        self._run_published(name, ["start", name])

    def _host_flags(self, index: int, address: str) -> list[str]:
        spec = self.spec
        flags = ["--hostname", f"host-{index}", "--network", spec.name, "--init"]
        flags += ["--restart", "unless-stopped"]
        # a fresh /run at every start, as after a reboot: no stale dockerd or containerd pid files
        flags += ["--tmpfs", "/run:exec,mode=755"]
        flags += ["--publish", f"{address}:22:22"]
        flags += ["--env", f"PYKAMAL_SANDBOX_COMMAND_LOG={1 if spec.command_log else 0}"]
        if spec.light:
            return [*flags, "--env", "PYKAMAL_SANDBOX_DOCKERD=0"]
        volume = f"{self._host_container(index)}-docker"
        self._ensure_volume(volume)
        flags += ["--publish", f"{address}:80:80", "--publish", f"{address}:443:443"]
        flags += ["--volume", f"{volume}:/var/lib/docker"]
        flags += ["--env", f"PYKAMAL_SANDBOX_REGISTRY_LISTEN={spec.registry}"]
        flags += ["--env", f"PYKAMAL_SANDBOX_REGISTRY_UPSTREAM={spec.name}-registry:5000"]
        return [*flags, *privilege_flags(missing_capabilities())]

    def _host_files(self, address: str) -> TarTree:
        key = self.paths.host_key(address)
        tree = TarTree()
        tree.directory("etc")
        tree.directory("etc/ssh")
        tree.file("etc/ssh/ssh_host_ed25519_key", key.read_bytes(), 0o600)
        tree.file("etc/ssh/ssh_host_ed25519_key.pub", key.with_suffix(".pub").read_bytes(), 0o644)
        tree.directory("root", 0o700)
        tree.directory("root/.ssh", 0o700)
        tree.file("root/.ssh/authorized_keys", public_key(self.paths.client_key) + "\n", 0o600)
        return tree

    def _wait_for_host(self, index: int) -> None:
        address = self.hosts[index - 1]
        name = self._host_container(index)
        self._wait(f"sshd on {address}", lambda: _ssh_banner(address), 60, name)
        if self.spec.light:
            return
        for attempt in (1, 2):
            try:
                self._wait(f"dockerd on {address}", lambda: self._dockerd_ready(name), 90, name)
                return
            except _DockerdGone:
                if attempt == 2:
                    log = self.docker.run(
                        ["exec", name, "tail", "-n", "3", "/var/log/dockerd.log"], check=False
                    )
                    tail = " | ".join(line.strip() for line in log.stdout.splitlines() if line.strip())
                    raise SandboxError(
                        f"dockerd on {address} exited: {tail or 'see /var/log/dockerd.log'}"
                    ) from None
                # e.g. killed inside the host: restart the host, as one would reboot a server
                self.docker.run(["restart", "--time", "2", name])
                self._wait(f"sshd on {address}", lambda: _ssh_banner(address), 60, name)

    def _dockerd_ready(self, container: str) -> bool:
        probe = "docker info >/dev/null 2>&1 && exit 0; pgrep -x dockerd >/dev/null || exit 7; exit 1"
        result = self.docker.run(["exec", container, "sh", "-c", probe], check=False)
        if result.returncode == 7:
            raise _DockerdGone
        return result.returncode == 0

    def _wait(
        self, what: str, ready: Callable[[], bool], timeout: float, container: str | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if container and self._state(container) not in ("running", "restarting", None):
                break
            time.sleep(0.2)
        hint = ""
        if container:
            logs = self.docker.run(["logs", "--tail", "5", container], check=False)
            tail = " | ".join(line for line in (logs.stdout + logs.stderr).splitlines()[-5:] if line.strip())
            hint = f"; last output of {container}: {tail}" if tail else f"; see `docker logs {container}`"
        raise SandboxError(f"{what} not ready after {timeout:.0f}s{hint}")

    def _run_published(self, name: str, args: list[str]) -> None:
        result = self.docker.run(args, check=False)
        if result.returncode == 0:
            return
        error = (
            result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        )
        if "address already in use" in error or "port is already allocated" in error:
            raise SandboxError(
                f"cannot start {name}: a port it publishes is taken ({error}); stop what uses it, "
                f"or pick other addresses with `pykamal sandbox up --address <127.x.y.z>`"
            )
        raise SandboxError(f"cannot start {name}: {error}")

    # -- down -----------------------------------------------------------------------------

    def down(self) -> dict[str, list[str]]:
        """Remove every container, volume and network of the sandbox, its state folder, and the
        local image tags that name its registry (they point nowhere once it is gone).

        Returns what was removed, by kind. Built sandbox images and the build cache stay.
        """
        self.docker.ensure_available()
        label = f"{NAME_LABEL}={self.spec.name}"
        removed: dict[str, list[str]] = {}
        containers = self.docker.names("container", label)
        if containers:
            self.docker.run(["rm", "--force", "--volumes", *containers])
            removed["containers"] = containers
        volumes = self.docker.names("volume", label)
        if volumes:
            self.docker.run(["volume", "rm", "--force", *volumes])
            removed["volumes"] = volumes
        networks = self.docker.names("network", label)
        for network in networks:
            self.docker.run(["network", "rm", network])
        if networks:
            removed["networks"] = networks
        listing = self.docker.run(["images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split()
        tags = [
            tag for tag in listing if tag.startswith(f"{self.spec.registry}/") and not tag.endswith(":<none>")
        ]
        if tags:
            self.docker.run(["rmi", *tags], check=False)
            removed[f"image tags of {self.spec.registry}"] = tags
        if self.paths.root.exists():
            shutil.rmtree(self.paths.root)
            removed["state folder"] = [str(self.paths.root)]
        return removed

    def _remove_hosts(self, names: list[str]) -> None:
        if not names:
            return
        self.docker.run(["rm", "--force", "--volumes", *names])
        volumes = set(self.docker.names("volume", f"{NAME_LABEL}={self.spec.name}"))
        stale = [f"{name}-docker" for name in names if f"{name}-docker" in volumes]
        if stale:
            self.docker.run(["volume", "rm", "--force", *stale])

    # -- status ---------------------------------------------------------------------------

    def status(self) -> list[dict[str, str]]:
        """One row per container of the sandbox: name, role, address, state, ssh, docker."""
        self.docker.ensure_available()
        rows = []
        for name in self.docker.names("container", f"{NAME_LABEL}={self.spec.name}"):
            info = self.docker.inspect("container", name) or {}
            labels = (info.get("Config") or {}).get("Labels") or {}
            state = (info.get("State") or {}).get("Status", "unknown")
            role = labels.get(ROLE_LABEL, "?")
            address = labels.get(ADDRESS_LABEL, self.spec.registry if role == "registry" else "")
            row = {"name": name, "role": role, "address": address, "state": state, "ssh": "-", "docker": "-"}
            if role == "host" and state == "running":
                row["ssh"] = "ok" if _ssh_banner(address) else "down"
                if not self.spec.light:
                    probe = self.docker.run(
                        ["exec", name, "docker", "info", "--format", "{{.ServerVersion}}"], check=False
                    )
                    row["docker"] = probe.stdout.strip() if probe.returncode == 0 else "down"
            if role == "registry" and state == "running":
                row["docker"] = "ok" if _http_ok(f"http://{self.spec.registry}/v2/") else "down"
            rows.append(row)
        return rows

    # -- helpers --------------------------------------------------------------------------

    def _host_container(self, index: int) -> str:
        return f"{self.spec.name}-host-{index}"

    def _containers(self, role: str) -> list[str]:
        prefix = f"{self.spec.name}-{role}-"
        return [
            name
            for name in self.docker.names("container", f"{NAME_LABEL}={self.spec.name}")
            if name.startswith(prefix)
        ]

    def _labels(self, role: str, config: str, address: str | None = None) -> list[str]:
        labels = [f"{NAME_LABEL}={self.spec.name}", f"{ROLE_LABEL}={role}", f"{CONFIG_LABEL}={config}"]
        if address:
            labels.append(f"{ADDRESS_LABEL}={address}")
        return [flag for label in labels for flag in ("--label", label)]

    def _ensure_volume(self, volume: str) -> None:
        if self.docker.inspect("volume", volume) is None:
            self.docker.run(["volume", "create", "--label", f"{NAME_LABEL}={self.spec.name}", volume])

    def _state(self, container: str) -> str | None:
        info = self.docker.inspect("container", container)
        return None if info is None else str((info.get("State") or {}).get("Status"))

    def _running_with(self, container: str, config: str) -> bool:
        info = self.docker.inspect("container", container)
        if info is None:
            return False
        labels = (info.get("Config") or {}).get("Labels") or {}
        if labels.get(CONFIG_LABEL) != config:
            return False
        if (info.get("State") or {}).get("Status") != "running":
            self._run_published(container, ["start", container])
        return True

    def _remove_containers(self, selector: str, by_name: bool = False) -> None:
        if by_name:
            args = [
                "ps",
                "--all",
                "--quiet",
                "--filter",
                selector,
                "--filter",
                f"label={NAME_LABEL}={self.spec.name}",
            ]
        else:
            args = [
                "ps",
                "--all",
                "--quiet",
                "--filter",
                f"label={NAME_LABEL}={self.spec.name}",
                "--filter",
                f"label={selector}",
            ]
        ids = self.docker.run(args).stdout.split()
        if ids:
            self.docker.run(["rm", "--force", *ids])

    def _image_id(self, image: str) -> str:
        info = self.docker.inspect("image", image)
        if info is None:
            raise SandboxError(f"image {image} is missing: run `pykamal sandbox build`")
        return str(info.get("Id"))


class _DockerdGone(Exception):
    """The inner dockerd is not running at all (as opposed to still starting)."""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _unescape(text: str) -> str:
    out, chars = [], iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append("\n" if following == "n" else following)
        else:
            out.append(char)
    return "".join(out)


def _ssh_banner(address: str, port: int = 22) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1) as conn:
            conn.settimeout(2)
            return conn.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def iter_rows(rows: list[dict[str, str]]) -> Iterator[str]:
    """Rows as aligned text columns."""
    if not rows:
        return
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    yield "  ".join(k.upper().ljust(widths[k]) for k in keys).rstrip()
    for row in rows:
        yield "  ".join(row[k].ljust(widths[k]) for k in keys).rstrip()
