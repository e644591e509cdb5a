"""Hooks: executables in ``<hooks_path>/<name>`` run locally with Kamal's ``KAMAL_*`` environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pykamal.commands.base import Command, Sensitive, cmd
from pykamal.commands.lock import iso8601
from pykamal.config.model import Config

HOOKS = (
    "pre-connect",
    "pre-build",
    "pre-deploy",
    "post-deploy",
    "pre-app-boot",
    "post-app-boot",
    "pre-proxy-reboot",
    "post-proxy-reboot",
    "docker-setup",
)


def hook_path(config: Config, hook: str) -> str:
    return f"{config.hooks_path.rstrip('/')}/{hook}"


def recorded_at(at: datetime) -> str:
    """UTC ISO 8601 with seconds and ``Z``, as in audit lines and lock details."""
    return iso8601(at)


def _join(value: str | Iterable[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def env(
    config: Config,
    *,
    at: datetime,
    performer: str,
    hosts: str | Iterable[str] | None = None,
    roles: str | Iterable[str] | None = None,
    lock: bool | None = None,
    command: str | None = None,
    subcommand: str | None = None,
    runtime: int | None = None,
) -> dict[str, str]:
    """The ``KAMAL_*`` variables a hook sees (unset details are left out, as with Kamal).

    ``roles`` only when roles were selected with ``-r``; ``runtime`` (whole seconds) for post-deploy.
    """
    details: list[tuple[str, str | None]] = [
        ("RECORDED_AT", recorded_at(at)),
        ("PERFORMER", performer),
        ("DESTINATION", config.destination),
        ("VERSION", config.version),
        ("SERVICE_VERSION", f"{config.service}@{config.abbreviated_version}"),
        ("SERVICE", config.service),
        ("HOSTS", _join(hosts)),
        ("ROLES", _join(roles)),
        ("LOCK", None if lock is None else str(lock).lower()),
        ("COMMAND", command),
        ("SUBCOMMAND", subcommand),
        ("RUNTIME", None if runtime is None else str(runtime)),
    ]
    return {f"KAMAL_{name}": value for name, value in details if value is not None}


def run(
    config: Config,
    hook: str,
    *,
    env: Mapping[str, str],
    secrets: Mapping[str, str] | None = None,
) -> Command:
    """The hook executable with its variables (and, for hooks that get them, every secret).

    Run it locally with the current environment plus ``Command.env``; secret values are marked
    sensitive so they never reach a log.
    """
    variables: dict[str, str | Sensitive] = dict(env)
    for name, value in (secrets or {}).items():
        variables[name] = Sensitive(value)
    return cmd(hook_path(config, hook), env=variables.items())
