"""App container commands: run, start/stop, inspect, exec, logs, images, assets, proxy switch.

Names, labels, filters and paths are Kamal's, so containers started by either tool are found and
managed by the other. ``config.version`` is the version acted on; to act on another version pass a
``Config`` with that version (``dataclasses.replace(config, version=v)``) or the ``version=`` argument
where a command takes one.

The later sections fold several of Kamal's steps into one remote command each: a host's state read in
one go, a container's boot (env file through stdin, ``docker run``, switch, stop of the old one), the
switch back after a failed deploy and the end-of-deploy housekeeping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pykamal.commands import app_proxy, boot_marker, env_file
from pykamal.commands.args import (
    argumentize,
    container_id_for,
    docker,
    grep_args,
    logging_args,
    loose,
    make_directory,
    optionize,
    remove_directory,
    repeat,
    volume,
    xargs,
)
from pykamal.commands.base import (
    MARK,
    Arg,
    Command,
    Quoted,
    Raw,
    Script,
    Sensitive,
    Subst,
    chain,
    cmd,
    combine,
    ignore_failure,
    pipe,
    quote,
    require,
    word,
)
from pykamal.commands.ssh import interactive_flag, run_over_ssh
from pykamal.config.model import Config, Logging, ProxyConfig, Role, docker_options_of, restart_policy_of

if TYPE_CHECKING:
    from pykamal.commands.auditor import Audit

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


def list_containers(config: Config, role: Role | None = None) -> Command:
    return docker("container", "ls", "--all", _container_filter_args(config, role))


def list_container_names(config: Config, role: Role | None = None) -> Command:
    return cmd(list_containers(config, role), "--format", "{{ .Names }}")


def remove_container(config: Config, role: Role, version: str) -> Command:
    return pipe(container_id_for_version(config, role, version), xargs(docker("container", "rm")))


def rename_container(config: Config, role: Role, version: str, new_version: str) -> Command:
    return docker("rename", container_name(config, role, version), container_name(config, role, new_version))


def remove_containers(config: Config, role: Role | None) -> Command:
    return docker("container", "prune", "--force", _container_filter_args(config, role))


def container_health_log(config: Config, role: Role, version: str) -> Command:
    return pipe(
        container_id_for_version(config, role, version),
        xargs(docker("inspect", "--format", HEALTH_LOG_FORMAT)),
    )


def ensure_env_directory(config: Config) -> Command:
    return make_directory(f"{config.apps_directory}/env/roles")


# --- images ----------------------------------------------------------------------------------------


def list_images(config: Config) -> Command:
    return docker("image", "ls", config.repository)


def remove_images(config: Config) -> Command:
    return docker("image", "prune", "--all", "--force", "--filter", f"label=service={config.service}")


def tag_latest_image(config: Config) -> Command:
    return docker("tag", config.absolute_image, config.latest_image)


# --- exec ------------------------------------------------------------------------------------------


def execute_in_existing_container(
    config: Config,
    role: Role,
    command: str,
    *,
    interactive: bool = False,
    tty: bool = True,
    env: Iterable[tuple[str, str]] = (),
) -> Command:
    """``docker exec`` in the role's container of ``config.version``."""
    return docker(
        "exec",
        interactive_flag(tty) if interactive else None,
        argumentize("--env", env),
        container_name(config, role),
        _cmd_arg(command),
    )


def execute_in_new_container(
    config: Config,
    role: Role,
    host: str,
    command: str,
    *,
    random_hex: str,
    interactive: bool = False,
    tty: bool = True,
    detach: bool = False,
    env: Iterable[tuple[str, str]] = (),
) -> Command:
    """``docker run`` of a one-off container from ``config.absolute_image`` running ``command``."""
    return docker(
        "run",
        interactive_flag(tty) if interactive else None,
        "--detach" if detach else "--rm",
        "--name",
        exec_container_name(config, role, random_hex),
        "--network",
        NETWORK,
        _env_args(config, role, host),
        argumentize("--env", env),
        _role_logging_args(config, role),
        _volume_args(config),
        _option_args(role),
        config.absolute_image,
        _cmd_arg(command),
    )


def execute_in_existing_container_over_ssh(
    config: Config, role: Role, host: str, command: str, *, tty: bool, env: Iterable[tuple[str, str]] = ()
) -> Command:
    inner = execute_in_existing_container(config, role, command, interactive=True, tty=tty, env=env)
    return run_over_ssh(config.ssh, host, inner)


