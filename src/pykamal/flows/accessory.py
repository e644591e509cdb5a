"""Accessories (databases, caches, … running next to the app): boot, reboot, start/stop, exec, logs, removal.

Each flow takes the ``Run`` of the CLI invocation and an accessory name, or ``all`` where Kamal
accepts it. An accessory acts on its own hosts that are also in the run's host selection.
Mutating flows hold the deploy lock (re-entrant, so ``reboot`` may call ``boot``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pykamal.commands import accessory as commands
from pykamal.commands.base import Command
from pykamal.commands.logs import DEFAULT_LOG_LINES, DEFAULT_QUERY, LogQuery
from pykamal.errors import ConfigError, RemoteError, UsageError

if TYPE_CHECKING:
    from pykamal.config.model import Accessory, Config, RegistryConfig
    from pykamal.flows.context import Run

T = TypeVar("T")
ALL = "all"


# --- which accessories, which hosts ----------------------------------------------------------------


def accessory_names(config: Config) -> list[str]:
    return [accessory.name for accessory in config.accessories]


def to_sentence(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b, and c`` (how Kamal lists the choices)."""
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def find(config: Config, name: str) -> Accessory:
    """The accessory called ``name``; a UsageError naming the choices when there is none."""
    for accessory in config.accessories:
        if accessory.name == name:
            return accessory
    names = accessory_names(config)
    choices = f" (options: {to_sentence(names)})" if names else " (no accessories are configured)"
    raise UsageError(f"No accessory by the name of '{name}'{choices}")


def resolve(config: Config, name: str, *, allow_all: bool = True) -> list[Accessory]:
    """``all`` → every accessory in config order, else the named one."""
    if allow_all and name == ALL:
        return list(config.accessories)
    return [find(config, name)]


def hosts_for(run: Run, accessory: Accessory) -> tuple[str, ...]:
    """The accessory's hosts that the run selected (``-h``/``-r``/``-p``)."""
    return tuple(host for host in run.selection.accessory_hosts if host in accessory.hosts)


@asynccontextmanager
async def locked(run: Run) -> AsyncIterator[None]:
    from pykamal.remote.lock import deploy_lock

    await run.pre_connect()
    async with deploy_lock(
        run.config,
        run.executor,
        primary_host=run.selection.primary_host,
        hosts=run.selection.hosts,
        wait=run.lock_wait,
    ):
        yield


async def _on_hosts(hosts: Sequence[str], fn: Callable[[str], Awaitable[T]]) -> dict[str, T]:
    from pykamal.remote.executor import run_on

    return await run_on(hosts, fn)


async def _audit(run: Run, host: str, message: str) -> None:
    from pykamal.commands import auditor
    from pykamal.remote.identity import performer

    record = auditor.record(run.config, message, performer=performer(), at=datetime.now(UTC))
    await run.executor.run(host, record, log_level="debug")


def redact_secrets(run: Run, accessory: Accessory) -> None:
    """Mask the accessory's secret values in everything printed (exec and logs output included)."""
    from pykamal.errors import SecretsError

    for _, secret_name in accessory.env.secret_keys:
        try:
            value = run.config.secrets.get(secret_name)
        except SecretsError:
            continue  # a missing secret only matters where it is used (boot reports it)
        if value:
            run.output.redactor.add(value)


def _quiet(run: Run) -> bool:
    return run.output.verbosity == "error"


# --- registry login and the kamal network ----------------------------------------------------------


def login_command(config: Config, registry: RegistryConfig | None) -> Command | None:
    """``docker login`` for the accessory's registry (the app's when it has none); None when not needed.

    The password goes on stdin. A registry without credentials (a public image) needs no login.
    """
    from pykamal.commands import registry as registry_commands

    registry = registry or config.registry
    if registry.is_local or (registry.username is None and registry.password is None):
        return None
    username = registry.resolve_username(config.secrets)
    password = registry.resolve_password(config.secrets)
    if username is None or password is None:
        where = f"registry {registry.server}" if registry.server else "the registry"
        raise ConfigError(f"{where}: both username and password are needed to log in")
    return registry_commands.login(registry, username, password)


