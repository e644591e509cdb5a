"""Structural validation of the merged deploy.yml data, with Kamal's messages.

Sections are checked in the order Kamal checks them, so the first problem reported is the one Kamal
would report: the root keys, then servers and each role (alphabetically), the registry, each
accessory, aliases, boot, builder, env, logging, proxy, ssh and sshkit. Every message is
``<key/path>: <problem>`` on one line.

Kamal 2.12's keys are checked the way 2.12 checks them: ``stop_timeout`` (top level and per role),
``ssh/forward_agent`` and the ``output`` section.

A few checks go beyond Kamal 2.11, which accepts these and fails later (or silently misbehaves):
an accessory without ``image``, a non-numeric ``ssh.port``, a malformed ``boot.limit`` and proxy
``host`` values that contain spaces (several hosts written in one string).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from pykamal.config import extensions, names, schema
from pykamal.config.rubyish import blank, present, to_s, truthy
from pykamal.errors import ConfigError

_DESCRIPTIONS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "hash": "a hash",
    "array": "an array",
    "symbol": "a symbol",
    "nil": "a nilclass",
}


def is_type(value: Any, type_name: str) -> bool:
    if type_name == "string":  # any scalar passes a string check
        return isinstance(value, str | int | float | bool) and not isinstance(value, dt.date)
    if type_name == "symbol":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "hash":
        return isinstance(value, dict)
    if type_name == "array":
        return isinstance(value, list)
    if type_name == "nil":
        return value is None
    raise ValueError(type_name)


class Checker:
    """Walks values with a key path, raising ConfigError("<path>: <problem>")."""

    def __init__(self, context: str = "") -> None:
        self.context = context

    def error(self, problem: str) -> NoReturn:
        raise ConfigError(f"{self.context}: {problem}" if self.context else problem)

    @contextmanager
    def at(self, key: Any) -> Iterator[None]:
        saved = self.context
        parts = [part for part in (saved, key) if present(part)]
        self.context = "/".join(to_s(part) for part in parts)
        try:
            yield
        finally:
            self.context = saved

    def type_error(self, *types: str) -> NoReturn:
        names = list(dict.fromkeys(_DESCRIPTIONS[t] for t in types))
        self.error("should be " + " or ".join(names))

    def check_type(self, value: Any, *types: str) -> None:
        if not any(is_type(value, t) for t in types):
            self.type_error(*types)

    def check_unknown(self, value: dict[Any, Any], known: Any, allow_extensions: bool = False) -> None:
        unknown = [k for k in value if k not in known and not (allow_extensions and _extension(k))]
        if unknown:
            noun = "key" if len(unknown) == 1 else "keys"
            self.error(f"unknown {noun}: " + ", ".join(to_s(k) for k in unknown))

    # --- generic walk over schema.Fields ---------------------------------------------------------
    def check_fields(self, value: Any, fields: schema.Fields, allow_extensions: bool = False) -> None:
        self.check_type(value, "hash")
        self.check_unknown(value, fields.keys, allow_extensions)
        for key, item in value.items():
            if _extension(key):
                continue
            with self.at(key):
                self.check_kind(item, fields.keys[key])

    def check_kind(self, value: Any, kind: schema.Kind) -> None:
        if isinstance(kind, schema.Scalar):
            self.check_type(value, kind.type)
        elif isinstance(kind, schema.Section):
            if not (kind.allow_boolean and isinstance(value, bool)):
                self.check_type(value, *(("array",) if kind.allow_list else ()), "hash")
        elif isinstance(kind, schema.Fields):
            self.check_fields(value, kind)
        elif isinstance(kind, schema.ListOf):
            self.check_list_of(value, kind.item)
        elif isinstance(kind, schema.HashOf):
            self.check_type(value, "hash")
            for key, item in value.items():
                with self.at(key):
                    self.check_type(item, kind.item)
        elif isinstance(kind, schema.AnyHash):
            self.check_type(value, "hash")
        elif isinstance(kind, schema.StringOrList):
            ok = (
                all(is_type(item, "string") for item in value)
                if isinstance(value, list)
                else is_type(value, "string")
            )
            if not ok:
                self.type_error("array", "string")
        elif isinstance(kind, schema.HostList):
            self.check_hosts(value, ssh=kind.ssh)
        elif isinstance(kind, schema.SshConfigFiles):
            if isinstance(value, list):
                self.check_list_of(value, "string")
            elif not isinstance(value, bool | str):
                self.type_error("boolean", "string", "array")
        elif isinstance(kind, schema.PathList):
            self.check_paths(value)
        elif isinstance(kind, schema.HooksOutput):
            if isinstance(value, dict):
                for hook, level in value.items():
                    with self.at(hook):
                        self.check_type(level, "string", "symbol")
            else:
                self.check_type(value, "string", "symbol")
        elif isinstance(kind, schema.SslSetting):
            self.check_type(value, "boolean", "hash")
        else:  # pragma: no cover - every kind is handled above
            raise TypeError(kind)

    def check_list_of(self, value: Any, item_type: str) -> None:
        self.check_type(value, "array")
        for index, item in enumerate(value):
            with self.at(index):
                self.check_type(item, item_type)

    def check_hosts(self, value: Any, ssh: bool = True) -> None:
        self.check_type(value, "array")
        for index, entry in enumerate(value):
            with self.at(index):
                self.check_type(entry, "string", "hash")
                if isinstance(entry, dict):
                    if len(entry) != 1:
                        self.error("multiple hosts found")
                    host, tags = next(iter(entry.items()))
                    if ssh:
                        self.check_host(host)
                    with self.at(host):
                        self.check_type(tags, "string", "array")
                        if isinstance(tags, list):
                            self.check_list_of(tags, "string")
                elif ssh:
                    self.check_host(entry)

    def check_host(self, host: Any) -> None:
        problem = names.host_problem(to_s(host))
        if problem:
            self.error(problem)

    def check_paths(self, value: Any) -> None:
        self.check_type(value, "array")
        for index, entry in enumerate(value):
            with self.at(index):
                self.check_type(entry, "string", "hash")
                if isinstance(entry, dict):
                    for key in ("local", "remote", "mode", "owner", "options"):
                        if key in entry:
                            with self.at(key):
                                self.check_type(entry[key], "string")

    def check_labels(self, labels: Any) -> None:
        if blank(labels):
            return
        with self.at("labels"):
            for key in labels:
                with self.at(key):
                    if key in schema.RESERVED_LABELS:
                        self.error("invalid label. destination, role, and service are reserved labels")

    def check_docker_options(self, options: Any) -> None:
        """Kamal 2.12 lets ``options/restart`` choose the restart policy (2.11 refused the key)."""
        if not isinstance(options, dict) or "restart" not in options:
            return
        policy = options["restart"]
        with self.at("options"), self.at("restart"):
            if not isinstance(policy, str):
                self.error('should be a string. Use "no" to disable restarts')
            if not RESTART_POLICY.fullmatch(policy):
                self.error("should be no, always, unless-stopped, on-failure, or on-failure:N")


RESTART_POLICY = re.compile(r"no|always|unless-stopped|on-failure(?::\d+)?")


def _extension(key: Any) -> bool:
    return to_s(key).startswith("x-")


# --- sections -----------------------------------------------------------------------------------


def validate(raw: dict[Any, Any]) -> None:
    """Check every section of the merged configuration; raises ConfigError on the first problem."""
    _refuse_nul_bytes(raw)
    Checker().check_fields(raw, schema.ROOT, allow_extensions=True)
    _validate_servers(raw)
    _check_value(Checker("image"), raw.get("image"), names.repository_problem)
    _validate_registry(raw.get("registry") or {}, "registry")
    for name, accessory in (raw.get("accessories") or {}).items():
        _validate_accessory(name, accessory, raw)
    for name, command in (raw.get("aliases") or {}).items():
        _validate_alias(name, command)
    _validate_boot(raw.get("boot") or {})
    _validate_builder(raw.get("builder") or {})
    validate_env(raw.get("env") or {}, "env")
    Checker("logging").check_fields(raw.get("logging") or {}, schema.LOGGING)
    _validate_output(raw.get("output") or {})
    validate_proxy(raw.get("proxy"), "proxy")
    _validate_ssh(raw.get("ssh") or {})
    Checker("sshkit").check_fields(raw.get("sshkit") or {}, schema.SSHKIT)
    extensions.validate(raw)


def _refuse_nul_bytes(raw: dict[Any, Any]) -> None:
    """A NUL byte cannot travel in a command line or an SSH request: refuse it wherever it is."""
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(raw, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\0" in value:
                Checker(path).error("contains a NUL byte")
            continue
        if not isinstance(value, dict | list) or id(value) in seen:
            continue
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\0" in key:
                Checker(path).error(f"the key {key!r} contains a NUL byte")
            stack.append((item, "/".join(part for part in (path, to_s(key)) if part)))


def _check_value(checker: Checker, value: Any, rule: Any, *args: Any) -> None:
    """Apply a ``names`` rule to a present scalar value, reporting at the checker's key."""
    if value is None or isinstance(value, dict | list):
        return
    problem = rule(to_s(value), *args)
    if problem:
        checker.error(problem)


