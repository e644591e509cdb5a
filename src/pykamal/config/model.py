"""Typed, immutable configuration objects (built once by the loader, then only read).

Names follow Kamal's: ``service``, ``image``, ``repository``, ``absolute_image`` and so on, so a
reader of Kamal's docs finds the same words here. Derived names (containers, tags, remote paths)
are properties, computed from the validated fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykamal.config.rubyish import argumentize, optionize, present
from pykamal.sensitive import Sensitive

if TYPE_CHECKING:
    from pykamal.config.extensions import Extensions
    from pykamal.secrets import Secrets


@dataclass(frozen=True)
class SecretRef:
    """A value to be looked up by name in the secrets files, only when a command needs it."""

    name: str


# --- small sections -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Logging:
    """``logging``: the Docker log driver and its options for app and accessory containers."""

    driver: str | None = None
    options: tuple[tuple[str, Any], ...] = ()  # values as written (strings, numbers, booleans)

    @property
    def is_default(self) -> bool:
        return self.driver is None and not self.options

    def args(self) -> list[str]:
        """Docker flags, as Kamal prints them: ``--log-driver "x" --log-opt k="v"``."""
        if present(self.driver) or self.options:
            driver = optionize({"log-driver": self.driver}) if self.driver is not None else []
            return driver + argumentize("--log-opt", dict(self.options))
        return argumentize("--log-opt", {"max-size": "10m"})


@dataclass(frozen=True)
class Env:
    """Clear values go on the command line; secret values go into a 0600 env file on the host."""

    clear: tuple[tuple[str, Any], ...] = ()  # values as written (strings, numbers, booleans)
    # (env var name, secret name) — usually equal; "NAME:SECRET" aliases a differently named secret
    secret_keys: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SshConfig:
    """``ssh``: how to reach the hosts (user, port, jump host or proxy command, keys, options)."""

    user: str = "root"
    port: int = 22
    proxy: str | None = None  # jump host "[user@]host[:port]"
    proxy_command: str | None = None
    log_level: str = "fatal"
    keys_only: bool | None = None
    keys: tuple[str, ...] = ()
    # key_data entries: secret names (or, deprecated, inline keys when no such secret exists)
    key_data_secrets: tuple[str, ...] = ()
    config: bool | tuple[str, ...] = True  # True: default ssh config files; False: none; paths
    forward_agent: bool | None = None  # None: as the OpenSSH config says (off unless ForwardAgent)


@dataclass(frozen=True)
class OutputConfig:
    """Where the log of a state-changing command also goes (Kamal 2.12's ``output``)."""

    file_path: str | None = None  # a local directory: one log file per command run
    otel_endpoint: str | None = None  # OTLP/HTTP base URL; records are posted to <endpoint>/v1/logs

    @property
    def enabled(self) -> bool:
        return self.file_path is not None or self.otel_endpoint is not None


@dataclass(frozen=True)
class SshkitConfig:
    """``sshkit``: connection pool limits (concurrent starts, idle timeout, DNS retries)."""

    max_concurrent_starts: int = 30
    pool_idle_timeout: int = 900
    dns_retries: int = 3


@dataclass(frozen=True)
class BootConfig:
    """``boot``: how many hosts boot at a time and how long to wait between groups."""

    limit: int | None = None  # already resolved from "N%" against all hosts, at least 1
    wait: int | None = None
    parallel_roles: bool = False


@dataclass(frozen=True)
class RegistryConfig:
    """``username``/``password`` are literal strings, or ``SecretRef`` for ``[SECRET_NAME]``."""

    server: str | None = None
    username: str | SecretRef | None = None
    password: str | SecretRef | None = None

    def resolve_username(self, secrets: Secrets) -> str | Sensitive | None:
        """The user name; Sensitive when it came from a secret."""
        if isinstance(self.username, SecretRef):
            return Sensitive(secrets.get(self.username.name))
        return self.username

    def resolve_password(self, secrets: Secrets) -> Sensitive | None:
        if isinstance(self.password, SecretRef):
            return Sensitive(secrets.get(self.password.name))
        return Sensitive(self.password) if self.password is not None else None

    @property
    def is_local(self) -> bool:
        """``localhost:PORT`` registries need no credentials and are reached through SSH tunnels."""
        import re

        return bool(self.server and re.match(r"^localhost[:$]", self.server))

    @property
    def local_port(self) -> int | None:
        if not self.is_local or self.server is None:
            return None
        port = self.server.rsplit(":", 1)[1] if ":" in self.server else ""
        return int(port) if port.isdigit() else 0  # Kamal: "localhost:x".to_i


@dataclass(frozen=True)
class BuilderCache:
    """``builder.cache``: where the build cache lives (GitHub Actions or a registry image)."""

    type: str  # "gha" | "registry"
    options: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class BuilderConfig:
    """``builder``: platforms, local or remote builder, driver, build arguments and secrets."""

    arches: tuple[str, ...] = ()
    remote: str | None = None
    local: bool = True
    driver: str = "docker-container"
    pack_builder: str | None = None
    pack_buildpacks: tuple[str, ...] = ()
    cache: BuilderCache | None = None
    context: str | None = None  # None => build from a clean git clone of HEAD
    dockerfile: str = "Dockerfile"
    target: str | None = None
    args: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()
    ssh: str | None = None
    provenance: str | bool | None = None
    sbom: str | bool | None = None

    @property
    def is_pack(self) -> bool:
        return self.pack_builder is not None

    @property
    def is_cloud(self) -> bool:
        return self.driver.startswith("cloud")


@dataclass(frozen=True)
class ProxyRunConfig:
    """``proxy.run``: how the kamal-proxy container itself is started on each host."""

    http_port: int = 80
    https_port: int = 443
    metrics_port: int | None = None
    debug: bool = False
    log_max_size: str = "10m"
    publish: bool = True
    bind_ips: tuple[str, ...] = ()
    registry: str | None = None
    repository: str = "basecamp/kamal-proxy"
    version: str = "v0.9.2"
    options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ProxyConfig:
    """Settings for ``kamal-proxy deploy`` of one role or accessory (root proxy merged under role)."""

    hosts: tuple[str, ...] = ()
    app_port: int = 80
    ssl: bool = False
    ssl_certificate_pem_secret: str | None = None
    ssl_private_key_pem_secret: str | None = None
    ssl_redirect: bool | None = None
    forward_headers: bool | None = None
    response_timeout: int | None = None
    path_prefixes: tuple[str, ...] = ()
    strip_path_prefix: bool | None = None
    healthcheck_interval: int | None = None
    healthcheck_path: str | None = None
    healthcheck_timeout: int | None = None
    buffering_requests: bool = True
    buffering_responses: bool = True
    buffering_max_request_body: int | None = None
    buffering_max_response_body: int | None = None
    buffering_memory: int | None = None
    log_request_headers: tuple[str, ...] = ("Cache-Control", "Last-Modified", "User-Agent")
    log_response_headers: tuple[str, ...] = ()
    run: ProxyRunConfig | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def custom_ssl_certificate(self) -> bool:
        return self.ssl_certificate_pem_secret is not None


# --- roles and accessories ----------------------------------------------------------------------

DEFAULT_RESTART_POLICY = "unless-stopped"


def restart_policy_of(options: tuple[tuple[str, Any], ...]) -> str:
    """``options/restart`` (Kamal 2.12), else Kamal's fixed ``unless-stopped``."""
    return next((str(value) for key, value in options if key == "restart"), DEFAULT_RESTART_POLICY)


def docker_options_of(options: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, Any], ...]:
    """The ``docker run`` options other than the restart policy (which has its own flag)."""
    return tuple((key, value) for key, value in options if key != "restart")


