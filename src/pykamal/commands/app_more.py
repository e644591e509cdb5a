"""App commands that fold several of Kamal's steps into one remote command.

Each function returns one ``Command`` doing what Kamal does in several SSH round trips: reading a
host's state in one go (``probe``), writing the env file through stdin and booting a container
(``boot``), switching back to the previous version, and the end-of-deploy housekeeping. The
container names, labels, files and audit lines are Kamal's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from pykamal.commands import app, auditor, prune
from pykamal.commands.args import docker, make_directory
from pykamal.commands.base import (
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
    subshell,
    word,
)
from pykamal.config.model import Config, Role

MARK = "@pykamal"
HEALTH_MARK = f"{MARK}-health-log"
FAILURE_LOG_LINES = 100

# --- small building blocks -------------------------------------------------------------------------


def ignore_failure(command: Command) -> Command:
    """``( <command> || true )``: a step whose failure must not stop the rest (Kamal ignores it too)."""
    return subshell(any_of(command, cmd("true")))


def require(condition: str, message: str) -> Command:
    """``{ <condition> || { echo "<message>" >&2; false; }; }``."""
    return cmd(Raw("{"), Raw(condition), Raw("|| {"), "echo", Quoted(message), Raw(">&2; false; }; }"))


def emit(key: str, source: Command) -> Command:
    """``echo @pykamal <key> $(<source>)``: one line of a probe's output (words of the output joined)."""
    return cmd("echo", MARK, key, Subst(source))


def concurrently(*commands: Command) -> Command:
    """``{ a & b & … & wait; }``: independent reads at once (each ``emit`` line is one atomic write)."""
    parts: list[Command] = []
    for command in commands:
        parts.append(cmd(command, Raw("&")))
    return cmd(Raw("{"), *parts, Raw("wait; }"))


def parse(stdout: str) -> dict[str, list[str]]:
    """The ``emit`` lines of a command's output: key -> words."""
    values: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == MARK:
            values[parts[1]] = parts[2:]
    return values


@dataclass(frozen=True)
class Audit:
    """Audit lines of one run (same performer and time stamp, as Kamal records them per command)."""

    config: Config
    performer: str
    at: datetime

    def record(self, message: str, role: Role | None = None) -> Command:
        details = {"role": role.name} if role is not None else None
        return auditor.record(self.config, message, performer=self.performer, at=self.at, details=details)

    def for_version(self, config: Config) -> Audit:
        return Audit(config, self.performer, self.at)


# --- reading a host's state ------------------------------------------------------------------------


def ensure_network() -> Command:
    """The ``kamal`` network: created unless it exists (a real failure still fails)."""
    return subshell(
        any_of(
            docker("network", "inspect", "kamal", Raw(">/dev/null 2>&1")),
            docker("network", "create", "kamal", Raw(">/dev/null")),
        )
    )


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


def parse_lines(stdout: str) -> list[tuple[str, list[str]]]:
    """Every ``@pykamal <key> <words…>`` line, in order."""
    lines = []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == MARK:
            lines.append((parts[1], parts[2:]))
    return lines


HISTORY_FORMAT = "{{.Name}} {{.Created}} {{.State.FinishedAt}} {{.State.Running}}"


def history(config: Config, role: Role) -> Command:
    """``/<name> <created> <finished> <running>`` for each of the role's containers (any state)."""
    return pipe(
        cmd(app.list_containers(config, role), "--quiet"),
        cmd("xargs", "-r", "docker", "inspect", "--format", HISTORY_FORMAT),
    )


# --- booting ---------------------------------------------------------------------------------------


def stop_by_name(config: Config, role: Role, version: str) -> Command:
    """``docker stop [-t <drain>] <name>``: Kamal's stop of one version, without the id lookup."""
    drain = [] if role.running_proxy else ["-t", str(config.drain_timeout)]
    return docker("stop", *drain, app.container_name(config, role, version), Raw(">/dev/null"))


