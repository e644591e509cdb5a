"""Image builds: the builder modes (local, remote, hybrid, cloud, pack), buildx setup, the build and
push itself, pulls on hosts, and builds from a clean git clone.

Which mode applies depends on the local Docker architecture when a remote builder is configured
(``docker.local_architecture``); pass it as ``local_arch`` (None when no remote builder is set).
Build secrets are passed to the build through the environment (``Command.env``) and referenced
with ``--secret id=NAME``; their values are never on a command line.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

from pykamal.commands.args import argumentize, docker, loose
from pykamal.commands.base import (
    Arg,
    Command,
    Quoted,
    Raw,
    Sensitive,
    Subst,
    any_of,
    chain,
    cmd,
    combine,
    pipe,
    word,
)
from pykamal.commands.env_file import SecretLookup
from pykamal.commands.git import git
from pykamal.config.model import BuilderConfig, Config
from pykamal.errors import ConfigError, SecretsError

LOCAL, REMOTE, HYBRID, CLOUD, PACK = "local", "remote", "hybrid", "cloud", "pack"
IMAGE_LABELS_BUILDPACK = "paketo-buildpacks/image-labels"
ENDPOINT_HOST_FORMAT = "{{.Endpoints.docker.Host}}"


# --- mode and names --------------------------------------------------------------------------------


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


def _docker_driver(builder: BuilderConfig) -> bool:
    return builder.driver == "docker"


def _remote_suffix(config: Config) -> str:
    remote = config.builder.remote or ""
    suffix = re.sub(r"[^a-z0-9_-]", "-", remote)
    return f"{suffix}-local-registry" if config.registry.is_local else suffix


def builder_name(config: Config, local_arch: str | None = None) -> str:
    """The buildx builder pykamal (and Kamal) creates for this configuration."""
    builder = config.builder
    kind = mode(builder, local_arch)
    if kind == REMOTE:
        return f"kamal-remote-{_remote_suffix(config)}"
    if kind == HYBRID:
        return f"kamal-hybrid-{builder.driver}-{_remote_suffix(config)}"
    if kind == CLOUD:
        return re.sub(r"[ /]", "-", builder.driver)
    if config.registry.is_local:
        return f"kamal-local-registry-{builder.driver}"
    return f"kamal-local-{builder.driver}"


def remote_context_name(config: Config, local_arch: str | None = None) -> str:
    return f"{builder_name(config, local_arch)}-context"


def login_to_registry_locally(builder: BuilderConfig, local_arch: str | None = None) -> bool:
    """Builders that push from this machine need a local login; remote and hybrid ones do not."""
    return mode(builder, local_arch) not in (REMOTE, HYBRID)


def push_env(builder: BuilderConfig, local_arch: str | None = None) -> dict[str, str]:
    """Environment of the build: remote builders push with their own credentials."""
    if mode(builder, local_arch) in (REMOTE, HYBRID):
        return {"BUILDKIT_NO_CLIENT_TOKEN": "1"}
    return {}


# --- builder setup ---------------------------------------------------------------------------------


def _driver_options(config: Config) -> list[Arg]:
    # buildkit must reach localhost:<port> of this machine to push to a local registry
    return ["--driver-opt", "network=host"] if config.registry.is_local else []


def _platform_args(arches: list[str]) -> list[Arg]:
    return ["--platform", ",".join(f"linux/{a}" for a in arches)] if arches else []


def _create_remote_context(config: Config, local_arch: str | None) -> Command:
    name = builder_name(config, local_arch)
    return docker(
        "context",
        "create",
        remote_context_name(config, local_arch),
        "--description",
        f"{name} host",
        "--docker",
        Quoted(f"host={config.builder.remote}", single=True),
    )


def create(config: Config, local_arch: str | None = None) -> Command | None:
    """Create the buildx builder (None when the mode needs none: docker driver, pack)."""
    builder = config.builder
    kind = mode(builder, local_arch)
    name = builder_name(config, local_arch)
    if kind == LOCAL:
        if _docker_driver(builder):
            return None
        return docker(
            "buildx", "create", "--name", name, f"--driver={builder.driver}", _driver_options(config)
        )
    if kind == REMOTE:
        return chain(
            _create_remote_context(config, local_arch),
            docker(
                "buildx",
                "create",
                "--name",
                name,
                _driver_options(config),
                remote_context_name(config, local_arch),
            ),
        )
    if kind == HYBRID:
        return combine(
            docker(
                "buildx",
                "create",
                _platform_args(local_arches(builder, local_arch)),
                "--name",
                name,
                f"--driver={builder.driver}",
                _driver_options(config),
            ),
            _create_remote_context(config, local_arch),
            docker(
                "buildx",
                "create",
                _platform_args(remote_arches(builder, local_arch)),
                "--append",
                "--name",
                name,
                _driver_options(config),
                remote_context_name(config, local_arch),
            ),
        )
    if kind == CLOUD:
        # "cloud <org>/<builder>": the driver, then the cloud builder as the endpoint argument
        return docker("buildx", "create", "--driver", builder.driver.split())
    return None


def remove(config: Config, local_arch: str | None = None) -> Command | None:
    builder = config.builder
    kind = mode(builder, local_arch)
    name = builder_name(config, local_arch)
    if kind in (REMOTE, HYBRID):
        return chain(
            docker("context", "rm", remote_context_name(config, local_arch)),
            docker("buildx", "rm", name),
        )
    if kind == PACK or (kind == LOCAL and _docker_driver(builder)):
        return None
    return docker("buildx", "rm", name)


def info(config: Config, local_arch: str | None = None) -> Command:
    """What ``build details`` shows."""
    kind = mode(config.builder, local_arch)
    if kind == PACK:
        return cmd("pack", "builder", "inspect", config.builder.pack_builder)
    join = chain if kind in (REMOTE, HYBRID) else combine
    return join(docker("context", "ls"), docker("buildx", "ls"))


def inspect_builder(config: Config, local_arch: str | None = None) -> Command | None:
    """Fails when the builder is missing or points elsewhere (then: remove and create it)."""
    builder = config.builder
    kind = mode(builder, local_arch)
    name = builder_name(config, local_arch)
    if kind == PACK:
        return cmd("pack", "builder", "inspect", builder.pack_builder)
    if kind in (REMOTE, HYBRID):
        context = remote_context_name(config, local_arch)
        return any_of(
            combine(
                pipe(docker("buildx", "inspect", name), cmd("grep", "-q", f"Endpoint:.*{context}")),
                pipe(
                    docker("context", "inspect", context, "--format", ENDPOINT_HOST_FORMAT),
                    cmd("grep", "-xq", builder.remote),
                ),
            ),
            cmd(Raw("(echo no compatible builder && exit 1)")),
        )
    if _docker_driver(builder):
        return None
    return docker("buildx", "inspect", name)


MISSING_BUILDER = re.compile(r"context not found|no builder|no compatible builder|does not exist")


def builder_missing(error_output: str) -> bool:
    """True when ``inspect_builder`` failed because the builder needs (re)creating."""
    return bool(MISSING_BUILDER.search(error_output))


# --- build -----------------------------------------------------------------------------------------


def tag_names(config: Config, *, tag_as_dirty: bool = False) -> list[str]:
    tags = [config.absolute_image, config.latest_image]
    return [f"{t}-dirty" for t in tags] if tag_as_dirty else tags


def _tag_args(config: Config, tag_as_dirty: bool) -> list[Arg]:
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


def _bare(flag: str, value: str | bool | None) -> list[Arg]:
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
        *_bare("--target", builder.target),
        *_bare("--ssh", builder.ssh),
        *_bare("--provenance", builder.provenance),
        *_bare("--sbom", builder.sbom),
    ]


def build_context(config: Config) -> str:
    return config.builder.context or "."


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
    builder = config.builder
    kind = mode(builder, local_arch)
    if kind == PACK:
        return _pack_push(config, secrets, output=output, tag_as_dirty=tag_as_dirty, no_cache=no_cache)
    env: list[tuple[str, str | Sensitive]] = [
        *push_env(builder, local_arch).items(),
        *secret_values(config, secrets),
    ]
    return docker(
        "buildx",
        "build",
        f"--output=type={output}",
        _platform_args(list(builder.arches)),
        None if _docker_driver(builder) else ["--builder", builder_name(config, local_arch)],
        _tag_args(config, tag_as_dirty),
        _build_options(config),
        "--no-cache" if no_cache else None,
        build_context(config),
        Raw("2>&1"),
        env=env,
    )


def _pack_push(
    config: Config, secrets: SecretLookup, *, output: str, tag_as_dirty: bool, no_cache: bool
) -> Command:
    builder = config.builder
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
        _tag_args(config, tag_as_dirty),
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


def can_build_without_buildx(config: Config, local_arch: str | None) -> bool:
    """A single-platform build for this machine's arch can use plain ``docker build`` (BuildKit)."""
    builder = config.builder
    if mode(builder, local_arch) != LOCAL or builder.remote:
        return False
    return len(builder.arches) == 0 or (len(builder.arches) == 1 and builder.arches[0] == local_arch)


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
        _platform_args(list(builder.arches)),
        _tag_args(config, tag_as_dirty),
        argumentize("--label", [("service", config.service)]),
        argumentize("--build-arg", builder.args, sensitive=True),
        argumentize("--secret", [("id", name) for name in builder.secrets]),
        "--file",
        loose(builder.dockerfile),
        _bare("--target", builder.target),
        _bare("--ssh", builder.ssh),
        "--no-cache" if no_cache else None,
        build_context(config),
        Raw("2>&1"),
        env=env,
    )
    if output == "docker":
        return build
    tags = tag_names(config, tag_as_dirty=tag_as_dirty)
    return combine(build, *(docker("push", tag) for tag in tags))


