"""Every key Kamal 2.11 accepts in deploy.yml, and the kind of value each takes.

The kinds mirror how Kamal checks values: ``STRING`` accepts any scalar (strings, numbers, booleans),
``INTEGER`` only real integers, ``BOOLEAN`` only true/false. ``Section`` marks a nested part that is
checked by its own rules (see ``validate.py``); ``Fields`` is a nested map checked key by key.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scalar:
    type: str  # "string" | "integer" | "boolean"


@dataclass(frozen=True)
class ListOf:
    item: str  # scalar type of each element


@dataclass(frozen=True)
class StringOrList:
    """A string, or a list of strings (``builder.arch``)."""


@dataclass(frozen=True)
class HashOf:
    item: str  # scalar type of each value (labels)


@dataclass(frozen=True)
class AnyHash:
    """A map whose content is passed through (docker ``options``, build ``args``)."""


@dataclass(frozen=True)
class HostList:
    """A list of ``host`` or ``{host: tag}`` / ``{host: [tags]}`` entries."""


@dataclass(frozen=True)
class SshConfigFiles:
    """``ssh.config``: true/false, a path, or a list of paths."""


@dataclass(frozen=True)
class PathList:
    """Accessory ``files``/``directories``: ``local:remote[:opts]`` strings or maps."""


@dataclass(frozen=True)
class HooksOutput:
    """A level (``quiet``/``verbose``) or a map hook -> level."""


@dataclass(frozen=True)
class SslSetting:
    """``proxy.ssl``: a boolean or a map with certificate/key secret names."""


@dataclass(frozen=True)
class Section:
    """A nested part with its own rules; here only its outer type is checked."""

    allow_list: bool = False  # servers may be a list
    allow_boolean: bool = False  # proxy may be true/false at this level


@dataclass(frozen=True)
class Fields:
    keys: dict[str, Kind]


Kind = (
    Scalar
    | ListOf
    | StringOrList
    | HashOf
    | AnyHash
    | HostList
    | SshConfigFiles
    | PathList
    | HooksOutput
    | SslSetting
    | Section
    | Fields
)

STRING = Scalar("string")
INTEGER = Scalar("integer")
BOOLEAN = Scalar("boolean")
STRINGS = ListOf("string")

ROOT = Fields(
    {
        "service": STRING,
        "image": STRING,
        "labels": HashOf("string"),
        "volumes": STRINGS,
        "registry": Section(),
        "servers": Section(allow_list=True),
        "env": Section(),
        "asset_path": STRING,
        "hooks_path": STRING,
        "hooks_output": HooksOutput(),
        "secrets_path": STRING,
        "error_pages_path": STRING,
        "require_destination": BOOLEAN,
        "primary_role": STRING,
        "allow_empty_roles": BOOLEAN,
        "retain_containers": INTEGER,
        "minimum_version": STRING,
        "readiness_delay": INTEGER,
        "deploy_timeout": INTEGER,
        "drain_timeout": INTEGER,
        "run_directory": STRING,
        "ssh": Section(),
        "builder": Section(),
        "accessories": Section(),
        "proxy": Section(allow_boolean=True),
        "sshkit": Section(),
        "boot": Section(),
        "logging": Section(),
        "aliases": Section(),
    }
)

ROLE = Fields(
    {
        "hosts": HostList(),
        "cmd": STRING,
        "options": AnyHash(),
        "logging": Section(),
        "proxy": Section(allow_boolean=True),
        "labels": HashOf("string"),
        "env": Section(),
        "asset_path": STRING,
    }
)

# username/password are checked separately (string or one-element list naming a secret)
REGISTRY = Fields({"server": STRING})

BUILDER = Fields(
    {
        "arch": StringOrList(),
        "remote": STRING,
        "local": BOOLEAN,
        "pack": Fields({"builder": STRING, "buildpacks": STRINGS}),
        "cache": Fields({"type": STRING, "options": STRING, "image": STRING}),
        "context": STRING,
        "dockerfile": STRING,
        "target": STRING,
        "args": AnyHash(),
        "secrets": STRINGS,
        "ssh": STRING,
        "driver": STRING,
        "provenance": STRING,
        "sbom": BOOLEAN,
    }
)

PROXY_RUN = Fields(
    {
        "http_port": INTEGER,
        "https_port": INTEGER,
        "metrics_port": INTEGER,
        "debug": BOOLEAN,
        "log_max_size": STRING,
        "publish": BOOLEAN,
        "bind_ips": STRINGS,
        "registry": STRING,
        "repository": STRING,
        "version": STRING,
        "options": AnyHash(),
    }
)

PROXY = Fields(
    {
        "host": STRING,
        "hosts": HostList(),
        "app_port": INTEGER,
        "ssl": SslSetting(),
        "ssl_redirect": BOOLEAN,
        "forward_headers": BOOLEAN,
        "response_timeout": INTEGER,
        "path_prefix": STRING,
        "path_prefixes": STRINGS,
        "strip_path_prefix": BOOLEAN,
        "healthcheck": Fields({"interval": INTEGER, "path": STRING, "timeout": INTEGER}),
        "buffering": Fields(
            {
                "requests": BOOLEAN,
                "responses": BOOLEAN,
                "max_request_body": INTEGER,
                "max_response_body": INTEGER,
                "memory": INTEGER,
            }
        ),
        "logging": Fields({"request_headers": STRINGS, "response_headers": STRINGS}),
        "run": PROXY_RUN,
    }
)

ACCESSORY = Fields(
    {
        "service": STRING,
        "image": STRING,
        "registry": Section(),
        "host": STRING,
        "hosts": HostList(),
        "role": STRING,
        "roles": STRINGS,
        "tag": STRING,
        "tags": STRINGS,
        "cmd": STRING,
        "port": STRING,
        "labels": HashOf("string"),
        "options": AnyHash(),
        "env": Section(),
        "files": PathList(),
        "directories": PathList(),
        "volumes": STRINGS,
        "network": STRING,
        "proxy": Section(allow_boolean=True),
    }
)

SSH = Fields(
    {
        "user": STRING,
        "port": STRING,
        "proxy": STRING,
        "proxy_command": STRING,
        "log_level": STRING,
        "keys_only": BOOLEAN,
        "keys": STRINGS,
        "key_data": STRINGS,
        "config": SshConfigFiles(),
    }
)

SSHKIT = Fields({"max_concurrent_starts": INTEGER, "pool_idle_timeout": INTEGER, "dns_retries": INTEGER})

BOOT = Fields({"limit": STRING, "wait": INTEGER, "parallel_roles": BOOLEAN})

LOGGING = Fields({"driver": STRING, "options": AnyHash()})

ACCESSORY_HOST_KEYS = ("host", "hosts", "role", "roles", "tag", "tags")
RESERVED_LABELS = ("destination", "role", "service")
HOOKS_OUTPUT_LEVELS = ("quiet", "verbose")

# Top-level commands an alias may not shadow (Kamal 2.11's list).
BUILT_IN_COMMANDS = (
    "accessory",
    "app",
    "audit",
    "build",
    "config",
    "deploy",
    "details",
    "docs",
    "init",
    "lock",
    "proxy",
    "prune",
    "redeploy",
    "registry",
    "remove",
    "rollback",
    "secrets",
    "server",
    "setup",
    "upgrade",
    "version",
)