async def _login(run: Run, accessory: Accessory, host: str, login: Command) -> None:
    """Run ``docker login``; a refusal names the registry and the host."""
    from pykamal.flows.registry import login_failure
    from pykamal.remote.result import CommandFailed, HostError

    try:
        await run.executor.run(host, login)
    except CommandFailed as exc:
        reason = login_failure(accessory.registry or run.config.registry, exc.result)
        raise HostError(host, reason, f"{reason} (on {host})") from None


async def prepare(run: Run, accessory: Accessory, hosts: Sequence[str]) -> None:
    """Log in to the accessory's registry and make sure the ``kamal`` network exists.

    A custom ``network`` is created as well when missing (Kamal leaves that to the user).
    """
    from pykamal.commands import docker as docker_commands
    from pykamal.remote.result import CommandFailed

    login = login_command(run.config, accessory.registry)
    networks = [docker_commands.create_network()]
    custom = commands.custom_network(accessory)
    if custom is not None:
        networks.append(docker_commands.create_network(custom))

    async def one(host: str) -> None:
        if login is not None:
            await _login(run, accessory, host, login)
        for network in networks:
            try:
                await run.executor.run(host, network)
            except CommandFailed as exc:
                if not docker_commands.network_exists(exc.result.stderr + exc.result.stdout):
                    raise

    await _on_hosts(hosts, one)


# --- files and directories -------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalFile:
    upload: commands.FileUpload
    data: bytes


def read_files(config: Config, accessory: Accessory) -> list[LocalFile]:
    """Every ``files`` entry, read before connecting (``*.erb`` rendered with the accessory's env as ENV)."""
    from pykamal.commands import env_file
    from pykamal.config.erb import render

    uploads = commands.files(accessory)
    env: dict[str, str] | None = None
    out = []
    for upload in uploads:
        path = Path(upload.local).expanduser()
        if not path.is_file():
            raise ConfigError(f"accessories/{accessory.name}/files: missing file: {upload.local}")
        if upload.is_template:
            if env is None:
                env = {**os.environ, **env_file.env_values(accessory.env, config.secrets)}
            text = render(path.read_text(), upload.local, env).text
            out.append(LocalFile(upload, text.encode()))
        else:
            out.append(LocalFile(upload, path.read_bytes()))
    return out


async def upload_files(
    run: Run, accessory: Accessory, hosts: Sequence[str], local_files: list[LocalFile] | None = None
) -> None:
    """Upload the accessory's files to ``~/<service>/…`` with their mode (default 755) and owner."""
    if local_files is None:
        local_files = read_files(run.config, accessory)
    if not local_files:
        return

    async def one(host: str) -> None:
        for local in local_files:
            await run.executor.run(host, commands.make_file_directory(local.upload))
            # written 0600 first, then given its configured mode: never readable earlier than intended
            await run.executor.upload(host, local.data, local.upload.host_path, mode=0o600)
            for command in commands.file_permissions(local.upload):
                await run.executor.run(host, command)

    await _on_hosts(hosts, one)


async def create_directories(run: Run, accessory: Accessory, hosts: Sequence[str]) -> None:
    """Create the accessory's ``directories`` (relative ones under ``~/<service>/``)."""
    directories = commands.directories(accessory)
    if not directories:
        return

    async def one(host: str) -> None:
        for directory in directories:
            for command in commands.create_directory(directory):
                await run.executor.run(host, command)

    await _on_hosts(hosts, one)


# --- boot / reboot ---------------------------------------------------------------------------------


async def _existing_hosts(run: Run, accessory: Accessory, hosts: Sequence[str]) -> list[str]:
    async def one(host: str) -> bool:
        result = await run.executor.run(host, commands.info(accessory, all=True, quiet=True))
        return bool(result.stdout.strip())

    found = await _on_hosts(hosts, one)
    return [host for host in hosts if found.get(host)]


async def _register_with_proxy(run: Run, accessory: Accessory, host: str) -> None:
    from pykamal.remote.result import CommandFailed

    result = await run.executor.run(host, commands.container_id(accessory, only_running=True))
    target = result.stdout.strip()
    if not target:
        raise RemoteError(
            f"accessory {accessory.name} is not running on {host}, cannot register it with kamal-proxy"
        )
    try:
        await run.executor.run(host, commands.deploy(run.config, accessory, target))
    except CommandFailed as exc:
        if "No such container" in exc.result.stderr:
            raise RemoteError(
                f"kamal-proxy is not running on {host}: boot it first (`pykamal proxy boot`), "
                f"then `pykamal accessory start {accessory.name}`"
            ) from None
        raise