@dataclass(frozen=True)
class Role:
    """One role of ``servers``: its hosts (with tags), command, env, labels, options and proxy."""

    name: str
    hosts: tuple[str, ...]
    host_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()  # host -> tags
    cmd: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # custom labels (root then role)
    logging: Logging = Logging()  # root logging deep-merged with the role's
    env: Env = Env()  # root env merged with the role's (add tag envs per host: Config.env_for)
    proxy: ProxyConfig | None = None  # root proxy deep-merged with the role's; None => no proxy
    asset_path: str | None = None
    service: str = ""
    destination: str | None = None
    stop_timeout: int | None = None  # the role's, else the top-level one (Kamal 2.12)

    @property
    def running_proxy(self) -> bool:
        return self.proxy is not None

    @property
    def container_prefix(self) -> str:
        parts = [self.service, self.name, self.destination]
        return "-".join(p for p in parts if p)

    def container_name(self, version: str) -> str:
        return f"{self.container_prefix}-{version}"

    def tags_for(self, host: str) -> tuple[str, ...]:
        return dict(self.host_tags).get(host, ())

    @property
    def primary_host(self) -> str | None:
        return self.hosts[0] if self.hosts else None

    @property
    def ssl(self) -> bool:
        return self.proxy is not None and self.proxy.ssl


@dataclass(frozen=True)
class AccessoryFile:
    """One entry of an accessory's ``files``: a local file copied to a path on its hosts."""

    local: str
    remote: str
    mode: str | None = None
    owner: str | None = None
    options: str | None = None


