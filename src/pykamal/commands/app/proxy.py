"""Putting a role's container behind kamal-proxy (and taking it out): deploy, remove, live, maintenance."""

from __future__ import annotations

from pykamal.commands import app_proxy
from pykamal.commands.args import (
    make_directory,
    remove_directory,
)
from pykamal.commands.base import (
    Command,
)
from pykamal.config.model import Config, ProxyConfig, Role

# --- proxy -----------------------------------------------------------------------------------------


def _role_proxy(role: Role) -> ProxyConfig:
    if role.proxy is None:
        raise ValueError(f"role {role.name} does not run behind the proxy")
    return role.proxy


def deploy(config: Config, role: Role, target: str) -> Command:
    """Switch the role's proxy service to the container ``target`` (an id)."""
    return app_proxy.deploy(config, role.container_prefix, _role_proxy(role), target, role.name)


def remove(role: Role) -> Command:
    return app_proxy.remove(role.container_prefix)


def live(role: Role) -> Command:
    return app_proxy.resume(role.container_prefix)


def maintenance(role: Role, *, drain_timeout: int | None = None, message: str | None = None) -> Command:
    return app_proxy.stop(role.container_prefix, drain_timeout=drain_timeout, message=message)


def remove_proxy_app_directory(config: Config) -> Command:
    return remove_directory(config.proxy_apps_config_directory)


def create_ssl_directory(config: Config, role: Role) -> Command:
    return make_directory(f"{app_proxy.tls_directory(config)}/{role.name}")