# --- on the hosts ----------------------------------------------------------------------------------


def pull(config: Config) -> Command:
    return docker("pull", config.absolute_image)


def clean(config: Config) -> Command:
    """Remove the local copy of the version's image before pulling it again."""
    return docker("image", "rm", "--force", config.absolute_image)


def validate_image(config: Config) -> Command:
    """Fails unless the image carries ``service=<service>`` (refuses other apps' images)."""
    message = f"Image {config.absolute_image} is missing the 'service' label"
    return pipe(
        docker("inspect", "-f", "{{ .Config.Labels.service }}", config.absolute_image),
        any_of(
            cmd("grep", "-x", config.service),
            cmd(Raw("(echo"), Quoted(message), Raw("&& exit 1)")),
        ),
    )


def first_mirror() -> Command:
    """The host's first registry mirror (fails when it has none)."""
    return docker("info", "--format", "{{index .RegistryConfig.Mirrors 0}}")


NO_MIRROR_TEXT = "error calling index: reflect: slice index out of range"


def no_mirror(error_output: str) -> bool:
    """True when ``first_mirror`` failed only because no mirror is configured."""
    return NO_MIRROR_TEXT in error_output


# --- a host's whole pull in one remote command -----------------------------------------------------
# Instead of Kamal's separate login, mirror read, audit line, clean, pull and label check. Each step
# that can fail ends the script with its own exit status, so a refused login, a missing tag and a
# missing ``service`` label stay distinguishable. The password reaches ``docker login
# --password-stdin`` on stdin, read by that first step only.

