"""Registry login/logout, and the local registry container used with ``registry.server: localhost:PORT``.

The password goes to ``docker login --password-stdin`` (``Command.stdin``), never onto a command line
where a process list or a log could show it.
"""

from __future__ import annotations

from pykamal.commands.args import docker
from pykamal.commands.base import Command, Sensitive, any_of, combine
from pykamal.config.model import Config, RegistryConfig
from pykamal.errors import ConfigError

LOCAL_REGISTRY_CONTAINER = "kamal-docker-registry"
LOCAL_REGISTRY_IMAGE = "registry:3"


def _sensitive(value: str | Sensitive) -> Sensitive:
    return value if isinstance(value, Sensitive) else Sensitive(value)


def login(registry: RegistryConfig, username: str | Sensitive, password: str | Sensitive) -> Command | None:
    """``docker login [server] -u <user> --password-stdin`` with the password on stdin.

    None for a local registry, which needs no login. The user name is redacted where it stands in the
    logged command, as Kamal does, but it is no secret: the same word elsewhere in the output stays.
    """
    if registry.is_local:
        return None
    name = username.value if isinstance(username, Sensitive) else username
    return docker(
        "login",
        registry.server,
        "-u",
        Sensitive(name, secret=False),
        "--password-stdin",
        stdin=_sensitive(password),
    )


def login_for(config: Config, registry: RegistryConfig | None = None) -> Command | None:
    """``login`` with the credentials of ``registry`` (default: the root one) looked up in the secrets."""
    registry = registry or config.registry
    if registry.is_local:
        return None
    username = registry.resolve_username(config.secrets)
    password = registry.resolve_password(config.secrets)
    if username is None or password is None:
        raise ConfigError(f"registry {registry.server or 'Docker Hub'}: username and password are required")
    return login(registry, username, password)


def logout(registry: RegistryConfig) -> Command:
    return docker("logout", registry.server)


def setup(registry: RegistryConfig) -> Command:
    """Start the local registry container, or create it on ``127.0.0.1:<port>``."""
    return any_of(
        docker("start", LOCAL_REGISTRY_CONTAINER),
        docker(
            "run",
            "--detach",
            "-p",
            f"127.0.0.1:{registry.local_port}:5000",
            "--name",
            LOCAL_REGISTRY_CONTAINER,
            LOCAL_REGISTRY_IMAGE,
        ),
    )


def remove() -> Command:
    """Stop and remove the local registry container."""
    return combine(docker("stop", LOCAL_REGISTRY_CONTAINER), docker("rm", LOCAL_REGISTRY_CONTAINER))