def _validate_servers(raw: dict[Any, Any]) -> None:
    servers = raw.get("servers")
    checker = Checker("servers")
    checker.check_type(servers, "array", "hash", "nil")
    if isinstance(servers, list):
        checker.check_hosts(servers)
        return
    if not isinstance(servers, dict):
        return
    for name in sorted(servers, key=to_s):
        _check_value(Checker("servers"), name, names.name_problem, "role name")
        role = servers[name]
        checker = Checker(f"servers/{to_s(name)}")
        checker.check_type(role, "array", "hash")
        if isinstance(role, list):
            checker.check_hosts(role)
            continue
        checker.check_fields(role, schema.ROLE)
        checker.check_labels(role.get("labels"))
        checker.check_docker_options(role.get("options"))
        validate_env(role.get("env") or {}, f"servers/{to_s(name)}/env")
        Checker(f"servers/{to_s(name)}/logging").check_fields(role.get("logging") or {}, schema.LOGGING)
        proxy = role.get("proxy")
        is_primary = to_s(name) == to_s(raw.get("primary_role") or "web")
        runs_proxy = proxy is not False if is_primary else truthy(proxy)
        if runs_proxy:
            validate_proxy({} if proxy is True or proxy is None else proxy, f"servers/{to_s(name)}/proxy")