@dataclass(frozen=True)
class BootInputs:
    """What booting needs from this machine, gathered before any host is touched."""

    files: list[LocalFile]
    env_path: str
    env_content: str


def boot_inputs(run: Run, accessory: Accessory) -> BootInputs:
    """Read files and secrets now, so a missing file or secret fails before any remote change."""
    from pykamal.commands import env_file

    files = read_files(run.config, accessory)
    env_path, env_content = env_file.accessory_env_file(run.config, accessory, run.config.secrets)
    for _, value in env_file.secret_pairs(accessory.env, run.config.secrets):
        run.output.redactor.add(value)
    return BootInputs(files, env_path, env_content)


async def boot(run: Run, name: str, *, prepare_hosts: bool = True) -> None:
    """Start the accessory where it has no container yet (hosts that have one are skipped)."""
    accessories = resolve(run.config, name)
    inputs = [boot_inputs(run, accessory) for accessory in accessories]
    async with locked(run):
        for accessory, accessory_inputs in zip(accessories, inputs, strict=True):
            await _boot_one(run, accessory, accessory_inputs, prepare_hosts=prepare_hosts)


async def _boot_one(run: Run, accessory: Accessory, inputs: BootInputs, *, prepare_hosts: bool) -> None:
    hosts = list(hosts_for(run, accessory))
    if not hosts:
        return
    if prepare_hosts:
        await prepare(run, accessory, hosts)

    existing = await _existing_hosts(run, accessory, hosts)
    if existing:
        skipped = ", ".join(sorted(existing))
        run.output.say(
            f"Skipping booting `{accessory.name}` on {skipped}, a container already exists", "yellow"
        )
        hosts = [host for host in hosts if host not in existing]
    if not hosts:
        return

    await create_directories(run, accessory, hosts)
    await upload_files(run, accessory, hosts, inputs.files)

    async def one(host: str) -> None:
        await _audit(run, host, f"Booted {accessory.name} accessory")
        await run.executor.run(host, commands.ensure_env_directory(run.config))
        await run.executor.upload(host, inputs.env_content, inputs.env_path, mode=0o600)
        await start_container(run, accessory, host)
        if accessory.proxy is not None:
            await _register_with_proxy(run, accessory, host)

    await _on_hosts(hosts, one)


async def start_container(run: Run, accessory: Accessory, host: str) -> None:
    """``docker run`` of the accessory; a refusal says what to change."""
    from pykamal.remote.result import CommandFailed, HostError

    try:
        await run.executor.run(host, commands.run(run.config, accessory, host))
    except CommandFailed as exc:
        reason = start_failure(accessory, exc.result.stderr or exc.result.stdout)
        raise HostError(host, reason, f"{reason} (on {host})") from None