def status_by_name(config: Config, role: Role, version: str) -> Command:
    """The container's health status, or its state without a health check (empty when missing)."""
    name = app.container_name(config, role, version)
    return docker("inspect", "--format", app.HEALTH_STATUS_FORMAT, name, Raw("2>/dev/null"))


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
        else [cmd(word(Raw("cid="), Subst(app.container_id_for_version(config, role, config.version))))]
    )
    return [
        *lookup,
        cmd(Raw('id=$(printf %.12s "$cid")')),
        require('[ -n "$id" ]', message),
        app.deploy(config, role, "${id}"),
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
) -> Command:
    """Boot ``config.version`` of the role on the host, switch to it and stop the old version.

    In order: rename a clashing container, stop stale containers, write the env file (stdin),
    ``docker run``, switch (kamal-proxy deploy, or readiness poll), stop the old container.
    """
    version = config.version
    steps: list[Command] = []
    if rename_to:
        steps.append(audit.record(f"Renaming container {version} to {rename_to}", role))
        steps.append(app.rename_container(config, role, version, rename_to))
    steps += [ignore_failure(stop_by_name(config, role, stale)) for stale in stale_versions]
    steps.append(audit.record(f"Booted app version {version}", role))
    steps.append(write_env_file(config.role_env_file(role), env_content))
    steps.append(cmd(Raw("cid=$("), app.run(config, role, host, hostname=hostname), Raw(")")))
    steps += switch_to(config, role, host, started_id=True)
    if old_version:
        steps.append(ignore_failure(stop_by_name(config, role, old_version)))
    return combine(*steps)


def failure_report(config: Config, role: Role) -> Command:
    """Logs and health log of ``config.version``'s container, then stop it (errors ignored)."""
    version = config.version
    return chain(
        app.logs(
            config,
            role,
            container_id=app.container_id_for_version(config, role, version),
            lines=FAILURE_LOG_LINES,
        ),
        cmd("echo", HEALTH_MARK),
        app.container_health_log(config, role, version),
        ignore_failure(cmd(app.stop(config, role, version), Raw(">/dev/null"))),
    )


def split_failure_report(stdout: str) -> tuple[str, str]:
    logs, _, health = stdout.partition(HEALTH_MARK)
    return logs.strip(), health.strip()


def switch_back(config: Config, role: Role, host: str, *, failed_version: str, audit: Audit) -> Command:
    """Restart ``config.version``'s stopped container, make it live again, stop ``failed_version``."""
    return combine(
        audit.record(f"Switching back to version {config.version} after a failed deploy", role),
        docker("start", app.container_name(config, role)),
        *switch_to(config, role, host),
        ignore_failure(stop_by_name(config, role, failed_version)),
    )


# --- after every host booted -----------------------------------------------------------------------


def tag_latest(config: Config, audit: Audit) -> list[Command]:
    return [
        audit.record(f"Tagging {config.absolute_image} as the latest image"),
        app.tag_latest_image(config),
    ]


def clean_up(config: Config, roles: Iterable[Role]) -> list[Command]:
    """Asset and error page directories of other versions (kept until the deploy succeeded)."""
    steps = [
        ignore_failure(app.clean_up_assets(config, role)) for role in roles if app.has_assets(config, role)
    ]
    if config.error_pages_path:
        steps.append(ignore_failure(app.clean_up_error_pages(config)))
    return steps


def prune_all(config: Config, audit: Audit, retain: int | None = None) -> list[Command]:
    """``prune all``: stopped containers beyond ``retain``, then dangling and unused tagged images."""
    return prune_containers(config, audit, retain) + prune_images(config, audit)


def prune_containers(config: Config, audit: Audit, retain: int | None = None) -> list[Command]:
    keep = config.retain_containers if retain is None else retain
    return [audit.record("Pruned containers"), prune.app_containers(config, keep)]


def prune_images(config: Config, audit: Audit) -> list[Command]:
    return [audit.record("Pruned images"), prune.dangling_images(config), prune.tagged_images(config)]


# --- asset bridging --------------------------------------------------------------------------------


def prepare_assets(config: Config, role: Role, old_version: str | None) -> Command:
    """Extract the new image's assets and share them with the old version's volume."""
    return combine(app.extract_assets(config, role), app.sync_asset_volumes(config, role, old_version))


# --- removal ---------------------------------------------------------------------------------------


def remove_app_directory(config: Config) -> Command:
    return cmd("rm", "-r", config.apps_directory)


def remove_empty_apps_directory() -> Command:
    """``.kamal/apps`` once no app is left in it (a no-op while other apps remain)."""
    return cmd("rmdir", ".kamal/apps", Raw("2>/dev/null"))


def app_directory_count() -> Command:
    """How many apps (service directories) the host carries."""
    return cmd(Raw("ls .kamal/apps 2>/dev/null | wc -l"))


def steps_or_none(steps: Sequence[Command]) -> Command | None:
    return combine(*steps) if steps else None