def execute_in_new_container_over_ssh(
    config: Config,
    role: Role,
    host: str,
    command: str,
    *,
    random_hex: str,
    tty: bool,
    env: Iterable[tuple[str, str]] = (),
) -> Command:
    inner = execute_in_new_container(
        config, role, host, command, random_hex=random_hex, interactive=True, tty=tty, env=env
    )
    return run_over_ssh(config.ssh, host, inner)


# --- logs ------------------------------------------------------------------------------------------


def _container_id_source(config: Config, role: Role, container_id: str | Command | None) -> Command:
    if isinstance(container_id, Command):
        return container_id
    if container_id:
        return cmd("echo", container_id)
    return current_running_container_id(config, role)


def logs(
    config: Config,
    role: Role,
    *,
    container_id: str | Command | None = None,
    timestamps: bool = True,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """Log lines of the current container (or ``container_id``, an id or a command printing one)."""
    return _logs_pipeline(
        config,
        role,
        container_id,
        ["--timestamps" if timestamps else None, ["--since", since] if since else None,
         ["--tail", str(lines)] if lines else None],
        cmd(grep_args(grep, grep_options)) if grep else None,
    )  # fmt: skip


def follow_logs_on_host(
    config: Config,
    role: Role,
    *,
    container_id: str | None = None,
    timestamps: bool = True,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """What ``logs --follow`` runs on the host through a local ``ssh -t``."""
    return _logs_pipeline(
        config,
        role,
        container_id,
        ["--timestamps" if timestamps else None, ["--tail", str(lines)] if lines else None, "--follow"],
        cmd(grep_args(grep, grep_options, double=True)) if grep else None,
    )


def _logs_pipeline(
    config: Config,
    role: Role,
    container_id: str | Command | None,
    options: Sequence[Arg | Sequence[str] | None],
    grep: Command | None,
) -> Command:
    """``<container id> | xargs docker logs <options> 2>&1 [| grep …]``."""
    return pipe(
        _container_id_source(config, role, container_id),
        cmd("xargs", "docker", "logs", *options, Raw("2>&1")),
        grep,
    )


def follow_logs(
    config: Config,
    role: Role,
    host: str,
    *,
    container_id: str | None = None,
    timestamps: bool = True,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
) -> Command:
    """``ssh -t`` to ``host`` following the logs."""
    remote = follow_logs_on_host(
        config,
        role,
        container_id=container_id,
        timestamps=timestamps,
        lines=lines,
        grep=grep,
        grep_options=grep_options,
    )
    return run_over_ssh(config.ssh, host, remote)


# --- assets ----------------------------------------------------------------------------------------


def extract_assets(config: Config, role: Role) -> Command:
    """Copy the image's asset directory out to ``assets/extracted/<role>-<version>`` on the host."""
    asset = _asset_path_config(config, role)
    if asset is None:
        raise ValueError(f"role {role.name} has no asset_path")
    container = f"{role.container_prefix}-assets"
    target = asset_extracted_directory(config, role)
    return combine(
        make_directory(target),
        docker("container", "rm", container, Raw("2> /dev/null"), Raw("|| true")),
        docker("container", "create", "--name", container, config.absolute_image),
        docker("container", "cp", "-L", f"{container}:{asset[0]}/.", target),
        docker("container", "rm", container),
    )


def _copy_contents(source: str, destination: str, *, continue_on_error: bool = False) -> Command:
    return cmd("cp", "-rnT", source, destination, Raw("|| true") if continue_on_error else None)


def sync_asset_volumes(config: Config, role: Role, old_version: str | None = None) -> Command:
    """Fill the new version's asset volume; share assets both ways with the old version's volume."""
    new_extracted = asset_extracted_directory(config, role)
    new_volume = asset_volume_directory(config, role)
    commands = [make_directory(new_volume), _copy_contents(new_extracted, new_volume)]
    if old_version:
        old_extracted = asset_extracted_directory(config, role, old_version)
        old_volume = asset_volume_directory(config, role, old_version)
        commands.append(_copy_contents(new_extracted, old_volume, continue_on_error=True))
        commands.append(_copy_contents(old_extracted, new_volume, continue_on_error=True))
    return chain(*commands)


def _remove_older_siblings(role: Role, path: str) -> Command:
    p = PurePosixPath(path)
    return cmd(
        "find",
        str(p.parent),
        "-maxdepth",
        "1",
        "-name",
        Quoted(f"{role.name}-*", single=True),
        Raw("!"),
        "-name",
        p.name,
        "-exec",
        "rm",
        "-rf",
        Quoted("{}"),
        "+",
    )


def clean_up_assets(config: Config, role: Role) -> Command:
    """Remove asset directories of every other version of the role."""
    return chain(
        _remove_older_siblings(role, asset_extracted_directory(config, role)),
        _remove_older_siblings(role, asset_volume_directory(config, role)),
    )


# --- error pages -----------------------------------------------------------------------------------


def create_error_pages_directory(config: Config) -> Command:
    return make_directory(app_proxy.error_pages_directory(config))


def clean_up_error_pages(config: Config) -> Command:
    """Remove error page directories of every other version."""
    return cmd(
        "find",
        app_proxy.error_pages_directory(config),
        "-mindepth",
        "1",
        "-maxdepth",
        "1",
        Raw("!"),
        "-name",
        config.version,
        "-exec",
        "rm",
        "-rf",
        Raw("{} +"),
    )


# --- proxy -----------------------------------------------------------------------------------------


def _role_proxy(role: Role) -> ProxyConfig:
    if role.proxy is None:
        raise ValueError(f"role {role.name} does not run behind the proxy")
    return role.proxy


def deploy(config: Config, role: Role, target: str) -> Command:
    """Switch the role's proxy service to the container ``target`` (an id)."""
    return app_proxy.deploy(config, role.container_prefix, _role_proxy(role), target, role.name)


def remove(role: Role) -> Command:
    return app_proxy.remove(role.container_prefix)


def live(role: Role) -> Command:
    return app_proxy.resume(role.container_prefix)


def maintenance(role: Role, *, drain_timeout: int | None = None, message: str | None = None) -> Command:
    return app_proxy.stop(role.container_prefix, drain_timeout=drain_timeout, message=message)


def remove_proxy_app_directory(config: Config) -> Command:
    return remove_directory(config.proxy_apps_config_directory)


def create_ssl_directory(config: Config, role: Role) -> Command:
    return make_directory(f"{app_proxy.tls_directory(config)}/{role.name}")


# --- a host's containers, images and history in one command -------------------------------------


CONTAINER_KEY = "container"
IMAGE_KEY = "image"


def service_containers(config: Config) -> Command:
    """One line per container of the service (newest first): name, role, state, image."""
    fmt = f'{MARK} {CONTAINER_KEY} {{{{.Names}}}} {{{{.Label "role"}}}} {{{{.State}}}} {{{{.Image}}}}'
    return docker(
        "ps", "--all", "--filter", f"label=service={config.service}",
        "--filter", f"label=destination={config.destination or ''}", "--format", fmt,
    )  # fmt: skip


def service_images(config: Config) -> Command:
    """One line per tag of the app's repository: image id and tag."""
    return docker(
        "image", "ls", config.repository, "--format", f"{MARK} {IMAGE_KEY} {{{{.ID}}}} {{{{.Tag}}}}"
    )


HISTORY_FORMAT = "{{.Name}} {{.Created}} {{.State.FinishedAt}} {{.State.Running}}"


def history(config: Config, role: Role) -> Command:
    """``/<name> <created> <finished> <running>`` for each of the role's containers (any state)."""
    return pipe(
        cmd(list_containers(config, role), "--quiet"),
        cmd("xargs", "-r", "docker", "inspect", "--format", HISTORY_FORMAT),
    )


# --- booting ---------------------------------------------------------------------------------------

HEALTH_MARK = f"{MARK}-health-log"
FAILURE_LOG_LINES = 30


def stop_by_name(config: Config, role: Role, version: str) -> Command:
    """``docker stop [-t <seconds>] <name>``: Kamal's stop of one version, without the id lookup."""
    return docker("stop", *_stop_args(config, role), container_name(config, role, version), Raw(">/dev/null"))


def status_by_name(config: Config, role: Role, version: str) -> Command:
    """The container's health status, or its state without a health check (empty when missing)."""
    name = container_name(config, role, version)
    return docker("inspect", "--format", HEALTH_STATUS_FORMAT, name, Raw("2>/dev/null"))


def write_env_file(path: str, content: str) -> Command:
    """Write the secret env file from stdin, created with mode 0600 and moved into place."""
    temp = f"{path}.tmp"
    return combine(
        make_directory(str(PurePosixPath(path).parent)),
        cmd(Raw("(umask 077 &&"), "cat", Raw(">"), temp, Raw(")"), stdin=Sensitive(content)),
        cmd("chmod", "600", temp),
        cmd("mv", temp, path),
    )


def readiness(config: Config, role: Role, version: str) -> Command:
    """Poll a container without the proxy until healthy (or running after ``readiness_delay``).

    Kamal's rules, run on the host in one command: ``healthy`` passes, ``running`` passes after
    the readiness delay and a second look, anything else is retried until ``deploy_timeout``.
    """
    status = status_by_name(config, role, version).shell()
    delay = int(config.readiness_delay)
    timeout = int(config.deploy_timeout)
    script = (
        f"( deadline=$(( $(date +%s) + {timeout} )); while :; do status=$({status}); "
        f'if [ "$status" = running ] && [ {delay} -gt 0 ]; then '
        f'echo "Container is running, waiting for readiness delay of {delay} seconds"; '
        f"sleep {delay}; status=$({status}); fi; "
        'case "$status" in running|healthy) echo "Container is healthy!"; exit 0;; esac; '
        'if [ "$(date +%s)" -ge "$deadline" ]; then '
        f'echo "container not ready after {timeout} seconds ($status)" >&2; exit 1; fi; '
        "sleep 1; done )"
    )
    return cmd(Raw(script))


def switch_to(config: Config, role: Role, host: str, *, started_id: bool = False) -> list[Command]:
    """Make ``config.version``'s (started) container the live one: proxy switch or readiness poll.

    ``started_id``: ``$cid`` already holds the container's id (the output of ``docker run``).
    """
    if not role.running_proxy:
        return [readiness(config, role, config.version)]
    message = f"Failed to get endpoint for {role.name} on {host}, did the container boot?"
    lookup = (
        []
        if started_id
        else [cmd(word(Raw("cid="), Subst(container_id_for_version(config, role, config.version))))]
    )
    return [
        *lookup,
        cmd(Raw('id=$(printf %.12s "$cid")')),
        require('[ -n "$id" ]', message),
        deploy(config, role, "${id}"),
    ]


def boot(
    config: Config,
    role: Role,
    host: str,
    *,
    hostname: str,
    env_content: str,
    audit: Audit,
    rename_to: str | None = None,
    stale_versions: Sequence[str] = (),
    old_version: str | None = None,
    marker: str | None = None,
) -> Command:
    """Boot ``config.version`` of the role on the host, switch to it and stop the old version.

    In order: claim ``marker`` (so an interrupted run can stop this boot), rename a clashing
    container, stop stale containers, write the env file (stdin), ``docker run``, switch
    (kamal-proxy deploy, or readiness poll), stop the old container, release the marker.
    """
    version = config.version
    steps: list[Command] = []
    if marker:
        steps.append(boot_marker.claim(marker))
    if rename_to:
        steps.append(audit.record(f"Renaming container {version} to {rename_to}", role))
        steps.append(rename_container(config, role, version, rename_to))
    steps += [ignore_failure(stop_by_name(config, role, stale)) for stale in stale_versions]
    steps.append(audit.record(f"Booted app version {version}", role))
    steps.append(write_env_file(config.role_env_file(role), env_content))
    steps.append(cmd(Raw("cid=$("), run(config, role, host, hostname=hostname), Raw(")")))
    steps += switch_to(config, role, host, started_id=True)
    if old_version:
        steps.append(ignore_failure(stop_by_name(config, role, old_version)))
    if marker:
        steps.append(boot_marker.release(marker))
    return combine(*steps)


def boot_marker_path(config: Config, role: Role, token: str) -> str:
    return boot_marker.path(boots_directory(config), role.name, token)


def boots_directory(config: Config) -> str:
    return f"{config.apps_directory}/boots"


STATE_MARK = f"{MARK}-state"
PROXY_CHECK_MARK = f"{MARK}-proxy-check"
STATE_FORMAT = "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Restarting}}"


def failure_report(config: Config, role: Role, marker: str | None = None) -> Command:
    """What a failed container left: its last log lines, its health log, its state (status, exit
    code, OOM-killed, restarting) and kamal-proxy's last health check of it; then stop it (errors
    ignored)."""
    version = config.version
    name = container_name(config, role, version)
    proxy_check = None
    if role.running_proxy:
        short_id = Subst(pipe(container_id_for_version(config, role, version), cmd("cut", "-c1-12")))
        proxy_check = pipe(
            cmd("docker", "logs", "kamal-proxy", "--since", "15m", Raw("2>&1")),
            cmd("grep", "-F", "Healthcheck failed"),
            cmd("grep", "-F", word(Raw('"'), short_id, Raw('"'))),
            cmd("tail", "-n", "1"),
        )
    return chain(
        boot_marker.release(marker) if marker else None,
        logs(
            config,
            role,
            container_id=container_id_for_version(config, role, version),
            lines=FAILURE_LOG_LINES,
            timestamps=False,
        ),
        cmd("echo", HEALTH_MARK),
        container_health_log(config, role, version),
        cmd("echo", STATE_MARK),
        docker("inspect", "--format", STATE_FORMAT, name, Raw("2>/dev/null")),
        cmd("echo", PROXY_CHECK_MARK) if proxy_check else None,
        proxy_check,
        ignore_failure(cmd(stop(config, role, version), Raw(">/dev/null"))),
    )


def failure_sections(stdout: str) -> dict[str, str]:
    """The report's parts by name: logs, health, state, proxy_check (missing parts are empty)."""
    logs, _, rest = stdout.partition(HEALTH_MARK)
    health, _, rest = rest.partition(STATE_MARK)
    state, _, proxy_check = rest.partition(PROXY_CHECK_MARK)
    return {
        "logs": logs.strip("\n"),
        "health": health.strip(),
        "state": state.strip(),
        "proxy_check": proxy_check.strip(),
    }


def switch_back(config: Config, role: Role, host: str, *, failed_version: str, audit: Audit) -> Command:
    """Restart ``config.version``'s stopped container, make it live again, stop ``failed_version``."""
    return combine(
        audit.record(f"Switching back to version {config.version} after a failed deploy", role),
        start(config, role),
        *switch_to(config, role, host),
        ignore_failure(stop_by_name(config, role, failed_version)),
    )


def abandon_boot(
    config: Config, role: Role, host: str, *, marker: str, previous: Config | None, audit: Audit
) -> Command:
    """Undo a boot of ``config.version`` that an interrupted run left behind.

    Stop the boot if it still runs (or keep it from starting), make ``previous``'s container live
    again and stop the new one. A proxy role switches to the previous container a second time after
    the stop: the boot's own switch may have completed in between, and must not stay live.
    """
    steps = [
        boot_marker.stop_boot(marker),
        audit.record(f"Abandoned the unfinished boot of app version {config.version}", role),
    ]
    if previous is not None:
        steps.append(cmd(start(previous, role), Raw(">/dev/null")))
        steps += switch_to(previous, role, host)
    steps.append(ignore_failure(stop_by_name(config, role, config.version)))
    if previous is not None and role.running_proxy:
        steps += switch_to(previous, role, host)
    return combine(*steps)


# --- after every host booted -----------------------------------------------------------------------


def tag_latest(config: Config, audit: Audit) -> list[Command]:
    return [
        audit.record(f"Tagging {config.absolute_image} as the latest image"),
        tag_latest_image(config),
    ]


def clean_up(config: Config, roles: Iterable[Role]) -> list[Command]:
    """Asset and error page directories of other versions (kept until the deploy succeeded)."""
    steps = [ignore_failure(clean_up_assets(config, role)) for role in roles if has_assets(config, role)]
    if config.error_pages_path:
        steps.append(ignore_failure(clean_up_error_pages(config)))
    steps.append(cmd("rm", "-rf", boots_directory(config)))  # markers of boots abandoned earlier
    return steps


# --- asset bridging --------------------------------------------------------------------------------


def prepare_assets(config: Config, role: Role, old_version: str | None) -> Command:
    """Extract the new image's assets and share them with the old version's volume."""
    return combine(extract_assets(config, role), sync_asset_volumes(config, role, old_version))


# --- removal ---------------------------------------------------------------------------------------


def remove_app_directory(config: Config) -> Command:
    return cmd("rm", "-r", config.apps_directory)


def remove_empty_apps_directory() -> Command:
    """``.kamal/apps`` once no app is left in it (a no-op while other apps remain)."""
    return cmd("rmdir", ".kamal/apps", Raw("2>/dev/null"))


def app_directory_count() -> Command:
    """How many apps (service directories) the host carries."""
    return cmd(Raw("ls .kamal/apps 2>/dev/null | wc -l"))