def start_failure(accessory: Accessory, output: str) -> str:
    """Why ``docker run`` refused to start the accessory, and the setting to look at."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    detail = lines[-1] if lines else "no output"
    text = output.lower()
    name = accessory.name
    failed = f"accessory {name} did not start"
    if "port is already allocated" in text or "address already in use" in text:
        return (
            f"{failed}: port {accessory.port} is taken ({detail}); free it or change accessories/{name}/port"
        )
    if any(m in text for m in ("manifest unknown", "pull access denied", "not found", "no such image")):
        return (
            f"{failed}: image {accessory.image} cannot be pulled ({detail}); check accessories/{name}/image"
        )
    if "is already in use by container" in text:
        return f"{failed}: a container of that name exists ({detail}); run `pykamal accessory remove {name}`"
    return f"{failed}: {detail}"


async def _on_each(
    run: Run,
    name: str,
    steps: Callable[[Accessory], list[Command]],
    audit: Callable[[Accessory], str] | None = None,
) -> None:
    """Under the lock, on the hosts of each accessory ``name`` stands for: the audit line, then each step."""
    accessories = resolve(run.config, name)
    async with locked(run):
        for accessory in accessories:

            async def one(host: str, accessory: Accessory = accessory) -> None:
                if audit is not None:
                    await _audit(run, host, audit(accessory))
                for command in steps(accessory):
                    await run.executor.run(host, command)

            await _on_hosts(hosts_for(run, accessory), one)


async def pull_image(run: Run, name: str) -> None:
    await _on_each(
        run, name, lambda a: [commands.pull_image(a)], audit=lambda a: f"Pull {a.name} accessory image"
    )


async def reboot(run: Run, name: str) -> None:
    """Pull the image first (the old container keeps serving meanwhile), then replace the container."""
    accessories = resolve(run.config, name)
    inputs = [boot_inputs(run, accessory) for accessory in accessories]
    async with locked(run):
        for accessory, accessory_inputs in zip(accessories, inputs, strict=True):
            hosts = hosts_for(run, accessory)
            if not hosts:
                continue
            await prepare(run, accessory, hosts)
            await pull_image(run, accessory.name)
            await stop(run, accessory.name)
            await remove_container(run, accessory.name)
            await _boot_one(run, accessory, accessory_inputs, prepare_hosts=False)


# --- start / stop / restart ------------------------------------------------------------------------


async def start(run: Run, name: str) -> None:
    accessory = find(run.config, name)
    async with locked(run):

        async def one(host: str) -> None:
            await _audit(run, host, f"Started {accessory.name} accessory")
            await run.executor.run(host, commands.start(accessory))
            if accessory.proxy is not None:
                await _register_with_proxy(run, accessory, host)

        await _on_hosts(hosts_for(run, accessory), one)


async def stop(run: Run, name: str) -> None:
    """Stop the container; a proxied accessory leaves kamal-proxy first, so no request hits a dead target."""
    accessory = find(run.config, name)
    async with locked(run):

        async def one(host: str) -> None:
            await _audit(run, host, f"Stopped {accessory.name} accessory")
            if accessory.proxy is not None:
                await run.executor.run(host, commands.remove_from_proxy(accessory), check=False)
            await run.executor.run(host, commands.stop(accessory), check=False)

        await _on_hosts(hosts_for(run, accessory), one)


async def restart(run: Run, name: str) -> None:
    find(run.config, name)
    async with locked(run):
        await stop(run, name)
        await start(run, name)


# --- details / exec / logs -------------------------------------------------------------------------


async def details(run: Run, name: str) -> None:
    from pykamal.remote.output import print_by_host

    for accessory in resolve(run.config, name):
        hosts = hosts_for(run, accessory)
        if not hosts:
            continue
        await run.pre_connect()

        async def one(host: str, accessory: Accessory = accessory) -> str:
            return (await run.executor.run(host, commands.info(accessory))).stdout

        results = await _on_hosts(hosts, one)
        for host, text in results.items():
            print_by_host(run.output, host, text, kind=f"Accessory {accessory.name}", quiet=_quiet(run))


async def exec_command(run: Run, name: str, command: str, *, reuse: bool = False) -> None:
    """Run ``command`` in a new container of the accessory (or in the running one with ``reuse``)."""
    from pykamal.remote.output import print_by_host

    accessory = find(run.config, name)
    hosts = hosts_for(run, accessory)
    redact_secrets(run, accessory)
    await run.pre_connect()
    if reuse:
        run.output.say("Launching command from existing container...")
        built = commands.execute_in_existing_container(accessory, command)
    else:
        run.output.say("Launching command from new container...")
        built = commands.execute_in_new_container(run.config, accessory, command)
    login = None if reuse else login_command(run.config, accessory.registry)

    async def one(host: str) -> str:
        if login is not None:
            await _login(run, accessory, host, login)
        await _audit(run, host, f"Executed cmd '{command}' on {accessory.name} accessory")
        return (await run.executor.run(host, built)).stdout

    results = await _on_hosts(hosts, one)
    for host, text in results.items():
        print_by_host(run.output, host, text, kind=f"Accessory {accessory.name}", quiet=_quiet(run))


async def interactive_exec_argv(
    run: Run, name: str, command: str, *, reuse: bool = False, tty: bool = True
) -> list[str]:
    """The local ``ssh -t`` line for ``exec -i`` on the accessory's first selected host."""
    from pykamal.remote.ssh_settings import SshSettings

    accessory = find(run.config, name)
    host = _first_host(run, accessory)
    await run.pre_connect()
    if reuse:
        run.output.say("Launching interactive command via SSH from existing container...")
        inner = commands.execute_in_existing_container(accessory, command, interactive=True, tty=tty)
    else:
        run.output.say("Launching interactive command via SSH from new container...")
        login = login_command(run.config, accessory.registry)
        if login is not None:
            await _login(run, accessory, host, login)
        inner = commands.execute_in_new_container(run.config, accessory, command, interactive=True, tty=tty)
    return SshSettings.from_config(run.config).interactive_argv(host, inner.shell())


