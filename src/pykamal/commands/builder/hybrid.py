"""One buildx builder with a node here for this machine's arch and a node on the remote host."""

from __future__ import annotations

from pykamal.commands.args import docker
from pykamal.commands.base import Command, combine
from pykamal.commands.builder.base import HYBRID, driver_options, local_arches, platform_args, remote_arches
from pykamal.commands.builder.remote import Remote


class Hybrid(Remote):
    MODE = HYBRID

    def name(self) -> str:
        return f"kamal-hybrid-{self.builder.driver}-{self.remote_suffix()}"

    def create(self) -> Command | None:
        here = local_arches(self.builder, self.local_arch)
        there = remote_arches(self.builder, self.local_arch)
        options = driver_options(self.config)
        return combine(
            docker(
                "buildx", "create", platform_args(here), "--name", self.name(),
                f"--driver={self.builder.driver}", options,
            ),
            self.create_context(),
            docker(
                "buildx", "create", platform_args(there), "--append", "--name", self.name(),
                options, self.context_name(),
            ),
        )  # fmt: skip
