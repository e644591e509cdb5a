"""Accessory command pieces used by the accessory flows beyond ``commands.accessory``."""

from __future__ import annotations

from pykamal.commands.args import docker, grep_args, remove_file
from pykamal.commands.base import Command, Raw, cmd, pipe
from pykamal.config.model import Accessory, Config


def follow_logs_on_host(
    accessory: Accessory,
    *,
    timestamps: bool = True,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """What ``logs --follow`` runs on the host through a local ``ssh -t``: the last 10 lines, then follow."""
    return pipe(
        docker(
            "logs",
            accessory.service,
            "--timestamps" if timestamps else None,
            "--tail",
            "10",
            "--follow",
            Raw("2>&1"),
        ),
        cmd(grep_args(grep, grep_options, double=True)) if grep else None,
    )


def remove_env_file(config: Config, accessory: Accessory) -> Command:
    """``rm -f`` of the accessory's secret env file (``remove`` leaves nothing behind)."""
    command = remove_file(config.accessory_env_file(accessory))
    return cmd(command.args[0], "-f", *command.args[1:])


def repository_of(image: str) -> str:
    """``registry:5000/name:tag`` → ``registry:5000/name`` (a digest is dropped as well)."""
    name = image.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


def remove_untagged_images(accessory: Accessory) -> Command:
    """Remove the accessory repository's untagged images (left behind when a reboot pulled a newer one)."""
    listing = docker(
        "image",
        "ls",
        "--quiet",
        "--filter",
        "dangling=true",
        "--filter",
        f"reference={repository_of(accessory.image)}",
    )
    return pipe(listing, cmd("xargs", "-r", "docker", "image", "rm", "--force"))


# Docker's own networks, and network modes that are not networks to create.
BUILT_IN_NETWORKS = ("bridge", "host", "none", "default")


def custom_network(accessory: Accessory) -> str | None:
    """The accessory's network when it is neither ``kamal`` nor one Docker provides itself."""
    network = accessory.network
    if network == "kamal" or network in BUILT_IN_NETWORKS or network.startswith("container:"):
        return None
    return network


def create_network(name: str) -> Command:
    """``docker network create <name>`` (a failure saying "already exists" is fine)."""
    return docker("network", "create", name)