def _validate_registry(registry: Any, context: str) -> None:
    checker = Checker(context)
    checker.check_type(registry, "hash")
    rest = {k: v for k, v in registry.items() if k not in ("username", "password")}
    checker.check_fields(rest, schema.REGISTRY)
    server = registry.get("server")
    with checker.at("server"):
        _check_value(checker, server, names.registry_problem)
    if server is not None and re.match(r"^localhost[:$]", to_s(server), re.MULTILINE):
        return
    for key in ("username", "password"):
        with checker.at(key):
            value = registry.get(key)
            if blank(value):
                checker.error("is required")
            one_secret = isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
            if not (isinstance(value, str) or one_secret):
                checker.error("should be a string or an array with one string (for secret lookup)")


def _validate_accessory(name: Any, accessory: Any, raw: dict[Any, Any]) -> None:
    _check_value(Checker("accessories"), name, names.name_problem, "accessory name")
    context = f"accessories/{to_s(name)}"
    checker = Checker(context)
    checker.check_fields(accessory, schema.ACCESSORY)
    with checker.at("service"):
        _check_value(checker, accessory.get("service"), names.name_problem, "service name")
    with checker.at("image"):
        _check_value(checker, accessory.get("image"), names.reference_problem)
    _check_accessory_paths(checker, accessory)
    if len([k for k in accessory if k in schema.ACCESSORY_HOST_KEYS]) != 1:
        checker.error("specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`")
    if "host" in accessory:
        with checker.at("host"):
            checker.check_host(accessory["host"])
    checker.check_labels(accessory.get("labels"))
    checker.check_docker_options(accessory.get("options"))
    if blank(accessory.get("image")):
        with checker.at("image"):
            checker.error("is required")
    role_names = _role_names(raw)
    if accessory.get("roles"):
        missing = [to_s(r) for r in accessory["roles"] if to_s(r) not in role_names]
        if missing:
            checker.error("unknown roles " + ", ".join(missing))
    elif accessory.get("role") and to_s(accessory["role"]) not in role_names:
        checker.error(f"unknown role {to_s(accessory['role'])}")
    validate_env(accessory.get("env", {}) or {}, f"{context}/env")
    if present(accessory.get("proxy")):
        validate_proxy(accessory["proxy"], f"{context}/proxy")
    if present(accessory.get("registry")):
        _validate_registry(accessory["registry"], f"{context}/registry")


