"""Registry login and logout, and the local registry container (``registry.server: localhost:PORT``).

Where logins happen (and nowhere else):
* on this machine only inside ``build push``, and only for builders that push from here
  (``login_local``), or through ``registry setup|login`` without ``-L``;
* on hosts only where an image is pulled: app hosts in ``build pull``, proxy hosts when the proxy
  boots (``login_remote``), or through ``registry setup|login`` without ``-R``.
Passwords always travel on ``docker login --password-stdin``'s standard input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pykamal.commands import registry as commands
from pykamal.commands.base import Command
from pykamal.errors import ConfigError, RemoteError, UsageError
from pykamal.flows.local import LOCALHOST, ensure_local_docker, local_executor
from pykamal.remote.executor import run_on
from pykamal.remote.result import CommandFailed, HostError, Result

if TYPE_CHECKING:
    from pykamal.config.model import Config, RegistryConfig
    from pykamal.flows.context import Run

REFUSED_MARKERS = ("unauthorized", "denied", "incorrect username or password", "401")


def registry_name(registry: RegistryConfig) -> str:
    return registry.server or "Docker Hub"


def login_command(config: Config) -> Command | None:
    """``docker login`` for the configuration's registry (None for a local registry)."""
    registry = config.registry
    if registry.is_local:
        return None
    username, password = config.registry_username(), config.registry_password()
    if username is None:
        raise ConfigError("registry/username: is required")
    if password is None:
        raise ConfigError("registry/password: is required")
    if not password.value.strip():
        raise ConfigError(empty_password(registry))
    return commands.login(registry, username, password)


def empty_password(registry: RegistryConfig) -> str:
    """The fix for an empty registry password (as a freshly generated .kamal/secrets leaves it)."""
    from pykamal.config.model import SecretRef

    if isinstance(registry.password, SecretRef):
        return (
            f"registry/password: the secret {registry.password.name} is empty: set it in .kamal/secrets "
            f"(the password or an access token for {registry_name(registry)})"
        )
    return f"registry/password: is empty: set the password for {registry_name(registry)}"


def login_failure(registry: RegistryConfig, result: Result) -> str:
    """Why ``docker login`` failed, naming the registry (the caller adds the host)."""
    text = f"{result.stderr}\n{result.stdout}"
    detail = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
    name = registry_name(registry)
    if any(marker in text.lower() for marker in REFUSED_MARKERS):
        return f"registry {name} refused the credentials" + (f" ({detail})" if detail else "")
    return f"docker login to registry {name} failed" + (f": {detail}" if detail else "")


# --- this machine ----------------------------------------------------------------------------------


async def login_local(run: Run) -> None:
    """``docker login`` here, or start the local registry container when the registry is local."""
    if run.config.registry.is_local:
        await setup_local_registry(run)
        return
    command = login_command(run.config)
    assert command is not None
    try:
        await local_executor(run).run(LOCALHOST, command)
    except CommandFailed as exc:
        reason = login_failure(run.config.registry, exc.result)
        raise RemoteError(f"{reason} (on this machine)") from None
    except HostError as exc:
        raise RemoteError(f"docker login on this machine failed: {exc.reason}") from None


async def logout_local(run: Run) -> None:
    await local_executor(run).run(LOCALHOST, commands.logout(run.config.registry))


async def setup_local_registry(run: Run) -> None:
    """Start (or create) the registry container on ``127.0.0.1:<port>`` of this machine."""
    try:
        await local_executor(run).run(LOCALHOST, commands.setup(run.config.registry))
    except CommandFailed as exc:
        detail = (exc.result.stderr or exc.result.stdout).strip().splitlines()
        raise RemoteError(
            f"could not start the local registry {run.config.registry.server}"
            + (f": {detail[-1]}" if detail else "")
        ) from None


async def remove_local_registry(run: Run) -> None:
    await local_executor(run).run(LOCALHOST, commands.remove(), check=False)


# --- hosts -----------------------------------------------------------------------------------------


async def login_remote(run: Run, hosts: Iterable[str]) -> None:
    """``docker login`` on each of ``hosts`` in parallel (nothing for a local registry).

    A refusal names the host and the registry.
    """
    hosts = tuple(hosts)
    command = login_command(run.config)
    if command is None or not hosts:
        return
    await run.pre_connect()
    registry = run.config.registry

    async def one(host: str) -> None:
        try:
            await run.executor.run(host, command)
        except CommandFailed as exc:
            reason = login_failure(registry, exc.result)
            raise HostError(host, reason, f"{reason} (on {host})") from None

    await run_on(hosts, one)


async def logout_remote(run: Run, hosts: Iterable[str]) -> None:
    hosts = tuple(hosts)
    if not hosts:
        return
    await run.pre_connect()
    command = commands.logout(run.config.registry)
    await run_on(hosts, lambda host: run.executor.run(host, command))


# --- registry setup | remove | login | logout --------------------------------------------------------


async def setup(run: Run, *, skip_local: bool = False, skip_remote: bool = False) -> None:
    """Local registry: start it here. Otherwise log in here and on every selected host."""
    if not skip_local:
        await ensure_local_docker(run)
    if run.config.registry.is_local:
        if not skip_local:
            await setup_local_registry(run)
        return
    if not skip_local:
        await login_local(run)
    if not skip_remote:
        await login_remote(run, run.selection.hosts)


async def remove(run: Run, *, skip_local: bool = False, skip_remote: bool = False) -> None:
    """Local registry: stop and remove it here. Otherwise log out here and on every selected host."""
    if run.config.registry.is_local:
        if not skip_local:
            await remove_local_registry(run)
        return
    if not skip_local:
        await logout_local(run)
    if not skip_remote:
        await logout_remote(run, run.selection.hosts)


async def login(run: Run, *, skip_local: bool = False, skip_remote: bool = False) -> None:
    if run.config.registry.is_local:
        raise UsageError(
            "Cannot use login command with a local registry. Use `pykamal registry setup` instead."
        )
    await setup(run, skip_local=skip_local, skip_remote=skip_remote)


async def logout(run: Run, *, skip_local: bool = False, skip_remote: bool = False) -> None:
    if run.config.registry.is_local:
        raise UsageError(
            "Cannot use logout command with a local registry. Use `pykamal registry remove` instead."
        )
    await remove(run, skip_local=skip_local, skip_remote=skip_remote)


__all__ = [
    "login",
    "login_local",
    "login_remote",
    "logout",
    "logout_local",
    "logout_remote",
    "remove",
    "setup",
]
