"""A buildx builder on this machine (or the plain docker driver, which needs none)."""

from __future__ import annotations

from pykamal.commands.args import argumentize, docker, loose
from pykamal.commands.base import Command, Raw, Sensitive, combine
from pykamal.commands.builder.base import (
    LOCAL,
    Builder,
    bare,
    build_context,
    driver_options,
    platform_args,
    secret_values,
    tag_args,
    tag_names,
)
from pykamal.commands.env_file import SecretLookup
from pykamal.config.model import Config
from pykamal.errors import ConfigError


class Local(Builder):
    MODE = LOCAL

    def create(self) -> Command | None:
        if self.docker_driver:
            return None
        return docker(
            "buildx",
            "create",
            "--name",
            self.name(),
            f"--driver={self.builder.driver}",
            driver_options(self.config),
        )

    def can_build_without_buildx(self) -> bool:
        """A single-platform build for this machine's arch can use plain ``docker build``."""
        arches = self.builder.arches
        if self.builder.remote:
            return False
        return len(arches) == 0 or (len(arches) == 1 and arches[0] == self.local_arch)


def build_without_buildx(
    config: Config,
    secrets: SecretLookup,
    *,
    output: str = "registry",
    tag_as_dirty: bool = False,
    no_cache: bool = False,
) -> Command:
    """``DOCKER_BUILDKIT=1 docker build`` then ``docker push`` of both tags (for output ``registry``).

    For machines without the buildx plugin. Cache export, provenance and SBOM need buildx and are
    left out; only ``registry`` and ``docker`` outputs are possible.
    """
    if output not in ("registry", "docker"):
        raise ConfigError(f"Output type '{output}' needs docker buildx, which is not installed")
    builder = config.builder
    env: list[tuple[str, str | Sensitive]] = [("DOCKER_BUILDKIT", "1"), *secret_values(config, secrets)]
    build = docker(
        "build",
        platform_args(list(builder.arches)),
        tag_args(config, tag_as_dirty),
        argumentize("--label", [("service", config.service)]),
        argumentize("--build-arg", builder.args, sensitive=True),
        argumentize("--secret", [("id", name) for name in builder.secrets]),
        "--file",
        loose(builder.dockerfile),
        bare("--target", builder.target),
        bare("--ssh", builder.ssh),
        "--no-cache" if no_cache else None,
        build_context(config),
        Raw("2>&1"),
        env=env,
    )
    if output == "docker":
        return build
    tags = tag_names(config, tag_as_dirty=tag_as_dirty)
    return combine(build, *(docker("push", tag) for tag in tags))
