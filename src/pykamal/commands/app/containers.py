"""Listing, renaming and removing app containers; their health log."""

from __future__ import annotations

from pykamal.commands.app.base import (
    HEALTH_LOG_FORMAT,
    _container_filter_args,
    container_id_for_version,
    container_name,
)
from pykamal.commands.args import (
    docker,
    make_directory,
    xargs,
)
from pykamal.commands.base import (
    Command,
    cmd,
    pipe,
)
from pykamal.config.model import Config, Role


def list_containers(config: Config, role: Role | None = None) -> Command:
    return docker("container", "ls", "--all", _container_filter_args(config, role))


def list_container_names(config: Config, role: Role | None = None) -> Command:
    return cmd(list_containers(config, role), "--format", "{{ .Names }}")


def remove_container(config: Config, role: Role, version: str) -> Command:
    return pipe(container_id_for_version(config, role, version), xargs(docker("container", "rm")))


def rename_container(config: Config, role: Role, version: str, new_version: str) -> Command:
    return docker("rename", container_name(config, role, version), container_name(config, role, new_version))


def remove_containers(config: Config, role: Role | None) -> Command:
    return docker("container", "prune", "--force", _container_filter_args(config, role))


def container_health_log(config: Config, role: Role, version: str) -> Command:
    return pipe(
        container_id_for_version(config, role, version),
        xargs(docker("inspect", "--format", HEALTH_LOG_FORMAT)),
    )


def ensure_env_directory(config: Config) -> Command:
    return make_directory(f"{config.apps_directory}/env/roles")
