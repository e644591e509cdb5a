"""App containers: names, the ``docker run`` line, start/stop, and finding containers and versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pykamal.commands import env_file
from pykamal.commands.args import (
    argumentize,
    container_id_for,
    docker,
    logging_args,
    loose,
    optionize,
    repeat,
    volume,
    xargs,
)
from pykamal.commands.base import (
    Arg,
    Command,
    Quoted,
    Raw,
    Script,
    Subst,
    chain,
    cmd,
    pipe,
    quote,
    word,
)
from pykamal.config.model import Config, Logging, Role, docker_options_of, restart_policy_of

ACTIVE_STATUSES = ("running", "restarting")
HEALTH_STATUS_FORMAT = "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}"
HEALTH_LOG_FORMAT = "{{json .State.Health}}"
NETWORK = "kamal"


# --- names -----------------------------------------------------------------------------------------


def container_name(config: Config, role: Role, version: str | None = None) -> str:
    return role.container_name(version or config.version)


def hostname(host: str, random_hex: str) -> str:
    """The container's hostname: the host name (at most 51 chars, no trailing dot) and 12 random hex chars."""
    return f"{host[:51].removesuffix('.')}-{random_hex}"


def exec_container_name(config: Config, role: Role, random_hex: str) -> str:
    """``<prefix>-exec-<version>-<6 random hex>`` for one-off ``app exec`` containers."""
    return f"{role.container_prefix}-exec-{config.version}-{random_hex}"


def replaced_version(version: str, random_hex: str) -> str:
    """The version an existing container of ``version`` is renamed to before a fresh one boots."""
    return f"{version}_replaced_{random_hex}"


# --- argument groups -------------------------------------------------------------------------------


def _merged_logging(root: Logging, role: Logging) -> Logging:
    """Role logging deep-merged over root logging (role wins)."""
    options = {**dict(root.options), **dict(role.options)}
    return Logging(driver=role.driver or root.driver, options=tuple(options.items()))


def _role_logging_args(config: Config, role: Role) -> list[Arg]:
    return logging_args(_merged_logging(config.logging, role.logging))


def _env_args(config: Config, role: Role, host: str) -> list[Arg]:
    """Clear variables on the line, secret ones through the role's env file."""
    env = env_file.role_env(config, role, host)
    return [*env_file.clear_env_args(env), "--env-file", config.role_env_file(role)]


def _volume_args(config: Config) -> list[Arg]:
    return repeat("--volume", config.volumes)


def _label_args(config: Config, role: Role) -> list[Arg]:
    labels: dict[str, str | None] = {
        "service": config.service,
        "role": role.name,
        "destination": config.destination,
    }
    labels.update(dict(config.labels))
    labels.update(dict(role.labels))
    return argumentize("--label", labels.items())


def _option_args(role: Role) -> list[Arg]:
    return optionize(docker_options_of(role.options))


def _asset_path_config(config: Config, role: Role) -> tuple[str, str | None] | None:
    raw = role.asset_path or config.asset_path
    if not raw:
        return None
    path, _, options = raw.partition(":")
    return path, options or None


def has_assets(config: Config, role: Role) -> bool:
    return _asset_path_config(config, role) is not None and role.running_proxy


def asset_extracted_directory(config: Config, role: Role, version: str | None = None) -> str:
    return f"{config.apps_directory}/assets/extracted/{role.name}-{version or config.version}"


def asset_volume_directory(config: Config, role: Role, version: str | None = None) -> str:
    return f"{config.apps_directory}/assets/volumes/{role.name}-{version or config.version}"


def _asset_volume_args(config: Config, role: Role) -> list[Arg]:
    asset = _asset_path_config(config, role)
    if asset is None or not role.running_proxy:
        return []
    path, options = asset
    return volume(asset_volume_directory(config, role), path, options)


def _cmd_arg(command: str | None) -> Raw | None:
    # The role's cmd (and an exec command) is shell text written by the user, passed as Kamal does.
    return Raw(command) if command else None


# --- run / start / stop ----------------------------------------------------------------------------


def run(config: Config, role: Role, host: str, *, hostname: str | None = None) -> Command:
    """``docker run`` of the role's container for ``config.version`` on ``host``."""
    name = container_name(config, role)
    kamal_env: list[Arg] = [
        "--env",
        word("KAMAL_CONTAINER_NAME=", Quoted(name)),
        "--env",
        word("KAMAL_VERSION=", Quoted(config.version)),
        "--env",
        word("KAMAL_HOST=", Quoted(host)),
    ]
    if config.destination:
        kamal_env += ["--env", word("KAMAL_DESTINATION=", Quoted(config.destination))]
    return docker(
        "run",
        "--detach",
        "--restart",
        restart_policy_of(role.options),
        "--name",
        name,
        "--network",
        NETWORK,
        ["--hostname", hostname] if hostname else None,
        kamal_env,
        _env_args(config, role, host),
        _role_logging_args(config, role),
        _volume_args(config),
        _asset_volume_args(config, role),
        _label_args(config, role),
        _option_args(role),
        config.absolute_image,
        _cmd_arg(role.cmd),
    )


