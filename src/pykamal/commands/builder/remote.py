"""A buildx builder on a remote Docker host, reached through a docker context of its own."""

from __future__ import annotations

import re
from typing import ClassVar

from pykamal.commands.args import docker
from pykamal.commands.base import Command, Quoted, Raw, any_of, chain, cmd, combine, pipe
from pykamal.commands.builder.base import REMOTE, Builder, driver_options

ENDPOINT_HOST_FORMAT = "{{.Endpoints.docker.Host}}"


class Remote(Builder):
    MODE = REMOTE
    LOGIN_LOCALLY = False  # the remote builder pushes with its own credentials
    PUSH_ENV: ClassVar[dict[str, str]] = {"BUILDKIT_NO_CLIENT_TOKEN": "1"}
    BUILDS_ON_REMOTE_HOST = True

    def remote_suffix(self) -> str:
        suffix = re.sub(r"[^a-z0-9_-]", "-", self.builder.remote or "")
        return f"{suffix}-local-registry" if self.config.registry.is_local else suffix

    def name(self) -> str:
        return f"kamal-remote-{self.remote_suffix()}"

    def context_name(self) -> str:
        return f"{self.name()}-context"

    def create_context(self) -> Command:
        return docker(
            "context",
            "create",
            self.context_name(),
            "--description",
            f"{self.name()} host",
            "--docker",
            Quoted(f"host={self.builder.remote}", single=True),
        )

    def create(self) -> Command | None:
        append = docker(
            "buildx", "create", "--name", self.name(), driver_options(self.config), self.context_name()
        )
        return chain(self.create_context(), append)

    def remove(self) -> Command | None:
        return chain(docker("context", "rm", self.context_name()), docker("buildx", "rm", self.name()))

    def info(self) -> Command:
        return chain(docker("context", "ls"), docker("buildx", "ls"))

    def inspect(self) -> Command | None:
        context = self.context_name()
        return any_of(
            combine(
                pipe(docker("buildx", "inspect", self.name()), cmd("grep", "-q", f"Endpoint:.*{context}")),
                pipe(
                    docker("context", "inspect", context, "--format", ENDPOINT_HOST_FORMAT),
                    cmd("grep", "-xq", self.builder.remote),
                ),
            ),
            cmd(Raw("(echo no compatible builder && exit 1)")),
        )
