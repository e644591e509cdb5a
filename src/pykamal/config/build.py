"""Turn validated deploy.yml data into the typed ``Config``, running Kamal's whole-config checks.

The checks that need more than one section (primary role, SSL hosts, conflicting proxy settings,
…) run here in Kamal's order, after ``validate.validate`` has checked every section's shape.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from pykamal import KAMAL_COMPAT_VERSION
from pykamal.config import extensions, model, names, validate
from pykamal.config.rubyish import blank, deep_merge, present, to_s, truthy
from pykamal.errors import ConfigError
from pykamal.secrets import Secrets

if TYPE_CHECKING:
    from pykamal.secrets.substitution import InlineRunner

DEFAULT_LOG_REQUEST_HEADERS = ("Cache-Control", "Last-Modified", "User-Agent")


def build_config(
    raw: dict[Any, Any],
    *,
    config_file: str,
    destination: str | None,
    version: str | None,
    secrets_inline: InlineRunner | None = None,
) -> model.Config:
    if version:
        problem = names.tag_problem(version)
        if problem:
            raise ConfigError(f"--version: {problem}")
    service = to_s(raw.get("service")) if raw.get("service") is not None else ""
    role_hosts = {name: _tagged_hosts(raw, name) for name in _role_names(raw)}
    registry = _registry(raw.get("registry") or {})
    image = _image(raw, registry)

    _ensure_destination(raw, destination)
    _ensure_required_keys(raw, image, role_hosts)
    _ensure_minimum_version(raw.get("minimum_version"))
    retain = raw.get("retain_containers")
    if retain is not None and retain < 1:
        raise ConfigError("Must retain at least 1 container")
    if not re.fullmatch(r"[a-z0-9_-]+", service, re.IGNORECASE):
        raise ConfigError("Service name can only include alphanumeric characters, hyphens, and underscores")
    _ensure_no_traefik_hooks(to_s(raw.get("hooks_path") or ".kamal/hooks"))

    root_proxy_raw: dict[Any, Any] = raw["proxy"] if isinstance(raw.get("proxy"), dict) else {}
    role_proxies = _role_proxies(raw, role_hosts, root_proxy_raw)
    accessories = tuple(
        _accessory(name, acc, service, destination, raw, role_hosts)
        for name, acc in (raw.get("accessories") or {}).items()
    )
    _ensure_unique_ssl_hosts(role_proxies)
    builder = _builder(raw.get("builder") or {})
    if registry.is_local and _remote_builds(builder) and not _is_ssh_url(builder.remote or ""):
        raise ConfigError("Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)")

    env = env_from(raw.get("env") or {})
    logging_raw = raw.get("logging") or {}
    roles = _roles(raw, service, destination, role_hosts, role_proxies, env, logging_raw)
    all_hosts = _all_hosts(roles, accessories)
    _ensure_no_conflicting_proxy_runs(all_hosts, roles, accessories)
    _ensure_valid_hooks_output(raw.get("hooks_output"))

    primary_role_name = to_s(raw.get("primary_role") or "web")
    secrets_path = to_s(raw.get("secrets_path") or ".kamal/secrets")
    return model.Config(
        service=service,
        image=image or "",
        version=version or None,
        destination=destination,
        config_file=config_file,
        registry=registry,
        roles=_execution_order(roles, primary_role_name),
        primary_role_name=primary_role_name,
        accessories=accessories,
        builder=builder,
        ssh=_ssh(raw.get("ssh") or {}),
        sshkit=_sshkit(raw.get("sshkit") or {}),
        boot=_boot(raw.get("boot") or {}, len(all_hosts)),
        logging=logging_from(logging_raw),
        env=env,
        env_tags=tuple(
            (to_s(tag), env_from(tag_env))
            for tag, tag_env in ((raw.get("env") or {}).get("tags") or {}).items()
        ),
        proxy=proxy_from(root_proxy_raw) if raw.get("proxy") is not None else None,
        volumes=tuple(to_s(v) for v in raw.get("volumes") or ()),
        labels=tuple((to_s(k), v) for k, v in (raw.get("labels") or {}).items()),
        aliases=tuple((to_s(k), to_s(v)) for k, v in (raw.get("aliases") or {}).items()),
        asset_path=_optional_str(raw.get("asset_path")),
        hooks_path=to_s(raw.get("hooks_path") or ".kamal/hooks"),
        hooks_output=raw.get("hooks_output"),
        secrets_path=secrets_path,
        error_pages_path=_optional_str(raw.get("error_pages_path")),
        require_destination=bool(raw.get("require_destination")),
        allow_empty_roles=bool(raw.get("allow_empty_roles")),
        retain_containers=_int_or(retain, 5),
        minimum_version=_optional_str(raw.get("minimum_version")),
        readiness_delay=_int_or(raw.get("readiness_delay"), 7),
        deploy_timeout=_int_or(raw.get("deploy_timeout"), 30),
        drain_timeout=_int_or(raw.get("drain_timeout"), 30),
        stop_timeout=raw.get("stop_timeout"),
        output=_output(raw.get("output") or {}),
        extensions=extensions.build(raw, roles, primary_role_name),
        raw=raw,
        secrets=Secrets(secrets_path, destination, inline=secrets_inline),
    )


# --- whole-config checks ------------------------------------------------------------------------


def _ensure_destination(raw: dict[Any, Any], destination: str | None) -> None:
    if raw.get("require_destination") and destination is None:
        raise ConfigError("You must specify a destination")


def _ensure_required_keys(
    raw: dict[Any, Any], image: str | None, role_hosts: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    for key in ("service", "registry"):
        if blank(raw.get(key)):
            raise ConfigError(f"Missing required configuration for {key}")
    if blank(image):
        raise ConfigError("Missing required configuration for image")
    if raw.get("servers") is None:
        if blank(raw.get("accessories")):
            raise ConfigError("No servers or accessories specified")
        return
    primary = to_s(raw.get("primary_role") or "web")
    if primary not in role_hosts:
        raise ConfigError(f"The primary_role {primary} isn't defined")
    if not role_hosts[primary]:
        raise ConfigError(f"No servers specified for the {primary} primary_role")
    if not raw.get("allow_empty_roles"):
        for name in sorted(role_hosts):
            if not role_hosts[name]:
                raise ConfigError(
                    f"No servers specified for the {name} role. "
                    "You can ignore this with allow_empty_roles: true"
                )


def _ensure_minimum_version(minimum: Any) -> None:
    if minimum is None or minimum is False:
        return
    required = gem_version(to_s(minimum))
    if required > gem_version(KAMAL_COMPAT_VERSION):
        raise ConfigError(f"Current version is {KAMAL_COMPAT_VERSION}, minimum required is {to_s(minimum)}")


def gem_version(text: str) -> tuple[Any, ...]:
    """A sortable key with RubyGems' ordering (``1.2.0 == 1.2``, ``1.2.rc1 < 1.2``)."""
    if not re.fullmatch(r"\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*", text):
        raise ConfigError(f"Malformed version number string {text}")
    normalized = text.strip().replace("-", ".pre.") or "0"
    segments: list[Any] = [int(s) if s.isdigit() else s for s in re.findall(r"[0-9]+|[a-zA-Z]+", normalized)]
    while len(segments) > 1 and segments[-1] == 0:
        segments.pop()
    # numbers sort after letters (a pre-release is older than the release)
    return tuple((1, s, "") if isinstance(s, int) else (0, 0, s) for s in segments) + ((1, 0, ""),) * 8


