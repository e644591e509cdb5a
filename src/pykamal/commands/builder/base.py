"""What every builder mode shares: the mode's choice, names, tags, cache and build options, and the
``docker buildx build`` most modes push with. Each mode's class overrides only what differs.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pykamal.commands.args import argumentize, docker, loose
from pykamal.commands.base import Arg, Command, Raw, Sensitive, combine
from pykamal.commands.env_file import SecretLookup
from pykamal.config.model import BuilderConfig, Config
from pykamal.errors import SecretsError

LOCAL, REMOTE, HYBRID, CLOUD, PACK = "local", "remote", "hybrid", "cloud", "pack"


def local_arches(builder: BuilderConfig, local_arch: str | None) -> list[str]:
    """Arches built on this machine: all of them without a remote builder, else the local one if listed."""
    if not builder.local:
        return []
    if builder.remote:
        return [a for a in builder.arches if a == local_arch]
    return list(builder.arches)


def remote_arches(builder: BuilderConfig, local_arch: str | None) -> list[str]:
    if not builder.remote:
        return []
    here = local_arches(builder, local_arch)
    return [a for a in builder.arches if a not in here]


def mode(builder: BuilderConfig, local_arch: str | None = None) -> str:
    """``local``, ``remote``, ``hybrid`` (both), ``pack`` or ``cloud``."""
    remote = bool(remote_arches(builder, local_arch))
    local = builder.local and (not builder.arches or bool(local_arches(builder, local_arch)))
    if remote:
        return HYBRID if local else REMOTE
    if builder.is_pack:
        return PACK
    if builder.is_cloud:
        return CLOUD
    return LOCAL


# --- tags, cache, options --------------------------------------------------------------------------


def tag_names(config: Config, *, tag_as_dirty: bool = False) -> list[str]:
    tags = [config.absolute_image, config.latest_image]
    return [f"{t}-dirty" for t in tags] if tag_as_dirty else tags


def tag_args(config: Config, tag_as_dirty: bool) -> list[Arg]:
    return [arg for tag in tag_names(config, tag_as_dirty=tag_as_dirty) for arg in ("-t", tag)]


def _cache_image_ref(config: Config) -> str:
    cache = config.builder.cache
    image = (cache.image if cache else None) or f"{config.image}-build-cache"
    return "/".join(p for p in (config.registry.server, image) if p)


def cache_from(config: Config) -> str | None:
    cache = config.builder.cache
    if cache is None:
        return None
    if cache.type == "gha":
        allowed = [
            o for o in (cache.options or "").split(",") if re.match(r"^(url|url_v2|token|scope|timeout)=", o)
        ]
        return ",".join(["type=gha", *allowed])
    if cache.type == "registry":
        return f"type=registry,ref={_cache_image_ref(config)}"
    return None


def cache_to(config: Config) -> str | None:
    cache = config.builder.cache
    if cache is None:
        return None
    if cache.type == "gha":
        return ",".join(p for p in ("type=gha", cache.options) if p)
    if cache.type == "registry":
        return ",".join(p for p in ("type=registry", f"ref={_cache_image_ref(config)}", cache.options) if p)
    return None


def bare(flag: str, value: str | bool | None) -> list[Arg]:
    """``<flag> <value>`` unquoted (booleans lower-case), nothing for an empty value."""
    if value is None or value == "":
        return []
    return [flag, loose(str(value).lower() if isinstance(value, bool) else value)]


def secret_values(config: Config, secrets: SecretLookup) -> list[tuple[str, Sensitive]]:
    """``(NAME, value)`` of each build secret, to put in the build's environment."""
    out = []
    for name in config.builder.secrets:
        value = secrets.get(name)
        if value is None:
            raise SecretsError(f"Secret '{name}' not found")
        out.append((name, Sensitive(value)))
    return out


