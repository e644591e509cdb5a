"""What ``pykamal config`` prints: the same keys and values as ``kamal config``, as plain YAML."""

from __future__ import annotations

from typing import Any

from pykamal.config.model import Config
from pykamal.config.rubyish import argumentize, present


def summary(config: Config) -> dict[str, Any]:
    raw = config.raw
    data: dict[str, Any] = {
        "roles": list(config.role_names),
        "hosts": list(config.all_hosts),
    }
    if any(role.name == config.primary_role_name and role.hosts for role in config.roles):
        data["primary_host"] = config.primary_host
    data.update(
        {
            "version": config.version,
            "repository": config.repository,
            "absolute_image": config.absolute_image,
            "service_with_version": config.service_with_version,
            "volume_args": argumentize("--volume", raw["volumes"]) if present(raw.get("volumes")) else [],
            "ssh_options": ssh_options(raw.get("ssh") or {}),
            "sshkit": raw.get("sshkit") or {},
            "builder": raw.get("builder") or {},
        }
    )
    if raw.get("accessories") is not None:
        data["accessories"] = raw["accessories"]
    data["logging"] = config.logging.args()
    return data


def ssh_options(ssh: dict[Any, Any]) -> dict[str, Any]:
    """The SSH settings as Kamal hands them to its SSH library (secret key data redacted)."""
    options: dict[str, Any] = {"user": ssh.get("user", "root"), "port": ssh.get("port", 22)}
    if ssh.get("proxy") is not None:
        jump = str(ssh["proxy"])
        options["proxy"] = {"jump_proxies": jump if "@" in jump else f"root@{jump}"}
    elif ssh.get("proxy_command") is not None:
        options["proxy"] = {
            "command_line_template": ssh["proxy_command"],
            "command_line": None,
            "timeout": 60,
        }
    options["keepalive"] = True
    options["keepalive_interval"] = 30
    for key in ("keys_only", "keys"):
        if ssh.get(key) is not None:
            options[key] = ssh[key]
    if ssh.get("key_data") is not None:
        options["key_data"] = ["[REDACTED]" for _ in ssh["key_data"]]
    if ssh.get("config") is not None:
        options["config"] = ssh["config"]
    if ssh.get("forward_agent") is not None:
        options["forward_agent"] = ssh["forward_agent"]
    options["log_level"] = ssh.get("log_level", "fatal")
    return options


def to_yaml(data: Any) -> str:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text: str = yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        explicit_start=True,
    )
    return text