def _ensure_no_traefik_hooks(hooks_path: str) -> None:
    found = [
        h
        for h in ("pre-traefik-reboot", "post-traefik-reboot")
        if os.path.exists(os.path.join(hooks_path, h))
    ]
    if found:
        raise ConfigError(f"Found {', '.join(found)}, these should be renamed to (pre|post)-proxy-reboot")


def _ensure_unique_ssl_hosts(role_proxies: dict[str, dict[Any, Any] | None]) -> None:
    counts: dict[str, int] = {}
    for name in sorted(role_proxies):
        proxy = role_proxies[name]
        if proxy is not None and truthy(proxy.get("ssl")):
            for host in proxy_from(proxy).hosts:
                counts[host] = counts.get(host, 0) + 1
    duplicates = [host for host, count in counts.items() if count > 1]
    if duplicates:
        raise ConfigError(f"Different roles can't share the same host for SSL: {', '.join(duplicates)}")


def _is_ssh_url(url: str) -> bool:
    from urllib.parse import urlparse

    return urlparse(url).scheme == "ssh"


def _remote_builds(builder: model.BuilderConfig) -> bool:
    if not builder.remote:
        return False
    if not builder.local:
        return bool(builder.arches)
    import platform

    machine = platform.machine().lower()
    local_arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return any(arch != local_arch for arch in builder.arches)