def _build_options(config: Config) -> list[Arg]:
    """Cache, label, build args (redacted in logs), secret ids, dockerfile, target, ssh, attestations."""
    builder = config.builder
    source, destination = cache_from(config), cache_to(config)
    return [
        *(["--cache-to", destination, "--cache-from", source] if source and destination else []),
        *argumentize("--label", [("service", config.service)]),
        *argumentize("--build-arg", builder.args, sensitive=True),
        *argumentize("--secret", [("id", name) for name in builder.secrets]),
        "--file",
        loose(builder.dockerfile),
        *bare("--target", builder.target),
        *bare("--ssh", builder.ssh),
        *bare("--provenance", builder.provenance),
        *bare("--sbom", builder.sbom),
    ]


def build_context(config: Config) -> str:
    return config.builder.context or "."


def platform_args(arches: list[str]) -> list[Arg]:
    return ["--platform", ",".join(f"linux/{a}" for a in arches)] if arches else []


def driver_options(config: Config) -> list[Arg]:
    # buildkit must reach localhost:<port> of this machine to push to a local registry
    return ["--driver-opt", "network=host"] if config.registry.is_local else []


# --- the modes' shared behaviour -------------------------------------------------------------------


class Builder:
    """One builder mode for one configuration; the defaults are those of a buildx builder here."""

    MODE: ClassVar[str]
    LOGIN_LOCALLY: ClassVar[bool] = True  # pushes from this machine, with this machine's login
    PUSH_ENV: ClassVar[dict[str, str]] = {}
    USES_BUILDX: ClassVar[bool] = True  # builds with ``docker buildx`` (or plain ``docker build``)
    BUILDS_ON_REMOTE_HOST: ClassVar[bool] = False  # the build runs on ``builder.remote``

    def __init__(self, config: Config, local_arch: str | None = None) -> None:
        self.config = config
        self.local_arch = local_arch

    @property
    def builder(self) -> BuilderConfig:
        return self.config.builder

    @property
    def docker_driver(self) -> bool:
        return self.builder.driver == "docker"

    def name(self) -> str:
        """The buildx builder pykamal (and Kamal) creates for this configuration."""
        kind = "local-registry" if self.config.registry.is_local else "local"
        return f"kamal-{kind}-{self.builder.driver}"

    def create(self) -> Command | None:
        """Create the builder (None when there is nothing to create)."""
        return None

    def remove(self) -> Command | None:
        return None if self.docker_driver else docker("buildx", "rm", self.name())

    def info(self) -> Command:
        """What ``build details`` shows."""
        return combine(docker("context", "ls"), docker("buildx", "ls"))

    def inspect(self) -> Command | None:
        """Fails when the builder is missing or points elsewhere (then: remove and create it)."""
        return None if self.docker_driver else docker("buildx", "inspect", self.name())

    def push(self, secrets: SecretLookup, *, output: str, tag_as_dirty: bool, no_cache: bool) -> Command:
        """Build (and with output ``registry``, push) the image; run it in the build directory."""
        env: list[tuple[str, str | Sensitive]] = [
            *self.PUSH_ENV.items(),
            *secret_values(self.config, secrets),
        ]
        return docker(
            "buildx",
            "build",
            f"--output=type={output}",
            platform_args(list(self.builder.arches)),
            None if self.docker_driver else ["--builder", self.name()],
            tag_args(self.config, tag_as_dirty),
            _build_options(self.config),
            "--no-cache" if no_cache else None,
            build_context(self.config),
            Raw("2>&1"),
            env=env,
        )

    def can_build_without_buildx(self) -> bool:
        """Whether plain ``docker build`` (BuildKit) can stand in for buildx."""
        return False


MISSING_BUILDER = re.compile(r"context not found|no builder|no compatible builder|does not exist")


def builder_missing(error_output: str) -> bool:
    """True when a builder's ``inspect`` failed because the builder needs (re)creating."""
    return bool(MISSING_BUILDER.search(error_output))
