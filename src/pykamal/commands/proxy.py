"""The ``kamal-proxy`` container on each host: run, start/stop, logs, removal, boot settings.

With ``proxy.run`` in the config the container's settings come from there; otherwise they are read on
the host from Kamal's legacy boot_config files (``.kamal/proxy/{options,image,image_version,
run_command}``), so hosts set up with ``kamal proxy boot_config set`` keep their settings.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from pykamal.commands.app_proxy import APPS_CONTAINER_DIRECTORY, PROXY_CONTAINER
from pykamal.commands.args import (
    docker,
    make_directory,
    optionize,
    remove_directory,
    remove_file,
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
    any_of,
    chain,
    cmd,
    combine,
    pipe,
    subshell,
    word,
)
from pykamal.commands.logs import DEFAULT_QUERY, LogQuery, container_logs, follow_container_logs
from pykamal.commands.ssh import run_over_ssh
from pykamal.config.model import Config, ProxyRunConfig
from pykamal.errors import ConfigError

MINIMUM_VERSION = "v0.9.2"
DEFAULT_HTTP_PORT = 80
DEFAULT_HTTPS_PORT = 443
DEFAULT_LOG_MAX_SIZE = "10m"
DEFAULT_IMAGE = "basecamp/kamal-proxy"
CONFIG_VOLUME = "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy"
IMAGE_TITLE_FILTER = "label=org.opencontainers.image.title=kamal-proxy"

PROXY_DIRECTORY = ".kamal/proxy"
OPTIONS_FILE = f"{PROXY_DIRECTORY}/options"
IMAGE_FILE = f"{PROXY_DIRECTORY}/image"
IMAGE_VERSION_FILE = f"{PROXY_DIRECTORY}/image_version"
RUN_COMMAND_FILE = f"{PROXY_DIRECTORY}/run_command"
APPS_DIRECTORY = f"{PROXY_DIRECTORY}/apps-config"


# --- settings --------------------------------------------------------------------------------------


def run_config_for_host(config: Config, host: str) -> ProxyRunConfig | None:
    """The ``proxy.run`` settings that apply on ``host`` (from its roles, then its accessories)."""
    for role in config.roles:
        if host in role.hosts and role.proxy is not None and role.proxy.run is not None:
            return role.proxy.run
    for accessory in config.accessories:
        if host in accessory.hosts and accessory.proxy is not None and accessory.proxy.run is not None:
            return accessory.proxy.run
    return None


def _format_bind_ip(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        raise ConfigError(f"Invalid publish IP address: {ip}") from None
    if address.version == 6 and not ip.startswith("["):
        return f"[{ip}]"
    return ip


def _publish_args(http_port: int, https_port: int, bind_ips: tuple[str, ...] | list[str] = ()) -> list[str]:
    """``--publish [ip:]<http>:80 --publish [ip:]<https>:443`` per bind address."""
    out: list[str] = []
    addresses: list[str | None] = list(bind_ips) or [None]
    for ip in addresses:
        prefix = f"{_format_bind_ip(ip)}:" if ip else ""
        out += ["--publish", f"{prefix}{http_port}:{DEFAULT_HTTP_PORT}"]
        out += ["--publish", f"{prefix}{https_port}:{DEFAULT_HTTPS_PORT}"]
    return out


def _logging_args(max_size: str | None) -> list[str]:
    return ["--log-opt", f"max-size={max_size}"] if max_size else []


def _run_command_options(debug: bool, metrics_port: int | None) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in (("debug", True if debug else None), ("metrics-port", metrics_port)) if v]


def _image(run: ProxyRunConfig) -> str:
    return f"{'/'.join(p for p in (run.registry, run.repository) if p)}:{run.version}"


def _docker_options_args(run: ProxyRunConfig) -> list[Arg]:
    """Volumes, published ports, logging, metrics port and extra options of the proxy container."""
    return [
        *volume(APPS_DIRECTORY, APPS_CONTAINER_DIRECTORY),
        *(_publish_args(run.http_port, run.https_port, run.bind_ips) if run.publish else []),
        *_logging_args(run.log_max_size),
        *([f"--expose={run.metrics_port}"] if run.metrics_port else []),
        *optionize(run.options),
    ]


def _run_command(run: ProxyRunConfig) -> list[Arg]:
    return ["kamal-proxy", "run", *optionize(_run_command_options(run.debug, run.metrics_port))]


# --- container -------------------------------------------------------------------------------------


def _docker_run_base() -> list[Arg]:
    return [
        "run",
        "--name",
        PROXY_CONTAINER,
        "--network",
        "kamal",
        "--detach",
        "--restart",
        "unless-stopped",
        "--volume",
        CONFIG_VOLUME,
    ]


def run(config: Config, host: str) -> Command:
    """``docker run`` of kamal-proxy on ``host``."""
    settings = run_config_for_host(config, host)
    if settings is not None:
        return docker(
            _docker_run_base(), _docker_options_args(settings), _image(settings), _run_command(settings)
        )
    legacy = docker(_docker_run_base(), volume(APPS_DIRECTORY, APPS_CONTAINER_DIRECTORY))
    return pipe(boot_config(), xargs(legacy))


def start() -> Command:
    return docker("container", "start", PROXY_CONTAINER)


def stop(name: str = PROXY_CONTAINER) -> Command:
    return docker("container", "stop", name)


def start_or_run(config: Config, host: str) -> Command:
    return any_of(start(), run(config, host))


def info() -> Command:
    return docker("ps", "--filter", f"name=^{PROXY_CONTAINER}$")


def version() -> Command:
    """The tag of the running proxy image (empty when there is no proxy container)."""
    return pipe(
        docker("inspect", PROXY_CONTAINER, "--format", "{{.Config.Image}}"),
        cmd("awk", "-F:", Quoted("{print $NF}", single=True)),
    )


def is_older_version(version: str, minimum: str = MINIMUM_VERSION) -> bool:
    """``v0.8.7`` < ``v0.9.2``, comparing numeric parts (non-numeric parts compare as text)."""

    def key(v: str) -> tuple[tuple[int, int | str], ...]:
        parts = v.strip().removeprefix("v").split(".")
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)

    return key(version) < key(minimum)


def logs(query: LogQuery = DEFAULT_QUERY) -> Command:
    return container_logs(PROXY_CONTAINER, query)


def follow_logs_on_host(query: LogQuery = DEFAULT_QUERY) -> Command:
    """What ``logs --follow`` runs on the host through a local ``ssh -t``."""
    return follow_container_logs(PROXY_CONTAINER, query)


def follow_logs(config: Config, host: str, query: LogQuery = DEFAULT_QUERY) -> Command:
    return run_over_ssh(config.ssh, host, follow_logs_on_host(query))


def remove_container() -> Command:
    return docker("container", "prune", "--force", "--filter", IMAGE_TITLE_FILTER)


def remove_image() -> Command:
    return docker("image", "prune", "--all", "--force", "--filter", IMAGE_TITLE_FILTER)


def cleanup_traefik() -> Command:
    """Stop Traefik (Kamal 1) and remove its containers and images."""
    title = "label=org.opencontainers.image.title=Traefik"
    return chain(
        docker("container", "stop", "traefik"),
        combine(
            docker("container", "prune", "--force", "--filter", title),
            docker("image", "prune", "--all", "--force", "--filter", title),
        ),
    )


def ensure_proxy_directory() -> Command:
    return make_directory(PROXY_DIRECTORY)


def remove_proxy_directory() -> Command:
    return remove_directory(PROXY_DIRECTORY)


def ensure_apps_config_directory() -> Command:
    return make_directory(APPS_DIRECTORY)


# --- legacy boot_config files ----------------------------------------------------------------------


def _default_boot_options() -> list[str]:
    return [
        *_publish_args(DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT),
        *_logging_args(DEFAULT_LOG_MAX_SIZE),
    ]


def _read_file(path: str, default: str = "") -> Command:
    return any_of(cmd("cat", path, Raw("2> /dev/null")), cmd("echo", Quoted(default)))


def read_boot_options() -> Command:
    return _read_file(OPTIONS_FILE, " ".join(_default_boot_options()))


def _read_image() -> Command:
    return _read_file(IMAGE_FILE, DEFAULT_IMAGE)


def _read_image_version() -> Command:
    return _read_file(IMAGE_VERSION_FILE, MINIMUM_VERSION)


def _read_run_command() -> Command:
    return _read_file(RUN_COMMAND_FILE)


def boot_config() -> Command:
    """Print the proxy's docker options, image and run command from the files (or defaults)."""
    return cmd(
        "echo",
        Subst(read_boot_options()),
        word(Subst(_read_image()), ":", Subst(_read_image_version())),
        Subst(_read_run_command()),
    )