# exit statuses of ``pull_on_host``
LOGIN_FAILED = 81
PULL_FAILED = 82
LABEL_MISSING = 83
MIRROR_UNREADABLE = 84

# the line a host with a registry mirror prints instead of pulling (marked like the probes' lines)
MIRROR_LINE = "@pykamal mirror"


def _exit_on_failure(command: Command, status: int) -> Command:
    """``{ <command> || exit <status>; }``."""
    return cmd(Raw("{"), command, Raw(f"|| exit {status}; }}"), stdin=command.stdin)


def login_step(login: Command) -> Command:
    """``docker login`` whose output is shown only when it fails (then the script exits)."""
    return cmd(
        word(Raw("out="), Subst(cmd(login, Raw("2>&1")))),
        Raw(f"|| {{ printf '%s\\n' \"$out\" >&2; exit {LOGIN_FAILED}; }}"),
        stdin=login.stdin,
    )


def mirror_step() -> Command:
    """On a host with a registry mirror: print ``@pykamal mirror <url>`` and stop (it pulls later,
    once one host per mirror has seeded it). Without a mirror, go on; any other error stops."""
    return cmd(
        Raw("if"),
        word(Raw("mirror="), Subst(cmd(first_mirror(), Raw("2>&1")))),
        Raw(f'; then echo {MIRROR_LINE} "$mirror"; exit 0; fi;'),
        Raw(f'case "$mirror" in *"{NO_MIRROR_TEXT}"*) ;;'),
        Raw(f"*) printf '%s\\n' \"$mirror\" >&2; exit {MIRROR_UNREADABLE} ;; esac"),
    )


