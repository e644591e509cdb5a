"""Cloud Native Buildpacks through the ``pack`` CLI: no buildx builder, the image pushed by docker."""

from __future__ import annotations

from pykamal.commands.args import argumentize, docker
from pykamal.commands.base import Command, cmd, combine
from pykamal.commands.builder.base import PACK, Builder, build_context, secret_values, tag_args
from pykamal.commands.env_file import SecretLookup

IMAGE_LABELS_BUILDPACK = "paketo-buildpacks/image-labels"


class Pack(Builder):
    MODE = PACK
    USES_BUILDX = False  # the pack CLI builds on its own

    def remove(self) -> Command | None:
        return None

    def info(self) -> Command:
        return cmd("pack", "builder", "inspect", self.builder.pack_builder)

    def inspect(self) -> Command | None:
        return self.info()

    def push(self, secrets: SecretLookup, *, output: str, tag_as_dirty: bool, no_cache: bool) -> Command:
        config, builder = self.config, self.builder
        arch = builder.arches[0] if builder.arches else None
        buildpacks = [*builder.pack_buildpacks, IMAGE_LABELS_BUILDPACK]
        secret_env = secret_values(config, secrets)  # pack reads a bare ``--env NAME`` from its environment
        build = cmd(
            "pack",
            "build",
            config.repository,
            ["--platform", f"linux/{arch}"] if arch else None,
            "--creation-time",
            "now",
            "--builder",
            builder.pack_builder,
            [arg for pack in buildpacks for arg in ("--buildpack", pack)],
            tag_args(config, tag_as_dirty),
            "--clear-cache" if no_cache else None,
            "--env",
            f"BP_IMAGE_LABELS=service={config.service}",
            argumentize("--env", builder.args),
            [arg for name, _ in secret_env for arg in ("--env", name)],
            "--path",
            build_context(config),
            env=secret_env,
        )
        if output != "registry":
            return build
        return combine(build, docker("push", config.absolute_image), docker("push", config.latest_image))
