"""Commands in an app container: in the running one or a new one, here or over ``ssh -t``."""

from __future__ import annotations

from collections.abc import Iterable

from pykamal.commands.app.base import (
    NETWORK,
    _cmd_arg,
    _env_args,
    _option_args,
    _role_logging_args,
    _volume_args,
    container_name,
    exec_container_name,
)
from pykamal.commands.args import (
    argumentize,
    docker,
)
from pykamal.commands.base import (
    Command,
)
from pykamal.commands.ssh import interactive_flag, run_over_ssh
from pykamal.config.model import Config, Role

# --- exec ------------------------------------------------------------------------------------------


def execute_in_existing_container(
    config: Config,
    role: Role,
    command: str,
    *,
    interactive: bool = False,
    tty: bool = True,
    env: Iterable[tuple[str, str]] = (),
) -> Command:
    """``docker exec`` in the role's container of ``config.version``."""
    return docker(
        "exec",
        interactive_flag(tty) if interactive else None,
        argumentize("--env", env),
        container_name(config, role),
        _cmd_arg(command),
    )


def execute_in_new_container(
    config: Config,
    role: Role,
    host: str,
    command: str,
    *,
    random_hex: str,
    interactive: bool = False,
    tty: bool = True,
    detach: bool = False,
    env: Iterable[tuple[str, str]] = (),
) -> Command:
    """``docker run`` of a one-off container from ``config.absolute_image`` running ``command``."""
    return docker(
        "run",
        interactive_flag(tty) if interactive else None,
        "--detach" if detach else "--rm",
        "--name",
        exec_container_name(config, role, random_hex),
        "--network",
        NETWORK,
        _env_args(config, role, host),
        argumentize("--env", env),
        _role_logging_args(config, role),
        _volume_args(config),
        _option_args(role),
        config.absolute_image,
        _cmd_arg(command),
    )


def execute_in_existing_container_over_ssh(
    config: Config, role: Role, host: str, command: str, *, tty: bool, env: Iterable[tuple[str, str]] = ()
) -> Command:
    inner = execute_in_existing_container(config, role, command, interactive=True, tty=tty, env=env)
    return run_over_ssh(config.ssh, host, inner)


def execute_in_new_container_over_ssh(
    config: Config,
    role: Role,
    host: str,
    command: str,
    *,
    random_hex: str,
    tty: bool,
    env: Iterable[tuple[str, str]] = (),
) -> Command:
    inner = execute_in_new_container(
        config, role, host, command, random_hex=random_hex, interactive=True, tty=tty, env=env
    )
    return run_over_ssh(config.ssh, host, inner)