def start(config: Config, role: Role) -> Command:
    return docker("start", container_name(config, role))


def _stop_args(config: Config, role: Role) -> list[Arg]:
    """``-t <seconds>``: the role's ``stop_timeout`` when set; otherwise ``drain_timeout`` for roles
    without the proxy, and Docker's own default behind the proxy (which drains requests itself)."""
    if role.stop_timeout is not None:
        return ["-t", str(role.stop_timeout)]
    return [] if role.running_proxy else ["-t", str(config.drain_timeout)]


def stop(config: Config, role: Role, version: str | None = None) -> Command:
    """Stop the container of ``version`` (default: the role's current running container)."""
    source = (
        container_id_for_version(config, role, version)
        if version
        else current_running_container_id(config, role)
    )
    return pipe(source, xargs(docker("stop", *_stop_args(config, role))))


def status(config: Config, role: Role, version: str) -> Command:
    """The container's health status, or its state when it has no health check."""
    return pipe(
        container_id_for_version(config, role, version),
        xargs(docker("inspect", "--format", HEALTH_STATUS_FORMAT)),
    )


def info(config: Config, role: Role | None) -> Command:
    return docker("ps", _container_filter_args(config, role))


# --- finding containers and versions ---------------------------------------------------------------


def _container_filters(config: Config, role: Role | None, statuses: Iterable[str] = ()) -> list[str]:
    filters = [f"label=service={config.service}", f"label=destination={config.destination or ''}"]
    if role is not None:
        filters.append(f"label=role={role.name}")
    filters += [f"status={s}" for s in statuses]
    return filters


def _container_filter_args(config: Config, role: Role | None, statuses: Iterable[str] = ()) -> list[Arg]:
    return repeat("--filter", _container_filters(config, role, statuses))


def container_id_for_version(
    config: Config, role: Role, version: str | None = None, *, only_running: bool = False
) -> Command:
    return container_id_for(container_name(config, role, version), only_running=only_running)


def _latest_image_id(config: Config) -> Command:
    return docker("image", "ls", "--filter", loose(f"reference={config.latest_image}"), "--format", "{{.ID}}")


def _latest_container(config: Config, role: Role, fmt: Sequence[Arg], filters: Sequence[Arg] = ()) -> Command:
    return docker("ps", "--latest", *fmt, _container_filter_args(config, role, ACTIVE_STATUSES), *filters)


def _current_running_container(config: Config, role: Role, fmt: Sequence[Arg]) -> Command:
    ancestor: list[Arg] = ["--filter", word("ancestor=", Subst(_latest_image_id(config)))]
    # The newest active container running the image tagged latest; else the newest active one.
    both = chain(_latest_container(config, role, fmt, ancestor), _latest_container(config, role, fmt))
    return pipe(cmd("sh", "-c", Script(both)), cmd("head", "-1"))


def current_running_container_id(config: Config, role: Role) -> Command:
    return _current_running_container(config, role, ["--quiet"])


def _extract_version_from_name(role: Role) -> Command:
    prefix = quote(f"{role.container_prefix}-")
    return cmd(Raw(f"while read line; do echo ${{line#{prefix}}}; done"))


def current_running_version(config: Config, role: Role) -> Command:
    """The version of the role's current running container (empty output when none)."""
    return pipe(
        _current_running_container(config, role, ["--format", "{{.Names}}"]),
        _extract_version_from_name(role),
    )


def list_versions(config: Config, role: Role, *docker_args: Arg, statuses: Iterable[str] = ()) -> Command:
    """One version per line for the role's containers (``docker_args`` e.g. ``--latest``)."""
    return pipe(
        docker(
            "ps",
            _container_filter_args(config, role, statuses),
            *docker_args,
            "--format",
            Quoted("{{.Names}}"),
        ),
        _extract_version_from_name(role),
    )


# --- removal ---------------------------------------------------------------------------------------


def remove_app_directory(config: Config) -> Command:
    return cmd("rm", "-r", config.apps_directory)


def remove_empty_apps_directory() -> Command:
    """``.kamal/apps`` once no app is left in it (a no-op while other apps remain)."""
    return cmd("rmdir", ".kamal/apps", Raw("2>/dev/null"))


def app_directory_count() -> Command:
    """How many apps (service directories) the host carries."""
    return cmd(Raw("ls .kamal/apps 2>/dev/null | wc -l"))