@dataclass(frozen=True)
class AccessoryDirectory:
    """One entry of an accessory's ``directories``: a host directory mounted in its container."""

    local: str
    remote: str
    mode: str | None = None
    owner: str | None = None
    options: str | None = None


@dataclass(frozen=True)
class Accessory:
    """One entry of ``accessories``: a container (database, cache…) beside the app."""

    name: str
    service: str  # container name, default "<service>-<name>"
    image: str  # with the accessory registry's server prefixed when set
    hosts: tuple[str, ...]
    registry: RegistryConfig | None = None
    cmd: str | None = None
    port: str | None = None  # publish spec ("N:N" or full)
    labels: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    env: Env = Env()
    files: tuple[AccessoryFile, ...] = ()
    directories: tuple[AccessoryDirectory, ...] = ()
    volumes: tuple[str, ...] = ()
    network: str = "kamal"
    proxy: ProxyConfig | None = None


def _default_extensions() -> Extensions:
    from pykamal.config.extensions import Extensions

    return Extensions()


# --- the whole configuration --------------------------------------------------------------------


class _LazyVersion:
    """``Config.version``: given explicitly, or worked out on first use (``VERSION`` env, git HEAD).

    Lazy because finding it runs git, and commands that never need a version must not fail
    outside a git repository. Still an ordinary init field: ``Config(version="abc")`` and
    ``dataclasses.replace(config, version="abc")`` work.
    """

    def __get__(self, obj: Config | None, objtype: type | None = None) -> str:
        if obj is None:
            return None  # type: ignore[return-value]  # the field default: "work it out"
        cache = obj.__dict__
        if cache.get("_version") is None:
            from pykamal.config.version import resolve_version

            cache["_version"] = resolve_version(obj.declared_version, builder_context=obj.builder.context)
        return str(cache["_version"])

    def __set__(self, obj: Config, value: str | None) -> None:
        if isinstance(value, _LazyVersion):  # the dataclass default
            value = None
        obj.__dict__["_version"] = value
        obj.__dict__["_declared_version"] = value