def _ensure_no_conflicting_proxy_runs(
    all_hosts: tuple[str, ...], roles: list[model.Role], accessories: tuple[model.Accessory, ...]
) -> None:
    # Compared by value: two roles on one host may share identical proxy.run settings.
    parts: list[model.Role | model.Accessory] = [*roles, *accessories]
    for host in all_hosts:
        runs = {
            repr(part.proxy.run)
            for part in parts
            if host in part.hosts and part.proxy is not None and part.proxy.run is not None
        }
        if len(runs) > 1:
            raise ConfigError(f"Conflicting proxy run configurations for host {host}")


def _ensure_valid_hooks_output(value: Any) -> None:
    levels = ("quiet", "verbose")
    message = "Invalid hooks_output '{level}'{where}, must be one of: quiet, verbose"
    if isinstance(value, dict):
        for hook, level in value.items():
            if to_s(level) not in levels:
                raise ConfigError(message.format(level=to_s(level), where=f" for hook '{to_s(hook)}'"))
    elif value is not None and to_s(value) not in levels:
        raise ConfigError(message.format(level=to_s(value), where=""))


# --- servers and roles --------------------------------------------------------------------------


def _role_names(raw: dict[Any, Any]) -> list[str]:
    servers = raw.get("servers")
    if isinstance(servers, list):
        return ["web"]
    if isinstance(servers, dict):
        return sorted(to_s(name) for name in servers)
    return []


def _role_entries(raw: dict[Any, Any], name: str) -> list[Any]:
    servers = raw.get("servers")
    if isinstance(servers, list):
        return servers
    assert isinstance(servers, dict)
    role = next(value for key, value in servers.items() if to_s(key) == name)
    if isinstance(role, list):
        return role
    return list(role.get("hosts") or [])


def _tagged_hosts(raw: dict[Any, Any], name: str) -> dict[str, tuple[str, ...]]:
    """host -> tags for one role, in the order written (a repeated host keeps its first place)."""
    hosts: dict[str, tuple[str, ...]] = {}
    for entry in _role_entries(raw, name):
        if isinstance(entry, dict):
            host, tags = next(iter(entry.items()))
            hosts[to_s(host)] = tuple(to_s(t) for t in (tags if isinstance(tags, list) else [tags]))
        elif entry is not None:
            hosts[to_s(entry)] = ()
    return hosts


def _role_config(raw: dict[Any, Any], name: str) -> dict[Any, Any]:
    servers = raw.get("servers")
    if isinstance(servers, dict):
        role = next(value for key, value in servers.items() if to_s(key) == name)
        if isinstance(role, dict):
            return role
    return {}


def _role_proxies(
    raw: dict[Any, Any], role_hosts: dict[str, dict[str, tuple[str, ...]]], root_proxy: dict[Any, Any]
) -> dict[str, dict[Any, Any] | None]:
    """Each role's proxy settings (root deep-merged with the role's), None when not proxied."""
    primary = to_s(raw.get("primary_role") or "web")
    proxies: dict[str, dict[Any, Any] | None] = {}
    for name in sorted(role_hosts):
        own = _role_config(raw, name).get("proxy")
        running = own is not False if name == primary else truthy(own)
        if not running:
            proxies[name] = None
            continue
        merged = deep_merge(root_proxy, own if isinstance(own, dict) else {})
        validate.validate_proxy(merged, "proxy")
        hosts = role_hosts[name]
        if truthy(merged.get("ssl")) and len(hosts) > 1 and not _custom_certificate(merged):
            raise ConfigError(
                "SSL is only supported on a single server unless you provide custom certificates, "
                f"found {len(hosts)} servers for role {name}"
            )
        proxies[name] = merged
    return proxies


def _roles(
    raw: dict[Any, Any],
    service: str,
    destination: str | None,
    role_hosts: dict[str, dict[str, tuple[str, ...]]],
    role_proxies: dict[str, dict[Any, Any] | None],
    root_env: model.Env,
    root_logging: dict[Any, Any],
) -> list[model.Role]:
    roles = []
    root_labels = raw.get("labels") or {}
    for name in sorted(role_hosts):
        own = _role_config(raw, name)
        proxy = role_proxies[name]
        roles.append(
            model.Role(
                name=name,
                hosts=tuple(role_hosts[name]),
                host_tags=tuple((host, tags) for host, tags in role_hosts[name].items()),
                cmd=_optional_str(own.get("cmd")),
                options=tuple((to_s(k), v) for k, v in (own.get("options") or {}).items()),
                labels=tuple((to_s(k), v) for k, v in {**root_labels, **(own.get("labels") or {})}.items()),
                logging=logging_from(deep_merge(root_logging, own.get("logging") or {})),
                env=merge_envs(root_env, env_from(own.get("env") or {})),
                proxy=proxy_from(proxy) if proxy is not None else None,
                asset_path=_optional_str(own.get("asset_path")),
                service=service,
                destination=destination,
                stop_timeout=_first_set(own.get("stop_timeout"), raw.get("stop_timeout")),
            )
        )
    return roles