def _first_host(run: Run, accessory: Accessory) -> str:
    hosts = hosts_for(run, accessory)
    if not hosts:
        raise UsageError(f"accessory {accessory.name} runs on none of the selected hosts")
    return hosts[0]


async def logs(run: Run, name: str, query: LogQuery = DEFAULT_QUERY) -> None:
    """The last log lines of the accessory on each selected host (100 unless narrowed)."""
    accessory = find(run.config, name)
    redact_secrets(run, accessory)
    built = commands.logs(accessory, query.or_last(DEFAULT_LOG_LINES))
    hosts = hosts_for(run, accessory)
    if not hosts:
        return
    await run.pre_connect()

    async def one(host: str) -> str:
        return (await run.executor.run(host, built)).stdout

    results = await _on_hosts(hosts, one)
    for text in results.values():
        run.output.puts(text.rstrip("\n"))


def follow_logs_argv(run: Run, name: str, query: LogQuery = DEFAULT_QUERY) -> tuple[str, list[str]]:
    """``(host, argv)`` of the local ``ssh -t`` following the logs on the first selected host."""
    from pykamal.remote.ssh_settings import SshSettings

    accessory = find(run.config, name)
    host = _first_host(run, accessory)
    remote = commands.follow_logs_on_host(accessory, query)
    return host, SshSettings.from_config(run.config).interactive_argv(host, remote.shell())


# --- removal ---------------------------------------------------------------------------------------


async def remove_container(run: Run, name: str) -> None:
    await _on_each(
        run,
        name,
        lambda a: [commands.remove_container(a)],
        audit=lambda a: f"Remove {a.name} accessory container",
    )


async def remove_image(run: Run, name: str) -> None:
    """Remove the image, and older untagged images of its repository that reboots left behind."""
    await _on_each(
        run,
        name,
        lambda a: [commands.remove_image(a), commands.remove_untagged_images(a)],
        audit=lambda a: f"Removed {a.name} accessory image",
    )


async def remove_service_directory(run: Run, name: str) -> None:
    """Remove ``~/<service>`` (uploaded files, relative directories) and the accessory's env file."""
    await _on_each(
        run, name, lambda a: [commands.remove_service_directory(a), commands.remove_env_file(run.config, a)]
    )


async def remove(run: Run, name: str) -> None:
    """Stop, then remove container, image, ``~/<service>`` and env file (volumes and absolute dirs stay)."""
    accessories = resolve(run.config, name)
    async with locked(run):
        for accessory in accessories:
            await stop(run, accessory.name)
            await remove_container(run, accessory.name)
            await remove_image(run, accessory.name)
            await remove_service_directory(run, accessory.name)


# --- upgrade (Kamal 1.x → 2) -----------------------------------------------------------------------


async def upgrade(run: Run, name: str, *, rolling: bool = False) -> None:
    """Reboot accessories into the ``kamal`` network, all hosts at once or one host at a time."""
    from pykamal.config.selection import select

    resolve(run.config, name)
    async with locked(run):
        all_hosts = list(run.selection.accessory_hosts)
        groups = [[host] for host in all_hosts] if rolling else [all_hosts]
        for group in groups:
            if not group:
                continue
            listed = ",".join(group)
            sub_run = run.with_selection(select(run.config, hosts=group))
            run.output.say(f"Upgrading {name} accessories on {listed}...")
            await reboot(sub_run, name)
            run.output.say(f"Upgraded {name} accessories on {listed}...")
