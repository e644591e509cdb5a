"""Helpers for the remote-execution unit tests: a small Config and a captured Output."""

from __future__ import annotations

import io

from pykamal.config.model import Accessory, Config, RegistryConfig, Role
from pykamal.remote.output import Output


def make_config(
    roles: dict[str, list[str]] | None = None,
    *,
    service: str = "app",
    destination: str | None = None,
    accessories: dict[str, list[str]] | None = None,
    primary_role: str = "web",
) -> Config:
    roles = roles if roles is not None else {"web": ["h1", "h2"], "workers": ["h3"]}
    role_objects = tuple(
        Role(name, tuple(hosts), service=service, destination=destination) for name, hosts in roles.items()
    )
    accessory_objects = tuple(
        Accessory(name=name, service=f"{service}-{name}", image="img", hosts=tuple(hosts))
        for name, hosts in (accessories or {}).items()
    )
    return Config(
        service=service,
        image=service,
        version="abc1234",
        destination=destination,
        config_file="config/deploy.yml",
        registry=RegistryConfig(),
        roles=role_objects,
        accessories=accessory_objects,
        primary_role_name=primary_role,
    )


class Captured:
    def __init__(self, verbosity: str = "info") -> None:
        self.out = io.StringIO()
        self.err = io.StringIO()
        self.output = Output(verbosity, stream=self.out, err_stream=self.err, color=False)

    @property
    def text(self) -> str:
        return self.out.getvalue()

    @property
    def errors(self) -> str:
        return self.err.getvalue()
