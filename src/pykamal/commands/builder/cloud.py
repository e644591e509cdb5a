"""A Docker Build Cloud builder (driver ``cloud <org>/<builder>``)."""

from __future__ import annotations

import re

from pykamal.commands.args import docker
from pykamal.commands.base import Command
from pykamal.commands.builder.base import CLOUD, Builder


class Cloud(Builder):
    MODE = CLOUD

    def name(self) -> str:
        return re.sub(r"[ /]", "-", self.builder.driver)

    def create(self) -> Command | None:
        # the driver, then the cloud builder as the endpoint argument
        return docker("buildx", "create", "--driver", self.builder.driver.split())
