"""pykamal's combined commands: several of Kamal's steps folded into one remote command each.

A host's state read in one go, a container's boot (env file through stdin, ``docker run``, switch,
stop of the old one), the switch back after a failed deploy and the end-of-deploy housekeeping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pykamal.commands import boot_marker
from pykamal.commands.app.assets import clean_up_assets
from pykamal.commands.app.base import (
    HEALTH_STATUS_FORMAT,
    _stop_args,
    container_id_for_version,
    container_name,
    has_assets,
    run,
    start,
    stop,
)
from pykamal.commands.app.containers import container_health_log, list_containers, rename_container
from pykamal.commands.app.error_pages import clean_up_error_pages
from pykamal.commands.app.images import tag_latest_image
from pykamal.commands.app.logging import logs
from pykamal.commands.app.proxy import deploy
from pykamal.commands.args import (
    docker,
    make_directory,
)
from pykamal.commands.base import (
    MARK,
    Command,
    Raw,
    Sensitive,
    Subst,
    chain,
    cmd,
    combine,
    ignore_failure,
    pipe,
    require,
    word,
)
from pykamal.commands.logs import LogQuery
from pykamal.config.model import Config, Role

if TYPE_CHECKING:
    from pykamal.commands.auditor import Audit


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
            LogQuery(lines=FAILURE_LOG_LINES, timestamps=False),
            container_id=container_id_for_version(config, role, version),
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