@dataclass(frozen=True)
class Config:
    """The whole configuration of one deploy.yml (and destination), validated and immutable."""

    service: str
    image: str
    version: _LazyVersion = field(default=_LazyVersion(), repr=False, compare=False)
    destination: str | None = None
    config_file: str = "config/deploy.yml"  # path as given (relative paths resolved from the cwd)
    registry: RegistryConfig = RegistryConfig()
    roles: tuple[Role, ...] = ()  # primary role first, then alphabetical (Kamal's execution order)
    primary_role_name: str = "web"
    accessories: tuple[Accessory, ...] = ()
    builder: BuilderConfig = BuilderConfig()
    ssh: SshConfig = SshConfig()
    sshkit: SshkitConfig = SshkitConfig()
    boot: BootConfig = BootConfig()
    logging: Logging = Logging()
    env: Env = Env()
    env_tags: tuple[tuple[str, Env], ...] = ()
    proxy: ProxyConfig | None = None  # root proxy section (roles carry their merged copy)
    volumes: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    asset_path: str | None = None
    hooks_path: str = ".kamal/hooks"
    hooks_output: Any = None
    secrets_path: str = ".kamal/secrets"
    error_pages_path: str | None = None
    require_destination: bool = False
    allow_empty_roles: bool = False
    retain_containers: int = 5
    minimum_version: str | None = None
    readiness_delay: int = 7
    deploy_timeout: int = 30
    drain_timeout: int = 30
    stop_timeout: int | None = None  # Kamal 2.12; roles carry the value that applies to them
    output: OutputConfig = OutputConfig()
    run_directory: str = ".kamal"  # accepted for compatibility; Kamal 2.11 always uses .kamal
    extensions: Extensions = field(default_factory=lambda: _default_extensions())  # x-pykamal
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # the run's one secrets store (the loader makes it; nothing is read until a value is looked up)
    secrets: Secrets = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.secrets is None:  # built directly rather than by the loader
            from pykamal.secrets import Secrets

            object.__setattr__(self, "secrets", Secrets(self.secrets_path, self.destination))

    # --- version (lazy) -------------------------------------------------------------------------
    @property
    def declared_version(self) -> str | None:
        """The version given with ``--version`` (or to the constructor), if any."""
        value = self.__dict__.get("_declared_version")
        return str(value) if value is not None else None

    def with_version(self, version: str) -> Config:
        """This configuration acting on another version (same secrets store)."""
        return dataclasses.replace(self, version=version)

    def secret(self, name: str) -> Sensitive:
        return Sensitive(self.secrets.get(name))

    def registry_username(self) -> str | Sensitive | None:
        return self.registry.resolve_username(self.secrets)

    def registry_password(self) -> Sensitive | None:
        return self.registry.resolve_password(self.secrets)

    def ssh_key_data(self) -> list[Sensitive]:
        """``ssh.key_data``: secret values; an entry that is not a secret name is an inline key."""
        keys = []
        for entry in self.ssh.key_data_secrets:
            keys.append(Sensitive(self.secrets.get(entry) if self.secrets.present(entry) else entry))
        return keys

    def hooks_output_for(self, hook: str) -> str | None:
        if isinstance(self.hooks_output, dict):
            level = self.hooks_output.get(hook)
            return None if level is None else str(level)
        return None if self.hooks_output is None else str(self.hooks_output)

    def env_for(self, role: Role, host: str) -> Env:
        """The env of ``role`` on ``host``: root, then role, then each tag the host carries."""
        from pykamal.config.build import merge_envs

        tags = dict(self.env_tags)
        return merge_envs(role.env, *(tags[t] for t in role.tags_for(host) if t in tags))

    # --- names -------------------------------------------------------------------------------
    @property
    def service_and_destination(self) -> str:
        return f"{self.service}-{self.destination}" if self.destination else self.service

    @property
    def repository(self) -> str:
        return "/".join(p for p in (self.registry.server, self.image) if p)

    @property
    def absolute_image(self) -> str:
        return f"{self.repository}:{self.version}"

    @property
    def latest_tag(self) -> str:
        return f"latest-{self.destination}" if self.destination else "latest"

    @property
    def latest_image(self) -> str:
        return f"{self.repository}:{self.latest_tag}"

    @property
    def abbreviated_version(self) -> str:
        return self.version if "_" in self.version else self.version[:7]

    @property
    def service_with_version(self) -> str:
        return f"{self.service}-{self.version}"

    # --- hosts and roles ---------------------------------------------------------------------
    @property
    def primary_role(self) -> Role:
        for role in self.roles:
            if role.name == self.primary_role_name:
                return role
        from pykamal.errors import ConfigError

        raise ConfigError(f"The primary_role {self.primary_role_name} isn't defined")

    @property
    def primary_host(self) -> str:
        hosts = self.primary_role.hosts
        if not hosts:
            from pykamal.errors import ConfigError

            raise ConfigError(f"No servers specified for the {self.primary_role_name} primary_role")
        return hosts[0]

    @property
    def role_names(self) -> tuple[str, ...]:
        """Alphabetical, as Kamal lists them."""
        return tuple(sorted(role.name for role in self.roles))

    @property
    def all_hosts(self) -> tuple[str, ...]:
        """Hosts of every role (alphabetical role order) then of accessories, without duplicates.

        This is Kamal's ``config.all_hosts``; for execution order (primary role's hosts first) use
        ``pykamal.config.selection.select``.
        """
        seen: dict[str, None] = {}
        for role in sorted(self.roles, key=lambda r: r.name):
            for host in role.hosts:
                seen.setdefault(host, None)
        for accessory in self.accessories:
            for host in accessory.hosts:
                seen.setdefault(host, None)
        return tuple(seen)

    @property
    def app_hosts(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for role in sorted(self.roles, key=lambda r: r.name):
            for host in role.hosts:
                seen.setdefault(host, None)
        return tuple(seen)

    @property
    def proxy_hosts(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for role in sorted(self.roles, key=lambda r: r.name):
            if role.running_proxy:
                for host in role.hosts:
                    seen.setdefault(host, None)
        for accessory in self.accessories:
            if accessory.proxy is not None:
                for host in accessory.hosts:
                    seen.setdefault(host, None)
        return tuple(seen)

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise LookupError(name)

    def roles_on(self, host: str) -> tuple[Role, ...]:
        return tuple(r for r in self.roles if host in r.hosts)

    def accessory(self, name: str) -> Accessory:
        for accessory in self.accessories:
            if accessory.name == name:
                return accessory
        raise LookupError(name)

    # --- remote layout (relative to the SSH user's home, as Kamal's) ---------------------------
    @property
    def apps_directory(self) -> str:
        return f".kamal/apps/{self.service_and_destination}"

    def role_env_file(self, role: Role) -> str:
        return f"{self.apps_directory}/env/roles/{role.name}.env"

    def accessory_env_file(self, accessory: Accessory) -> str:
        return f"{self.apps_directory}/env/accessories/{accessory.name}.env"

    @property
    def lock_directory(self) -> str:
        return f".kamal/lock-{self.service_and_destination}"

    @property
    def audit_log_file(self) -> str:
        return f".kamal/{self.service_and_destination}-audit.log"

    @property
    def proxy_directory(self) -> str:
        return ".kamal/proxy"

    @property
    def proxy_apps_config_directory(self) -> str:
        return f".kamal/proxy/apps-config/{self.service_and_destination}"
