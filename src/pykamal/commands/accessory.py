"""Accessory commands (databases, caches… next to the app): run, start/stop, exec, logs, files, removal.

The container is named after the accessory's ``service`` and labelled ``service=<service>``; its
files live under ``~/<service>/`` on the host, its secret env file under the app's env directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from pykamal.commands import app_proxy, env_file
from pykamal.commands.args import (
    argumentize,
    container_id_for,
    docker,
    host_path_word,
    logging_args,
    loose,
    make_directory,
    optionize,
    remove_file,
    repeat,
    volume,
)
from pykamal.commands.base import Arg, Command, Quoted, Raw, cmd, pipe, word
from pykamal.commands.logs import DEFAULT_QUERY, LogQuery, container_logs, follow_container_logs
from pykamal.commands.ssh import interactive_flag, run_over_ssh
from pykamal.config.model import Accessory, Config, docker_options_of, restart_policy_of

FILE_MODE = "755"


# --- arguments -------------------------------------------------------------------------------------


def _env_args(config: Config, accessory: Accessory) -> list[Arg]:
    return [*env_file.clear_env_args(accessory.env), "--env-file", config.accessory_env_file(accessory)]


def _label_args(accessory: Accessory) -> list[Arg]:
    labels: dict[str, str] = {"service": accessory.service}
    labels.update(dict(accessory.labels))
    return argumentize("--label", labels.items())


def _publish_args(accessory: Accessory) -> list[Arg]:
    return ["--publish", loose(accessory.port)] if accessory.port else []


def _network_args(accessory: Accessory) -> list[Arg]:
    return ["--network", loose(accessory.network)]


def _option_args(accessory: Accessory) -> list[Arg]:
    return optionize(docker_options_of(accessory.options))


@dataclass(frozen=True)
class FileUpload:
    """A local file uploaded to ``host_path`` (under ``~/<service>``) and mounted at ``container_path``."""

    local: str
    host_path: str
    container_path: str
    mode: str
    owner: str | None
    options: str | None
    is_template: bool  # ``*.erb``: render it (with the accessory's env) before uploading


@dataclass(frozen=True)
class DirectoryMount:
    """A host directory created before boot (``host_path``, ``$PWD``-relative unless absolute)."""

    host_path: str
    volume_host_path: str
    container_path: str
    mode: str | None
    owner: str | None
    options: str | None


def files(accessory: Accessory) -> list[FileUpload]:
    """Kamal's placement of ``files``: ``<service><remote path>`` on the host, default mode 755."""
    return [
        FileUpload(
            local=f.local,
            host_path=accessory.service + f.remote,
            container_path=f.remote,
            mode=f.mode or FILE_MODE,
            owner=f.owner,
            options=f.options,
            is_template=f.local.endswith("erb"),
        )
        for f in accessory.files
    ]


def directories(accessory: Accessory) -> list[DirectoryMount]:
    """Kamal's placement of ``directories``: relative local paths live under ``~/<service>/``."""
    out = []
    for d in accessory.directories:
        absolute = PurePosixPath(d.local).is_absolute()
        out.append(
            DirectoryMount(
                host_path=d.local if absolute else f"{accessory.service}/{d.local}",
                volume_host_path=d.local if absolute else f"{accessory.service}/{d.local}",
                container_path=d.remote,
                mode=d.mode,
                owner=d.owner,
                options=d.options,
            )
        )
    return out


def _volume_args(accessory: Accessory) -> list[Arg]:
    args: list[Arg] = repeat("--volume", accessory.volumes)
    for f in files(accessory):
        args += volume(f.host_path, f.container_path, f.options)
    for d in directories(accessory):
        args += volume(d.volume_host_path, d.container_path, d.options)
    return args


# --- container -------------------------------------------------------------------------------------


def run(config: Config, accessory: Accessory, host: str | None = None) -> Command:
    """``docker run`` of the accessory (``host`` sets ``KAMAL_HOST``)."""
    return docker(
        "run",
        "--name",
        accessory.service,
        "--detach",
        "--restart",
        restart_policy_of(accessory.options),
        _network_args(accessory),
        _root_logging_args(config),
        _publish_args(accessory),
        ["--env", word("KAMAL_HOST=", Quoted(host))] if host else None,
        _env_args(config, accessory),
        _volume_args(accessory),
        _label_args(accessory),
        _option_args(accessory),
        accessory.image,
        Raw(accessory.cmd) if accessory.cmd else None,
    )


def _root_logging_args(config: Config) -> list[Arg]:
    return logging_args(config.logging)


def start(accessory: Accessory) -> Command:
    return docker("container", "start", accessory.service)


def stop(accessory: Accessory) -> Command:
    return docker("container", "stop", accessory.service)


def _service_filter(accessory: Accessory) -> list[Arg]:
    return ["--filter", f"label=service={accessory.service}"]


def info(accessory: Accessory, *, all: bool = False, quiet: bool = False) -> Command:
    """``docker ps`` for the accessory (``all`` and ``quiet``: does any container exist?)."""
    return docker("ps", "-a" if all else None, "-q" if quiet else None, _service_filter(accessory))


def container_id(accessory: Accessory, *, only_running: bool = True) -> Command:
    return container_id_for(accessory.service, only_running=only_running)