def stopped_at_mirror(stdout: str) -> str | None:
    """The mirror a host named instead of pulling (``mirror_step``), or None when it pulled."""
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 3 and " ".join(words[:2]) == MIRROR_LINE:
            return words[2]
    return None


def pull_steps(config: Config, audit: Command) -> Command:
    """The audit line, Kamal's clean (failure ignored), the pull and the ``service`` label check."""
    clean_then_pull = chain(clean(config), _exit_on_failure(pull(config), PULL_FAILED))
    return combine(
        audit,
        cmd(Raw("{"), clean_then_pull, Raw("; }")),
        _exit_on_failure(validate_image(config), LABEL_MISSING),
    )


def pull_on_host(
    config: Config, *, audit: Command, login: Command | None = None, check_mirror: bool = False
) -> Command:
    """Log in (unless ``login`` is None), stop early on a mirror host (``check_mirror``), then pull."""
    return chain(
        login_step(login) if login is not None else None,
        mirror_step() if check_mirror else None,
        pull_steps(config, audit),
    )


# --- git clone builds ------------------------------------------------------------------------------


def clone_directory(service: str, cwd: str, tmpdir: str) -> str:
    """``<tmpdir>/kamal-clones/<service>-<13 hex of sha256(cwd)>`` (shared with Kamal)."""
    digest = hashlib.sha256(cwd.encode()).hexdigest()[:13]
    return f"{tmpdir.rstrip('/')}/kamal-clones/{service}-{digest}"


def build_directory(clone_dir: str, git_root: str, cwd: str) -> str:
    """The clone's counterpart of ``cwd`` (the same subdirectory of the repository)."""
    relative = cwd.removeprefix(git_root).lstrip("/")
    return "/".join([clone_dir.rstrip("/"), PurePosixPath(git_root).name, relative])


def clone(clone_dir: str, git_root: str) -> Command:
    return git("clone", git_root, "--recurse-submodules", path=clone_dir)


def clone_reset_steps(build_dir: str, git_root: str, revision: str) -> list[Command]:
    """Bring an existing clone to ``revision`` with nothing else in it."""
    return [
        git("remote", "set-url", "origin", git_root, path=build_dir),
        git("fetch", "origin", path=build_dir),
        git("reset", "--hard", revision, path=build_dir),
        git("clean", "-fdx", path=build_dir),
        git("submodule", "update", "--init", path=build_dir),
    ]


def clone_status(build_dir: str) -> Command:
    return git("status", "--porcelain", path=build_dir)


def clone_revision(build_dir: str) -> Command:
    return git("rev-parse", "HEAD", path=build_dir)


def clone_already_exists(error_output: str) -> bool:
    return "already exists and is not an empty directory" in error_output
