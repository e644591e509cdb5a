"""Image builds: one class per builder mode (local, remote, hybrid, cloud, pack), buildx setup, the
build and push itself, pulls on hosts, and builds from a clean git clone.

Which mode applies depends on the local Docker architecture when a remote builder is configured
(``docker.local_architecture``); pass it as ``local_arch`` (None when no remote builder is set).
``for_config`` picks the mode's class once; the functions below ask it for one command each.
Build secrets are passed to the build through the environment (``Command.env``) and referenced
with ``--secret id=NAME``; their values are never on a command line.
"""

from __future__ import annotations

from pykamal.commands.base import Command
from pykamal.commands.builder.base import (
    CLOUD,
    HYBRID,
    LOCAL,
    MISSING_BUILDER,
    PACK,
    REMOTE,
    Builder,
    build_context,
    builder_missing,
    cache_from,
    cache_to,
    local_arches,
    mode,
    remote_arches,
    secret_values,
    tag_names,
)
from pykamal.commands.builder.clone import (
    build_directory,
    clone,
    clone_already_exists,
    clone_directory,
    clone_reset_steps,
    clone_revision,
    clone_status,
)
from pykamal.commands.builder.cloud import Cloud
from pykamal.commands.builder.hybrid import Hybrid
from pykamal.commands.builder.local import Local, build_without_buildx
from pykamal.commands.builder.pack import IMAGE_LABELS_BUILDPACK, Pack
from pykamal.commands.builder.pull import (
    LABEL_MISSING,
    LOGIN_FAILED,
    MIRROR_LINE,
    MIRROR_UNREADABLE,
    NO_MIRROR_TEXT,
    PULL_FAILED,
    clean,
    first_mirror,
    login_step,
    mirror_step,
    mirrors_can_serve,
    no_mirror,
    pull,
    pull_on_host,
    pull_steps,
    stopped_at_mirror,
    validate_image,
)
from pykamal.commands.builder.remote import ENDPOINT_HOST_FORMAT, Remote
from pykamal.commands.env_file import SecretLookup
from pykamal.config.model import BuilderConfig, Config

MODES: dict[str, type[Builder]] = {LOCAL: Local, REMOTE: Remote, HYBRID: Hybrid, CLOUD: Cloud, PACK: Pack}


def for_config(config: Config, local_arch: str | None = None) -> Builder:
    """The builder of the configuration's mode."""
    return MODES[mode(config.builder, local_arch)](config, local_arch)


def builder_name(config: Config, local_arch: str | None = None) -> str:
    """The buildx builder pykamal (and Kamal) creates for this configuration."""
    return for_config(config, local_arch).name()


def remote_context_name(config: Config, local_arch: str | None = None) -> str:
    return f"{builder_name(config, local_arch)}-context"


def login_to_registry_locally(builder: BuilderConfig, local_arch: str | None = None) -> bool:
    """Builders that push from this machine need a local login; remote and hybrid ones do not."""
    return MODES[mode(builder, local_arch)].LOGIN_LOCALLY


def push_env(builder: BuilderConfig, local_arch: str | None = None) -> dict[str, str]:
    """Environment of the build: remote builders push with their own credentials."""
    return dict(MODES[mode(builder, local_arch)].PUSH_ENV)


def create(config: Config, local_arch: str | None = None) -> Command | None:
    """Create the buildx builder (None when the mode needs none: docker driver, pack)."""
    return for_config(config, local_arch).create()


def remove(config: Config, local_arch: str | None = None) -> Command | None:
    return for_config(config, local_arch).remove()


def info(config: Config, local_arch: str | None = None) -> Command:
    """What ``build details`` shows."""
    return for_config(config, local_arch).info()


def inspect_builder(config: Config, local_arch: str | None = None) -> Command | None:
    """Fails when the builder is missing or points elsewhere (then: remove and create it)."""
    return for_config(config, local_arch).inspect()


def push(
    config: Config,
    secrets: SecretLookup,
    *,
    local_arch: str | None = None,
    output: str = "registry",
    tag_as_dirty: bool = False,
    no_cache: bool = False,
) -> Command:
    """Build (and with output ``registry``, push) the image; run it in the build directory."""
    builder = for_config(config, local_arch)
    return builder.push(secrets, output=output, tag_as_dirty=tag_as_dirty, no_cache=no_cache)


def can_build_without_buildx(config: Config, local_arch: str | None) -> bool:
    """A single-platform build for this machine's arch can use plain ``docker build`` (BuildKit)."""
    return for_config(config, local_arch).can_build_without_buildx()


__all__ = [
    "CLOUD", "ENDPOINT_HOST_FORMAT", "HYBRID", "IMAGE_LABELS_BUILDPACK", "LABEL_MISSING", "LOCAL",
    "LOGIN_FAILED", "MIRROR_LINE", "MIRROR_UNREADABLE", "MISSING_BUILDER", "MODES", "NO_MIRROR_TEXT",
    "PACK", "PULL_FAILED", "REMOTE", "Builder", "Cloud", "Hybrid", "Local", "Pack", "Remote",
    "build_context", "build_directory", "build_without_buildx", "builder_missing", "builder_name",
    "cache_from", "cache_to", "can_build_without_buildx", "clean", "clone", "clone_already_exists",
    "clone_directory", "clone_reset_steps", "clone_revision", "clone_status", "create", "first_mirror",
    "for_config", "info", "inspect_builder", "local_arches", "login_step", "login_to_registry_locally",
    "mirror_step", "mirrors_can_serve", "mode", "no_mirror", "pull", "pull_on_host", "pull_steps", "push",
    "push_env", "remote_arches", "remote_context_name", "remove", "secret_values", "stopped_at_mirror",
    "tag_names", "validate_image",
]  # fmt: skip
