"""The app's images: list, remove, tag as latest."""

from __future__ import annotations

from pykamal.commands.args import (
    docker,
)
from pykamal.commands.base import (
    Command,
)
from pykamal.config.model import Config

# --- images ----------------------------------------------------------------------------------------


def list_images(config: Config) -> Command:
    return docker("image", "ls", config.repository)


def remove_images(config: Config) -> Command:
    return docker("image", "prune", "--all", "--force", "--filter", f"label=service={config.service}")


def tag_latest_image(config: Config) -> Command:
    return docker("tag", config.absolute_image, config.latest_image)
