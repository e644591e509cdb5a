"""The release command (``x-pykamal.release``): one one-off container of the new version.

It gets what the role's containers get (env file, clear env, volumes, network, options, logging)
plus ``KAMAL_VERSION``/``KAMAL_HOST``, and a fixed name so a release that runs too long can be
stopped by name.
"""

from __future__ import annotations

from pykamal.commands import app
from pykamal.commands.args import docker
from pykamal.commands.base import Command
from pykamal.config.model import Config, Role

NAME_TAG = "release"


def container_name(config: Config, role: Role) -> str:
    return app.exec_container_name(config, role, NAME_TAG)


def run(config: Config, role: Role, host: str, command: str) -> Command:
    """``docker run --rm`` of ``command`` in a new container of ``config.version``."""
    env = [("KAMAL_VERSION", config.version), ("KAMAL_HOST", host)]
    if config.destination:
        env.append(("KAMAL_DESTINATION", config.destination))
    return app.execute_in_new_container(config, role, host, command, random_hex=NAME_TAG, env=env)


def remove(config: Config, role: Role) -> Command:
    """Stop and remove the release container (after a timeout: the docker client went, it did not)."""
    return docker("rm", "--force", container_name(config, role))