def logs(accessory: Accessory, query: LogQuery = DEFAULT_QUERY) -> Command:
    return container_logs(accessory.service, query)


def follow_logs_on_host(accessory: Accessory, query: LogQuery = DEFAULT_QUERY) -> Command:
    """What ``logs --follow`` runs on the host through a local ``ssh -t``."""
    return follow_container_logs(accessory.service, query)


def follow_logs(config: Config, accessory: Accessory, query: LogQuery = DEFAULT_QUERY) -> Command:
    """``ssh -t`` to the accessory's first host following its logs."""
    return run_over_ssh(config.ssh, accessory.hosts[0], follow_logs_on_host(accessory, query))


def execute_in_existing_container(
    accessory: Accessory, command: str, *, interactive: bool = False, tty: bool = True
) -> Command:
    return docker(
        "exec",
        interactive_flag(tty) if interactive else None,
        accessory.service,
        Raw(command) if command else None,
    )


def execute_in_new_container(
    config: Config, accessory: Accessory, command: str, *, interactive: bool = False, tty: bool = True
) -> Command:
    return docker(
        "run",
        interactive_flag(tty) if interactive else None,
        "--rm",
        _network_args(accessory),
        _env_args(config, accessory),
        _volume_args(accessory),
        _option_args(accessory),
        accessory.image,
        Raw(command) if command else None,
    )


def execute_in_existing_container_over_ssh(
    config: Config, accessory: Accessory, command: str, *, tty: bool
) -> Command:
    inner = execute_in_existing_container(accessory, command, interactive=True, tty=tty)
    return run_over_ssh(config.ssh, accessory.hosts[0], inner)


def execute_in_new_container_over_ssh(
    config: Config, accessory: Accessory, command: str, *, tty: bool
) -> Command:
    inner = execute_in_new_container(config, accessory, command, interactive=True, tty=tty)
    return run_over_ssh(config.ssh, accessory.hosts[0], inner)


def pull_image(accessory: Accessory) -> Command:
    return docker("image", "pull", accessory.image)


def remove_service_directory(accessory: Accessory) -> Command:
    return cmd("rm", "-rf", accessory.service)


def remove_container(accessory: Accessory) -> Command:
    return docker("container", "prune", "--force", _service_filter(accessory))


def remove_image(accessory: Accessory) -> Command:
    return docker("image", "rm", "--force", accessory.image)


def ensure_env_directory(config: Config) -> Command:
    return make_directory(f"{config.apps_directory}/env/accessories")


# --- files and directories on the host -------------------------------------------------------------


def make_file_directory(upload: FileUpload) -> Command:
    """``mkdir -p`` of the directory a file is uploaded into."""
    return make_directory(str(PurePosixPath(upload.host_path).parent))


def file_permissions(upload: FileUpload) -> list[Command]:
    """``chmod`` (and ``chown`` when an owner is set) after uploading a file."""
    commands = [cmd("chmod", upload.mode, upload.host_path)]
    if upload.owner:
        commands.append(cmd("chown", upload.owner, upload.host_path))
    return commands


def create_directory(directory: DirectoryMount) -> list[Command]:
    """``mkdir -p`` of a directory (``$PWD``-relative), then its mode and owner when set."""
    path = host_path_word(directory.host_path)
    commands = [make_directory(path)]
    if directory.mode:
        commands.append(cmd("chmod", directory.mode, path))
    if directory.owner:
        commands.append(cmd("chown", directory.owner, path))
    return commands


# --- proxy -----------------------------------------------------------------------------------------


def deploy(config: Config, accessory: Accessory, target: str) -> Command:
    """Register the accessory's running container ``target`` with kamal-proxy."""
    if accessory.proxy is None:
        raise ValueError(f"accessory {accessory.name} has no proxy settings")
    return app_proxy.deploy(config, accessory.service, accessory.proxy, target, None)


def remove_from_proxy(accessory: Accessory) -> Command:
    return app_proxy.remove(accessory.service)


# --- removal and networks ---------------------------------------------------------------------------


def remove_env_file(config: Config, accessory: Accessory) -> Command:
    """``rm -f`` of the accessory's secret env file (``remove`` leaves nothing behind)."""
    command = remove_file(config.accessory_env_file(accessory))
    return cmd(command.args[0], "-f", *command.args[1:])


def repository_of(image: str) -> str:
    """``registry:5000/name:tag`` → ``registry:5000/name`` (a digest is dropped as well)."""
    name = image.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


def remove_untagged_images(accessory: Accessory) -> Command:
    """Remove the accessory repository's untagged images (left behind when a reboot pulled a newer one)."""
    listing = docker(
        "image",
        "ls",
        "--quiet",
        "--filter",
        "dangling=true",
        "--filter",
        f"reference={repository_of(accessory.image)}",
    )
    return pipe(listing, cmd("xargs", "-r", "docker", "image", "rm", "--force"))


# Docker's own networks, and network modes that are not networks to create.
BUILT_IN_NETWORKS = ("bridge", "host", "none", "default")


def custom_network(accessory: Accessory) -> str | None:
    """The accessory's network when it is neither ``kamal`` nor one Docker provides itself."""
    network = accessory.network
    if network == "kamal" or network in BUILT_IN_NETWORKS or network.startswith("container:"):
        return None
    return network