def reset_boot_options() -> Command:
    return remove_file(OPTIONS_FILE)


def reset_image() -> Command:
    return remove_file(IMAGE_FILE)


def reset_image_version() -> Command:
    return remove_file(IMAGE_VERSION_FILE)


def reset_run_command() -> Command:
    return remove_file(RUN_COMMAND_FILE)


def reset_boot_config() -> list[Command]:
    return [reset_boot_options(), reset_image(), reset_image_version(), reset_run_command()]


@dataclass(frozen=True)
class BootConfigFiles:
    """What ``proxy boot_config set`` leaves on each proxy host: a file's content, or None to remove it."""

    options: str | None
    image: str | None
    image_version: str | None
    run_command: str | None

    def uploads(self) -> list[tuple[str, str]]:
        """``(remote path, content)`` for the files to write."""
        files = (
            (OPTIONS_FILE, self.options),
            (IMAGE_FILE, self.image),
            (IMAGE_VERSION_FILE, self.image_version),
            (RUN_COMMAND_FILE, self.run_command),
        )
        return [(path, content) for path, content in files if content is not None]

    def removals(self) -> list[Command]:
        """``rm`` of the files left at their defaults (failures to ignore)."""
        resets = (
            (self.options, reset_boot_options()),
            (self.image, reset_image()),
            (self.image_version, reset_image_version()),
            (self.run_command, reset_run_command()),
        )
        return [command for content, command in resets if content is None]