def _check_accessory_paths(checker: Checker, accessory: dict[Any, Any]) -> None:
    """``files`` remote paths and relative ``directories`` become paths under the service's folder."""
    for key, side in (("files", "remote"), ("directories", "local")):
        for index, entry in enumerate(accessory.get(key) or ()):
            with checker.at(key), checker.at(index):
                if isinstance(entry, dict):
                    with checker.at(side):
                        _check_value(checker, entry.get(side), names.relative_path_problem)
                    continue
                local, _, rest = to_s(entry).partition(":")
                _check_value(
                    checker,
                    rest.partition(":")[0] if side == "remote" else local,
                    names.relative_path_problem,
                )


def _role_names(raw: dict[Any, Any]) -> list[str]:
    servers = raw.get("servers")
    if isinstance(servers, list):
        return ["web"]
    if isinstance(servers, dict):
        return [to_s(name) for name in servers]
    return []


def _validate_alias(name: Any, command: Any) -> None:
    checker = Checker(f"aliases/{to_s(name)}")
    checker.check_type(command, "string")
    alias = to_s(name)
    if not re.fullmatch(r"[a-z0-9_-]+", alias):
        checker.error(
            f"Invalid alias name: '{alias}'. Must only contain lowercase letters, alphanumeric, "
            "hyphens and underscores."
        )
    if alias in schema.BUILT_IN_COMMANDS:
        checker.error(f"Alias '{alias}' conflicts with a built-in command.")


def _validate_boot(boot: Any) -> None:
    checker = Checker("boot")
    checker.check_fields(boot, schema.BOOT)
    if "limit" in boot:
        limit = boot["limit"]
        valid = (is_type(limit, "integer") and limit >= 1) or (
            isinstance(limit, str) and re.fullmatch(r"\d+%", limit.strip())
        )
        if not valid:
            with checker.at("limit"):
                checker.error(
                    f'should be a number of hosts or a percentage such as "25%", not {to_s(limit)!r}'
                )


def _validate_builder(builder: Any) -> None:
    checker = Checker("builder")
    checker.check_fields(builder, schema.BUILDER)
    if builder.get("remote") is not False:
        with checker.at("remote"):
            _check_value(checker, builder.get("remote"), names.docker_url_problem)
    cache = builder.get("cache")
    if truthy(cache) and truthy(cache.get("type")) and cache["type"] not in ("gha", "registry"):
        checker.error(f"Invalid cache type: {to_s(cache['type'])}")
    if blank(builder.get("arch")):
        checker.error("Builder arch not set")
    arch = builder.get("arch")
    if truthy(builder.get("pack")) and isinstance(arch, list) and len(arch) > 1:
        checker.error("buildpacks only support building for one arch")
    if builder.get("local") is False and blank(builder.get("remote")):
        checker.error("Cannot disable local builds, no remote is set")