def _execution_order(roles: list[model.Role], primary: str) -> tuple[model.Role, ...]:
    return tuple(sorted(roles, key=lambda role: role.name != primary))


def _all_hosts(roles: list[model.Role], accessories: tuple[model.Accessory, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    parts: list[model.Role | model.Accessory] = [*roles, *accessories]
    for part in parts:
        for host in part.hosts:
            seen.setdefault(host, None)
    return tuple(seen)


# --- env, logging, proxy ------------------------------------------------------------------------


def env_from(raw: dict[Any, Any]) -> model.Env:
    complex_form = "clear" in raw or "secret" in raw or "tags" in raw
    clear = raw.get("clear") or {} if complex_form else raw
    secrets = [to_s(s) for s in raw.get("secret") or []] if complex_form else []
    return model.Env(clear=tuple((to_s(k), v) for k, v in clear.items()), secret_keys=_secret_pairs(secrets))


def _secret_pairs(keys: list[str]) -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for key in keys:
        name, _, aliased = key.partition(":")
        pairs[name] = aliased if ":" in key else name
    return tuple(pairs.items())


def merge_envs(*envs: model.Env) -> model.Env:
    """Clear values: later wins. Secret keys: united; a name seen again takes the later secret."""
    clear: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for env in envs:
        clear.update(env.clear)
        secrets.update(env.secret_keys)
    return model.Env(clear=tuple(clear.items()), secret_keys=tuple(secrets.items()))


def logging_from(raw: dict[Any, Any]) -> model.Logging:
    driver = raw.get("driver")
    return model.Logging(
        driver=None if driver is None else to_s(driver),
        options=tuple((to_s(k), v) for k, v in (raw.get("options") or {}).items()),
    )


def _custom_certificate(proxy: dict[Any, Any]) -> bool:
    ssl = proxy.get("ssl")
    return (
        isinstance(ssl, dict) and present(ssl.get("certificate_pem")) and present(ssl.get("private_key_pem"))
    )


def _ruby_split(text: str, separator: str = ",") -> list[str]:
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def proxy_from(raw: dict[Any, Any]) -> model.ProxyConfig:
    if raw.get("hosts") is not None:
        hosts = [to_s(next(iter(h)) if isinstance(h, dict) else h) for h in raw["hosts"]]
    elif raw.get("host") is not None:
        hosts = _ruby_split(to_s(raw["host"]))
    else:
        hosts = []
    if raw.get("path_prefixes") is not None:
        prefixes = [to_s(p) for p in raw["path_prefixes"]]
    elif raw.get("path_prefix") is not None:
        prefixes = _ruby_split(to_s(raw["path_prefix"]))
    else:
        prefixes = []
    ssl = raw.get("ssl", False)
    custom = _custom_certificate(raw)
    healthcheck = raw.get("healthcheck") or {}
    buffering = raw.get("buffering") or {}
    logging = raw.get("logging") or {}
    request_headers = logging.get("request_headers")
    run = raw.get("run")
    return model.ProxyConfig(
        hosts=tuple(hosts),
        app_port=raw.get("app_port", 80),
        ssl=ssl is not None and ssl is not False,
        ssl_certificate_pem_secret=to_s(ssl["certificate_pem"]) if custom else None,
        ssl_private_key_pem_secret=to_s(ssl["private_key_pem"]) if custom else None,
        ssl_redirect=raw.get("ssl_redirect"),
        forward_headers=raw.get("forward_headers"),
        response_timeout=raw.get("response_timeout"),
        path_prefixes=tuple(prefixes),
        strip_path_prefix=raw.get("strip_path_prefix"),
        healthcheck_interval=healthcheck.get("interval"),
        healthcheck_path=_optional_str(healthcheck.get("path")),
        healthcheck_timeout=healthcheck.get("timeout"),
        buffering_requests=buffering.get("requests", True),
        buffering_responses=buffering.get("responses", True),
        buffering_max_request_body=buffering.get("max_request_body"),
        buffering_max_response_body=buffering.get("max_response_body"),
        buffering_memory=buffering.get("memory"),
        log_request_headers=DEFAULT_LOG_REQUEST_HEADERS
        if request_headers is None
        else tuple(to_s(h) for h in request_headers),
        log_response_headers=tuple(to_s(h) for h in logging.get("response_headers") or ()),
        run=_proxy_run(run) if isinstance(run, dict) and run else None,
        raw=raw,
    )


def _proxy_run(raw: dict[Any, Any]) -> model.ProxyRunConfig:
    return model.ProxyRunConfig(
        http_port=raw.get("http_port", 80),
        https_port=raw.get("https_port", 443),
        metrics_port=raw.get("metrics_port"),
        debug=bool(raw.get("debug")),
        log_max_size=to_s(raw.get("log_max_size", "10m")),
        publish=raw.get("publish", True) is not False,
        bind_ips=tuple(to_s(ip) for ip in raw.get("bind_ips") or ()),
        registry=_optional_str(raw.get("registry")),
        repository=to_s(raw.get("repository", "basecamp/kamal-proxy")),
        version=to_s(raw.get("version", "v0.9.2")),
        options=tuple((to_s(k), v) for k, v in (raw.get("options") or {}).items()),
    )


# --- registry, accessories ----------------------------------------------------------------------


def _credential(value: Any) -> str | model.SecretRef | None:
    if isinstance(value, list):
        return model.SecretRef(to_s(value[0])) if value else None
    return None if value is None else to_s(value)


def _registry(raw: dict[Any, Any]) -> model.RegistryConfig:
    return model.RegistryConfig(
        server=_optional_str(raw.get("server")),
        username=_credential(raw.get("username")),
        password=_credential(raw.get("password")),
    )


def _image(raw: dict[Any, Any], registry: model.RegistryConfig) -> str | None:
    image = raw.get("image")
    if present(image):
        return to_s(image)
    if registry.is_local and raw.get("service") is not None:
        return to_s(raw["service"])
    return None


def _accessory(
    name: Any,
    raw: dict[Any, Any],
    service: str,
    destination: str | None,
    config_raw: dict[Any, Any],
    role_hosts: dict[str, dict[str, tuple[str, ...]]],
) -> model.Accessory:
    registry = _registry(raw["registry"]) if present(raw.get("registry")) else None
    image = "/".join(p for p in ((registry.server if registry else None), to_s(raw.get("image"))) if p)
    port = raw.get("port")
    port_spec = None
    if port is not None:
        port_spec = to_s(port) if ":" in to_s(port) else f"{to_s(port)}:{to_s(port)}"
    return model.Accessory(
        name=to_s(name),
        service=to_s(raw.get("service") or f"{service}-{to_s(name)}"),
        image=image,
        hosts=_accessory_hosts(raw, config_raw, role_hosts),
        registry=registry,
        cmd=_optional_str(raw.get("cmd")),
        port=port_spec,
        labels=tuple((to_s(k), v) for k, v in (raw.get("labels") or {}).items()),
        options=tuple((to_s(k), v) for k, v in (raw.get("options") or {}).items()),
        env=env_from(raw.get("env") or {}),
        files=tuple(_path_entry(model.AccessoryFile, entry, "755") for entry in raw.get("files") or ()),
        directories=tuple(
            _path_entry(model.AccessoryDirectory, entry, None) for entry in raw.get("directories") or ()
        ),
        volumes=tuple(to_s(v) for v in raw.get("volumes") or ()),
        network=to_s(raw.get("network") or "kamal"),
        proxy=proxy_from(raw["proxy"]) if present(raw.get("proxy")) else None,
    )


def _accessory_hosts(
    raw: dict[Any, Any], config_raw: dict[Any, Any], role_hosts: dict[str, dict[str, tuple[str, ...]]]
) -> tuple[str, ...]:
    hosts: list[str] = []
    if "host" in raw:
        hosts = [to_s(raw["host"])]
    elif "hosts" in raw:
        hosts = [to_s(next(iter(h)) if isinstance(h, dict) else h) for h in raw["hosts"] or ()]
    elif "role" in raw:
        hosts = list(role_hosts.get(to_s(raw["role"]), {}))
    elif "roles" in raw:
        hosts = [host for role in raw["roles"] for host in role_hosts.get(to_s(role), {})]
    elif "tag" in raw or "tags" in raw:
        wanted = [to_s(raw["tag"])] if "tag" in raw else [to_s(t) for t in raw["tags"]]
        # Every role's tagged hosts (Kamal 2.11 only looks at roles written as a plain list).
        for tag in wanted:
            for name in sorted(role_hosts):
                hosts += [host for host, tags in role_hosts[name].items() if tag in tags]
    return tuple(dict.fromkeys(hosts))


def _path_entry(kind: Any, entry: Any, default_mode: str | None) -> Any:
    if isinstance(entry, dict):
        return kind(
            local=to_s(entry.get("local")),
            remote=to_s(entry.get("remote")),
            mode=_optional_str(entry.get("mode")) or default_mode,
            owner=_optional_str(entry.get("owner")),
            options=_optional_str(entry.get("options")),
        )
    local, _, rest = to_s(entry).partition(":")
    remote, _, options = rest.partition(":")
    return kind(local=local, remote=remote, mode=default_mode, owner=None, options=options or None)


# --- builder, ssh, sshkit, boot -----------------------------------------------------------------


def _builder(raw: dict[Any, Any]) -> model.BuilderConfig:
    arch = raw.get("arch")
    pack = raw.get("pack") or {}
    cache = raw.get("cache")
    return model.BuilderConfig(
        arches=tuple(
            to_s(a) for a in (arch if isinstance(arch, list) else [arch] if arch is not None else [])
        ),
        remote=_optional_str(raw.get("remote")),
        local=raw.get("local") is not False,
        driver=to_s(raw.get("driver", "docker-container")),
        pack_builder=_optional_str(pack.get("builder")) if raw.get("pack") else None,
        pack_buildpacks=tuple(to_s(b) for b in pack.get("buildpacks") or ()),
        cache=model.BuilderCache(
            type=to_s(cache.get("type")),
            options=_optional_str(cache.get("options")),
            image=_optional_str(cache.get("image")),
        )
        if cache
        else None,
        context=_optional_str(raw.get("context")),
        dockerfile=to_s(raw.get("dockerfile") or "Dockerfile"),
        target=_optional_str(raw.get("target")),
        args=tuple((to_s(k), v) for k, v in (raw.get("args") or {}).items()),
        secrets=tuple(to_s(s) for s in raw.get("secrets") or ()),
        ssh=_optional_str(raw.get("ssh")),
        provenance=raw.get("provenance"),
        sbom=raw.get("sbom"),
    )


def _ssh(raw: dict[Any, Any]) -> model.SshConfig:
    config = raw.get("config", True)
    return model.SshConfig(
        user=to_s(raw.get("user", "root")),
        port=int(to_s(raw.get("port", 22)).strip()),
        proxy=_optional_str(raw.get("proxy")),
        proxy_command=_optional_str(raw.get("proxy_command")),
        log_level=to_s(raw.get("log_level", "fatal")),
        keys_only=raw.get("keys_only"),
        keys=tuple(to_s(k) for k in raw.get("keys") or ()),
        key_data_secrets=tuple(to_s(k) for k in raw.get("key_data") or ()),
        config=config
        if isinstance(config, bool)
        else (config,)
        if isinstance(config, str)
        else tuple(config),
        forward_agent=raw.get("forward_agent"),
    )


def _output(raw: dict[Any, Any]) -> model.OutputConfig:
    return model.OutputConfig(
        file_path=_optional_str((raw.get("file") or {}).get("path")),
        otel_endpoint=_optional_str((raw.get("otel") or {}).get("endpoint")),
    )


def _sshkit(raw: dict[Any, Any]) -> model.SshkitConfig:
    return model.SshkitConfig(
        max_concurrent_starts=_int_or(raw.get("max_concurrent_starts"), 30),
        pool_idle_timeout=_int_or(raw.get("pool_idle_timeout"), 900),
        dns_retries=_int_or(raw.get("dns_retries"), 3),
    )


def _boot(raw: dict[Any, Any], host_count: int) -> model.BootConfig:
    limit = raw.get("limit")
    if isinstance(limit, str) and limit.strip().endswith("%"):
        limit = max(host_count * int(limit.strip()[:-1]) // 100, 1)
    return model.BootConfig(
        limit=limit,
        wait=raw.get("wait"),
        parallel_roles=bool(raw.get("parallel_roles")),
    )


def _first_set(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _optional_str(value: Any) -> str | None:
    return None if value is None else to_s(value)


def _int_or(value: Any, default: int) -> int:
    return default if value is None else int(value)