def boot_config_files(
    *,
    publish: bool = True,
    publish_host_ips: tuple[str, ...] | list[str] = (),
    http_port: int = DEFAULT_HTTP_PORT,
    https_port: int = DEFAULT_HTTPS_PORT,
    log_max_size: str = DEFAULT_LOG_MAX_SIZE,
    registry: str | None = None,
    repository: str | None = None,
    image_version: str | None = None,
    metrics_port: int | None = None,
    debug: bool = False,
    docker_options: tuple[str, ...] | list[str] = (),
) -> BootConfigFiles:
    """The file contents for ``proxy boot_config set`` with these options (Kamal's format)."""
    options = [
        *(_publish_args(http_port, https_port, publish_host_ips) if publish else []),
        *_logging_args(log_max_size),
        *([f"--expose={metrics_port}"] if metrics_port else []),
        *(f"--{option}" for option in docker_options),
    ]
    image_name = "/".join(p for p in (registry or None, repository or "basecamp", "kamal-proxy") if p)
    run_options = _run_command_options(debug, metrics_port)
    run_line = None
    if run_options:
        rendered = Command(tuple(optionize(run_options))).shell()
        run_line = f"kamal-proxy run {rendered}"
    return BootConfigFiles(
        options=" ".join(options) if options != _default_boot_options() else None,
        image=image_name if image_name != DEFAULT_IMAGE else None,
        image_version=image_version or None,
        run_command=run_line,
    )


# --- state probe, file hand-over, removal by label and by name -------------------------------------


STATE_FORMAT = "{{.Config.Image}} {{.State.Running}}"


def state() -> Command:
    """``<image> <running>`` of the kamal-proxy container (nothing when there is none)."""
    return docker("inspect", PROXY_CONTAINER, "--format", STATE_FORMAT, Raw("2>/dev/null"))


def parse_state(words: list[str]) -> tuple[str | None, bool]:
    """(image version tag or None, running) from the words of ``state()``."""
    if not words:
        return None, False
    image = words[0]
    version = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    return version, len(words) > 1 and words[1] == "true"


def hand_to_proxy(*paths: str) -> Command:
    """Give files to the user kamal-proxy runs as (they stay mode 0600, readable only by it).

    The proxy's user is the owner of its process on the host (``/proc/<pid>``), which also holds
    under user-namespace remapping.
    """
    pid = docker("inspect", "--format", "{{.State.Pid}}", PROXY_CONTAINER)
    script = combine(
        cmd(Raw("pid=$("), pid, Raw(")")),
        cmd(Raw('[ "${pid:-0}" != 0 ] || { echo "kamal-proxy is not running" >&2; exit 1; }')),
        cmd(Raw('chown "$(stat -c %u /proc/$pid)"'), *paths),
    )
    return cmd("sh", "-c", Script(script))


def remove_container_by_label_and_name() -> Command:
    """Kamal's removal by image title label, then by name.

    The name covers proxy images without that label (a ``proxy.run`` registry/repository or a
    boot_config ``--repository`` image built by the user), whose stopped container would otherwise
    block the next ``docker run --name kamal-proxy``.
    """
    by_name = docker("container", "rm", PROXY_CONTAINER, Raw(">/dev/null 2>&1"))
    return combine(remove_container(), subshell(any_of(by_name, cmd("true"))))


def remember_image() -> Command:
    """``image=<the proxy container's image>`` (empty when there is none), for the image removal."""
    inspect = docker("inspect", PROXY_CONTAINER, "--format", "{{.Config.Image}}", Raw("2>/dev/null"))
    return cmd(Raw("image=$("), inspect, Raw("|| true)"))


def remove_image_by_label_and_remembered() -> Command:
    """Kamal's removal by image title label, then the remembered image (errors ignored: it may be in use)."""
    by_name = cmd(Raw('[ -z "$image" ] || docker image rm "$image" >/dev/null 2>&1'))
    return combine(remove_image(), subshell(any_of(by_name, cmd("true"))))