def validate_env(env: Any, context: str) -> None:
    checker = Checker(context)
    checker.check_type(env, "hash")
    special = ("clear", "secret", "tags")
    if not any(key in env for key in special):
        for key, value in env.items():
            with checker.at(key):
                checker.check_type(value, "string")
            _check_value(checker, key, names.env_name_problem)
        return
    checker.check_unknown(env, special)
    if "clear" in env:
        with checker.at("clear"):
            checker.check_kind(env["clear"], schema.HashOf("string"))
            for key in env["clear"]:
                _check_value(checker, key, names.env_name_problem)
    if "secret" in env:
        with checker.at("secret"):
            checker.check_list_of(env["secret"], "string")
            for index, key in enumerate(env["secret"]):
                with checker.at(index):
                    for part in to_s(key).split(":", 1):
                        _check_value(checker, part, names.env_name_problem)
    if "tags" in env:
        if context != "env":
            checker.error("tags are only allowed in the root env")
        with checker.at("tags"):
            checker.check_type(env["tags"], "hash")
            for tag, tag_env in env["tags"].items():
                with checker.at(tag):
                    checker.check_type(tag_env, "hash")
                    validate_env(tag_env, checker.context)


def validate_proxy(proxy: Any, context: str) -> None:
    if proxy is None:
        return
    checker = Checker(context)
    checker.check_fields(proxy, schema.PROXY)
    if blank(proxy.get("host")) and blank(proxy.get("hosts")) and truthy(proxy.get("ssl")):
        checker.error("Must set a host to enable automatic SSL")
    if "host" in proxy and "hosts" in proxy:
        checker.error("Specify one of 'host' or 'hosts', not both")
    ssl = proxy.get("ssl")
    if isinstance(ssl, dict):
        if present(ssl.get("certificate_pem")) and blank(ssl.get("private_key_pem")):
            checker.error("Missing private_key_pem setting (required when certificate_pem is present)")
        if present(ssl.get("private_key_pem")) and blank(ssl.get("certificate_pem")):
            checker.error("Missing certificate_pem setting (required when private_key_pem is present)")
    run = proxy.get("run")
    if truthy(run) and run.get("publish") is False:  # noqa: SIM102 - reads better as two steps
        if present(run.get("bind_ips")) or present(run.get("http_port")) or present(run.get("https_port")):
            checker.error("Cannot set http_port, https_port or bind_ips when publish is false")
    host = proxy.get("host")
    if isinstance(host, str) and any(char.isspace() for char in host.strip()):
        with checker.at("host"):
            checker.error(f"should be one host or a comma-separated list without spaces, not {host!r}")


def _validate_output(output: Any) -> None:
    """Kamal 2.12's ``output``: each destination present needs its one setting."""
    checker = Checker("output")
    checker.check_fields(output, schema.OUTPUT)
    for name, setting in (("file", "path"), ("otel", "endpoint")):
        if name in output and blank(output[name].get(setting)):
            with checker.at(name), checker.at(setting):
                checker.error("is required")


def _validate_ssh(ssh: Any) -> None:
    checker = Checker("ssh")
    checker.check_fields(ssh, schema.SSH)
    if "user" in ssh:
        with checker.at("user"):
            problem = names.user_problem(to_s(ssh["user"]))
            if problem:
                checker.error(problem)
    if ssh.get("proxy") is not None:
        with checker.at("proxy"):
            user, _, host = to_s(ssh["proxy"]).rpartition("@")
            problem = (names.user_problem(user) if user else None) or names.host_problem(host)
            if problem:
                checker.error(problem)
    if "port" in ssh:
        port = ssh["port"]
        number = port if is_type(port, "integer") else None
        if isinstance(port, str) and port.strip().isdigit():
            number = int(port)
        if number is None or not 0 < number < 65536:
            with checker.at("port"):
                checker.error(f"should be a port number (1-65535), not {to_s(port)!r}")
