"""Every key Kamal 2.11 accepts in deploy.yml, plus those 2.12 added, and the kind of value each takes.

The kinds mirror how Kamal checks values: ``STRING`` accepts any scalar (strings, numbers, booleans),
``INTEGER`` only real integers, ``BOOLEAN`` only true/false. ``Section`` marks a nested part that is
checked by its own rules (see ``validate.py``); ``Fields`` is a nested map checked key by key.
"""

from __future__ import annotations


class _Kind:
    """Base of the value kinds: plain classes (not dataclasses) so importing the schema is cheap."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__})"


class Scalar(_Kind):
    def __init__(self, type: str) -> None:  # "string" | "integer" | "boolean"
        self.type = type


class ListOf(_Kind):
    def __init__(self, item: str) -> None:  # scalar type of each element
        self.item = item


class StringOrList(_Kind):
    """A string, or a list of strings (``builder.arch``)."""


class HashOf(_Kind):
    def __init__(self, item: str) -> None:  # scalar type of each value (labels)
        self.item = item


class AnyHash(_Kind):
    """A map whose content is passed through (docker ``options``, build ``args``)."""


class HostList(_Kind):
    """A list of ``host`` or ``{host: tag}`` / ``{host: [tags]}`` entries.

    ``ssh``: the entries are servers reached over SSH (checked as host names); proxy hosts are
    HTTP host names and may hold wildcards.
    """

    def __init__(self, ssh: bool = True) -> None:
        self.ssh = ssh


class SshConfigFiles(_Kind):
    """``ssh.config``: true/false, a path, or a list of paths."""


class PathList(_Kind):
    """Accessory ``files``/``directories``: ``local:remote[:opts]`` strings or maps."""


class HooksOutput(_Kind):
    """A level (``quiet``/``verbose``) or a map hook -> level."""


class SslSetting(_Kind):
    """``proxy.ssl``: a boolean or a map with certificate/key secret names."""


class Section(_Kind):
    """A nested part with its own rules; here only its outer type is checked."""

    def __init__(self, allow_list: bool = False, allow_boolean: bool = False) -> None:
        self.allow_list = allow_list  # servers may be a list
        self.allow_boolean = allow_boolean  # proxy may be true/false at this level


class Fields(_Kind):
    def __init__(self, keys: dict[str, Kind]) -> None:
        self.keys = keys


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
        "stop_timeout": INTEGER,
        "run_directory": STRING,
        "ssh": Section(),
        "builder": Section(),
        "accessories": Section(),
        "proxy": Section(allow_boolean=True),
        "sshkit": Section(),
        "boot": Section(),
        "logging": Section(),
        "output": Section(),
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
        "stop_timeout": INTEGER,
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
        "hosts": HostList(ssh=False),
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
        "forward_agent": BOOLEAN,
    }
)

SSHKIT = Fields({"max_concurrent_starts": INTEGER, "pool_idle_timeout": INTEGER, "dns_retries": INTEGER})

BOOT = Fields({"limit": STRING, "wait": INTEGER, "parallel_roles": BOOLEAN})

LOGGING = Fields({"driver": STRING, "options": AnyHash()})

# Kamal 2.12: where the log of a state-changing command is also sent
OUTPUT = Fields({"file": Fields({"path": STRING}), "otel": Fields({"endpoint": STRING})})

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
