"""Build model objects from a deploy.yml-shaped dict, for command builder tests.

A deliberately small stand-in for the config loader (no validation, no files): it applies the
defaults and merges the builders rely on (role proxy over root proxy, root env under role env,
primary role first) so fixtures can state their input the way a user writes deploy.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pykamal.commands.base import Sensitive
from pykamal.config.model import (
    Accessory,
    AccessoryDirectory,
    AccessoryFile,
    BootConfig,
    BuilderCache,
    BuilderConfig,
    Config,
    Env,
    Logging,
    ProxyConfig,
    ProxyRunConfig,
    RegistryConfig,
    Role,
    SshConfig,
)

DEFAULT_LOG_REQUEST_HEADERS = ("Cache-Control", "Last-Modified", "User-Agent")


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _secret_ref(value: Any, secrets: Mapping[str, str]) -> str | Sensitive | None:
    if isinstance(value, list):
        return Sensitive(secrets[value[0]])
    return value


def registry(raw: Mapping[str, Any] | None, secrets: Mapping[str, str]) -> RegistryConfig:
    raw = raw or {}
    password = _secret_ref(raw.get("password"), secrets)
    if isinstance(password, str):
        password = Sensitive(password)
    return RegistryConfig(
        server=raw.get("server"),
        username=_secret_ref(raw.get("username"), secrets),
        password=password,
    )


def env(raw: Mapping[str, Any] | None) -> Env:
    raw = raw or {}
    complex_form = any(k in raw for k in ("clear", "secret", "tags"))
    clear = raw.get("clear", {}) if complex_form else raw
    secret_keys = []
    for key in raw.get("secret", []) if complex_form else []:
        name, _, secret = key.partition(":")
        secret_keys.append((name, secret or name))
    return Env(clear=tuple((k, v) for k, v in clear.items()), secret_keys=tuple(secret_keys))


def merge_env(a: Env, b: Env) -> Env:
    clear = {**dict(a.clear), **dict(b.clear)}
    keys = dict.fromkeys([*a.secret_keys, *b.secret_keys])
    return Env(clear=tuple(clear.items()), secret_keys=tuple(keys))


def logging(raw: Mapping[str, Any] | None) -> Logging:
    raw = raw or {}
    return Logging(driver=raw.get("driver"), options=tuple(raw.get("options", {}).items()))


def proxy(raw: Mapping[str, Any]) -> ProxyConfig:
    ssl = raw.get("ssl", False)
    health = raw.get("healthcheck", {})
    buffering = raw.get("buffering", {})
    log = raw.get("logging", {})
    hosts = raw.get("hosts") or (raw["host"].split(",") if raw.get("host") else [])
    prefixes = raw.get("path_prefixes") or (raw["path_prefix"].split(",") if raw.get("path_prefix") else [])
    run = raw.get("run")
    return ProxyConfig(
        hosts=tuple(hosts),
        app_port=raw.get("app_port", 80),
        ssl=bool(ssl),
        ssl_certificate_pem_secret=ssl.get("certificate_pem") if isinstance(ssl, dict) else None,
        ssl_private_key_pem_secret=ssl.get("private_key_pem") if isinstance(ssl, dict) else None,
        ssl_redirect=raw.get("ssl_redirect"),
        forward_headers=raw.get("forward_headers"),
        response_timeout=raw.get("response_timeout"),
        path_prefixes=tuple(prefixes),
        strip_path_prefix=raw.get("strip_path_prefix"),
        healthcheck_interval=health.get("interval"),
        healthcheck_path=health.get("path"),
        healthcheck_timeout=health.get("timeout"),
        buffering_requests=buffering.get("requests", True),
        buffering_responses=buffering.get("responses", True),
        buffering_max_request_body=buffering.get("max_request_body"),
        buffering_max_response_body=buffering.get("max_response_body"),
        buffering_memory=buffering.get("memory"),
        log_request_headers=tuple(log.get("request_headers", DEFAULT_LOG_REQUEST_HEADERS)),
        log_response_headers=tuple(log.get("response_headers", ())),
        run=proxy_run(run) if run else None,
        raw=dict(raw),
    )


def proxy_run(raw: Mapping[str, Any]) -> ProxyRunConfig:
    return ProxyRunConfig(
        http_port=raw.get("http_port", 80),
        https_port=raw.get("https_port", 443),
        metrics_port=raw.get("metrics_port"),
        debug=raw.get("debug", False),
        log_max_size=raw.get("log_max_size", "10m"),
        publish=raw.get("publish", True),
        bind_ips=tuple(raw.get("bind_ips", ())),
        registry=raw.get("registry"),
        repository=raw.get("repository", "basecamp/kamal-proxy"),
        version=raw.get("version", "v0.9.2"),
        options=tuple(raw.get("options", {}).items()),
    )


def _hosts_and_tags(entries: list[Any]) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    hosts: list[str] = []
    tags: list[tuple[str, tuple[str, ...]]] = []
    for entry in entries:
        if isinstance(entry, dict):
            host, host_tags = next(iter(entry.items()))
            hosts.append(host)
            tags.append((host, tuple(host_tags) if isinstance(host_tags, list) else (host_tags,)))
        else:
            hosts.append(entry)
    return tuple(hosts), tuple(tags)


def roles(raw: Mapping[str, Any], destination: str | None) -> tuple[Role, ...]:
    servers = raw["servers"]
    primary = raw.get("primary_role", "web")
    specs = {"web": servers} if isinstance(servers, list) else servers
    root_env = env(raw.get("env"))
    root_proxy = raw.get("proxy") or {}
    built = []
    for name in sorted(specs, key=lambda n: (n != primary, n)):
        spec = specs[name]
        entries = spec if isinstance(spec, list) else spec.get("hosts", [])
        details = {} if isinstance(spec, list) else spec
        hosts, tags = _hosts_and_tags(entries)
        role_proxy = details.get("proxy")
        running = role_proxy is not False if name == primary else bool(role_proxy)
        merged_proxy = None
        if running:
            merged_proxy = proxy(_deep_merge(root_proxy, role_proxy if isinstance(role_proxy, dict) else {}))
        built.append(
            Role(
                name=name,
                hosts=hosts,
                host_tags=tags,
                cmd=details.get("cmd"),
                options=tuple(details.get("options", {}).items()),
                labels=tuple({**raw.get("labels", {}), **details.get("labels", {})}.items()),
                logging=logging(details.get("logging")),
                env=merge_env(root_env, env(details.get("env"))),
                proxy=merged_proxy,
                asset_path=details.get("asset_path"),
                service=raw["service"],
                destination=destination,
            )
        )
    return tuple(built)


def _path_entries(raw: list[Any], cls: type[Any]) -> tuple[Any, ...]:
    out = []
    for entry in raw:
        if isinstance(entry, dict):
            out.append(
                cls(
                    local=entry["local"],
                    remote=entry["remote"],
                    mode=entry.get("mode"),
                    owner=entry.get("owner"),
                    options=entry.get("options"),
                )
            )
        else:
            local, remote, *options = entry.split(":", 2)
            out.append(cls(local=local, remote=remote, options=options[0] if options else None))
    return tuple(out)


def accessories(raw: Mapping[str, Any], built_roles: tuple[Role, ...], secrets: Mapping[str, str]) -> tuple:
    out = []
    for name, spec in (raw.get("accessories") or {}).items():
        reg = registry(spec["registry"], secrets) if spec.get("registry") else None
        if "host" in spec:
            hosts = (spec["host"],)
        elif "hosts" in spec:
            hosts = tuple(spec["hosts"])
        elif "role" in spec or "roles" in spec:
            wanted = [spec["role"]] if "role" in spec else spec["roles"]
            hosts = tuple(h for r in built_roles if r.name in wanted for h in r.hosts)
        else:
            wanted_tags = [spec["tag"]] if "tag" in spec else spec.get("tags", [])
            hosts = tuple(
                h for r in built_roles for h, tags in r.host_tags if any(t in tags for t in wanted_tags)
            )
        port = str(spec["port"]) if "port" in spec else None
        if port and ":" not in port:
            port = f"{port}:{port}"
        out.append(
            Accessory(
                name=name,
                service=spec.get("service", f"{raw['service']}-{name}"),
                image="/".join(p for p in (reg.server if reg else None, spec["image"]) if p),
                hosts=hosts,
                registry=reg,
                cmd=spec.get("cmd"),
                port=port,
                labels=tuple(spec.get("labels", {}).items()),
                options=tuple(spec.get("options", {}).items()),
                env=env(spec.get("env")),
                files=_path_entries(spec.get("files", []), AccessoryFile),
                directories=_path_entries(spec.get("directories", []), AccessoryDirectory),
                volumes=tuple(spec.get("volumes", ())),
                network=spec.get("network", "kamal"),
                proxy=proxy(spec["proxy"]) if spec.get("proxy") else None,
            )
        )
    return tuple(out)


def builder(raw: Mapping[str, Any] | None) -> BuilderConfig:
    raw = raw or {}
    arch = raw.get("arch", [])
    cache = raw.get("cache")
    pack = raw.get("pack")
    return BuilderConfig(
        arches=tuple(arch if isinstance(arch, list) else [arch]),
        remote=raw.get("remote"),
        local=raw.get("local", True),
        driver=raw.get("driver", "docker-container"),
        pack_builder=pack["builder"] if pack else None,
        pack_buildpacks=tuple(pack.get("buildpacks", ())) if pack else (),
        cache=BuilderCache(type=cache["type"], options=cache.get("options"), image=cache.get("image"))
        if cache
        else None,
        context=raw.get("context"),
        dockerfile=raw.get("dockerfile", "Dockerfile"),
        target=raw.get("target"),
        args=tuple(raw.get("args", {}).items()),
        secrets=tuple(raw.get("secrets", ())),
        ssh=raw.get("ssh"),
        provenance=raw.get("provenance"),
        sbom=raw.get("sbom"),
    )


def ssh(raw: Mapping[str, Any] | None) -> SshConfig:
    raw = raw or {}
    config = raw.get("config", True)
    if isinstance(config, str):
        config = (config,)
    elif isinstance(config, list):
        config = tuple(config)
    return SshConfig(
        user=raw.get("user", "root"),
        port=int(raw.get("port", 22)),
        proxy=raw.get("proxy"),
        proxy_command=raw.get("proxy_command"),
        keys_only=raw.get("keys_only"),
        keys=tuple(raw.get("keys", ())),
        config=config,
    )


def build_config(
    raw: Mapping[str, Any],
    *,
    version: str = "999",
    destination: str | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Config:
    secrets = secrets or {}
    reg = registry(raw.get("registry"), secrets)
    image = raw.get("image") or (raw["service"] if reg.is_local else "")
    built_roles = roles(raw, destination)
    raw_env = raw.get("env") or {}
    env_tags = tuple((tag, env(spec)) for tag, spec in (raw_env.get("tags") or {}).items())
    boot = raw.get("boot") or {}
    return Config(
        service=raw["service"],
        image=image,
        version=version,
        destination=destination,
        config_file="config/deploy.yml",
        registry=reg,
        roles=built_roles,
        primary_role_name=raw.get("primary_role", "web"),
        accessories=accessories(raw, built_roles, secrets),
        builder=builder(raw.get("builder")),
        ssh=ssh(raw.get("ssh")),
        boot=BootConfig(
            limit=boot.get("limit"), wait=boot.get("wait"), parallel_roles=boot.get("parallel_roles", False)
        ),
        logging=logging(raw.get("logging")),
        env=env(raw.get("env")),
        env_tags=env_tags,
        proxy=proxy(raw["proxy"]) if raw.get("proxy") else None,
        volumes=tuple(raw.get("volumes", ())),
        labels=tuple(raw.get("labels", {}).items()),
        asset_path=raw.get("asset_path"),
        hooks_path=raw.get("hooks_path", ".kamal/hooks"),
        error_pages_path=raw.get("error_pages_path"),
        retain_containers=raw.get("retain_containers", 5),
        readiness_delay=raw.get("readiness_delay", 7),
        deploy_timeout=raw.get("deploy_timeout", 30),
        drain_timeout=raw.get("drain_timeout", 30),
        raw=dict(raw),
    )
