"""``app …``: boot, start/stop, inspect, exec, logs and removal of the app containers."""

from __future__ import annotations

import dataclasses
import secrets as _random
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pykamal.commands import app
from pykamal.commands.base import Command, combine, ignore_failure, raw_bytes, require
from pykamal.commands.logs import DEFAULT_LOG_LINES, DEFAULT_QUERY, FOLLOW_LINES, LogQuery
from pykamal.errors import UsageError
from pykamal.flows.common import audit, locked, on_roles, print_by_host
from pykamal.remote.executor import run_on

if TYPE_CHECKING:
    from pykamal.config.model import Config, Role
    from pykamal.flows.context import Run


def version_or_latest(run: Run) -> str:
    return run.config.declared_version or run.config.latest_tag


async def boot(run: Run, *, rollback_on_failure: bool = True) -> None:
    from pykamal.flows import app_boot

    async with locked(run):
        if not run.config.declared_version:
            run.output.say("Get most recent version available as an image...")
        await app_boot.boot(run, version=version_or_latest(run), rollback_on_failure=rollback_on_failure)


async def start(run: Run) -> None:
    config = run.config
    record = audit(run)

    async def one(host: str, role: Role) -> None:
        steps = [
            record.record(f"Started app version {config.version}"),
            ignore_failure(app.start(config, role)),
        ]
        if role.running_proxy:
            steps += current_id(config, role, host)
            steps.append(app.deploy(config, role, "${id}"))
        await run.executor.run(host, combine(*steps))

    async with locked(run):
        await on_roles(run, run.selection.app_hosts, one, parallel_roles=config.boot.parallel_roles)


def current_id(config: Config, role: Role, host: str) -> list[Command]:
    """``id=$(<current running container id>)`` and a check that there is one."""
    from pykamal.commands.base import Subst, cmd, word

    message = f"Failed to get endpoint for {role.name} on {host}, did the container boot?"
    return [
        cmd(word("id=", Subst(app.current_running_container_id(config, role)))),
        require('[ -n "$id" ]', message),
    ]


async def stop(run: Run) -> None:
    config = run.config
    record = audit(run)

    async def one(host: str, role: Role) -> None:
        from pykamal.commands.base import Raw, Subst, cmd, word

        steps = [record.record("Stopped app", role)]
        if role.running_proxy:
            steps.append(
                ignore_failure(
                    combine(
                        cmd(word("id=", Subst(app.current_running_container_id(config, role)))),
                        cmd(Raw('[ -n "$id" ]')),
                        app.remove(role),
                    )
                )
            )
        steps.append(ignore_failure(app.stop(config, role)))
        await run.executor.run(host, combine(*steps))

    async with locked(run):
        await on_roles(run, run.selection.app_hosts, one, parallel_roles=config.boot.parallel_roles)


async def details(run: Run) -> None:
    await run.pre_connect()

    async def one(host: str, role: Role) -> None:
        result = await run.executor.run(host, app.info(run.config, role))
        print_by_host(run, host, result.stdout)

    await on_roles(run, run.selection.app_hosts, one)


async def _per_host(run: Run, command: Command) -> None:
    await run.pre_connect()

    async def one(host: str) -> None:
        result = await run.executor.run(host, command)
        print_by_host(run, host, result.stdout)

    await run_on(run.selection.app_hosts, one)


async def containers(run: Run) -> None:
    await _per_host(run, app.list_containers(run.config))


async def images(run: Run) -> None:
    await _per_host(run, app.list_images(run.config))


async def version(run: Run) -> None:
    await run.pre_connect()

    async def one(host: str) -> None:
        role = run.selection.roles_on(host)[0]
        result = await run.executor.run(host, app.current_running_version(run.config, role), check=False)
        print_by_host(run, host, result.stdout.strip())

    await run_on(run.selection.app_hosts, one)


async def stale_containers(run: Run, *, stop: bool = False) -> None:
    """Running containers of a role that are not its current one: listed, or stopped with ``stop``."""
    from pykamal.flows.app_boot import probe

    config = run.config

    async def one(host: str) -> None:
        state = states[host]
        stops: list[Command] = []
        for role in run.selection.roles_on(host):
            for stale in state.stale(role):
                if stop:
                    print_by_host(
                        run, host, f"Stopping stale container for role {role.name} with version {stale}"
                    )
                    stops.append(ignore_failure(app.stop_by_name(config, role, stale)))
                else:
                    print_by_host(
                        run,
                        host,
                        f"Detected stale container for role {role.name} with version {stale} "
                        "(use `pykamal app stale_containers --stop` to stop)",
                    )
        if stops:
            await run.executor.run(host, combine(*stops))

    if stop:
        async with locked(run):
            states = await probe(run, config, run.selection.app_hosts)
            await run_on(run.selection.app_hosts, one)
    else:
        await run.pre_connect()
        states = await probe(run, config, run.selection.app_hosts)
        await run_on(run.selection.app_hosts, one)


async def logs(run: Run, query: LogQuery = DEFAULT_QUERY, *, container_id: str | None = None) -> None:
    """The last log lines of the app on each selected host and role (100 unless narrowed)."""
    await run.pre_connect()
    query = query.or_last(DEFAULT_LOG_LINES)

    async def one(host: str, role: Role) -> None:
        command = app.logs(run.config, role, query, container_id=container_id)
        result = await run.executor.run(host, command, check=False)
        print_by_host(run, host, result.stdout if result.ok else "Nothing found")

    await on_roles(run, run.selection.app_hosts, one)


def follow_logs_argv(
    run: Run, query: LogQuery = DEFAULT_QUERY, *, container_id: str | None = None
) -> list[str]:
    """The local ``ssh -t`` command following the logs on the primary host (primary role)."""
    from pykamal.remote.ssh_settings import SshSettings

    host = run.selection.primary_host
    roles = run.selection.roles_on(host) or run.config.roles_on(host)
    role = next((r for r in roles if r.name == run.config.primary_role_name), roles[0])
    remote = app.follow_logs_on_host(run.config, role, query.or_last(FOLLOW_LINES), container_id=container_id)
    return SshSettings.from_config(run.config).interactive_argv(host, remote.shell())


def hosts_removing_all_roles(run: Run) -> list[str]:
    """Hosts where every role the host carries is selected (only there images and dirs go)."""
    return [
        host
        for host in run.selection.app_hosts
        if sorted(r.name for r in run.selection.roles_on(host))
        == sorted(r.name for r in run.config.roles_on(host))
    ]


async def remove(run: Run) -> None:
    async with locked(run):
        await stop(run)
        await remove_containers(run)
        await remove_images(run)
        await remove_app_directories(run)


async def remove_container(run: Run, version: str) -> None:
    config = run.config
    record = audit(run)

    async def one(host: str, role: Role) -> None:
        command = combine(
            record.record(f"Removed app container with version {version}", role),
            app.remove_container(config, role, version),
        )
        await run.executor.run(host, command)

    async with locked(run):
        await on_roles(run, run.selection.app_hosts, one)


async def remove_containers(run: Run) -> None:
    config = run.config
    record = audit(run)

    async def one(host: str, role: Role) -> None:
        command = combine(
            record.record("Removed all app containers", role), app.remove_containers(config, role)
        )
        await run.executor.run(host, command)

    async with locked(run):
        await on_roles(run, run.selection.app_hosts, one)


async def remove_images(run: Run) -> None:
    record = audit(run)
    command = combine(record.record("Removed all app images"), app.remove_images(run.config))
    async with locked(run):
        await run_on(hosts_removing_all_roles(run), lambda host: run.executor.run(host, command))


async def remove_app_directories(run: Run) -> None:
    config = run.config
    record = audit(run)
    command = combine(
        ignore_failure(app.remove_app_directory(config)),
        record.record(f"Removed {config.apps_directory}"),
        ignore_failure(app.remove_proxy_app_directory(config)),
        ignore_failure(app.remove_empty_apps_directory()),
    )
    async with locked(run):
        await run_on(hosts_removing_all_roles(run), lambda host: run.executor.run(host, command))


async def live(run: Run) -> None:
    async def one(host: str, role: Role) -> None:
        if role.running_proxy:
            await run.executor.run(host, app.live(role))

    async with locked(run):
        await on_roles(run, run.selection.proxy_hosts, one)


async def maintenance(run: Run, *, drain_timeout: int | None = None, message: str | None = None) -> None:
    timeout = drain_timeout if drain_timeout is not None else run.config.drain_timeout

    async def one(host: str, role: Role) -> None:
        if role.running_proxy:
            await run.executor.run(host, app.maintenance(role, drain_timeout=timeout, message=message))

    async with locked(run):
        await on_roles(run, run.selection.proxy_hosts, one)


# --- exec ------------------------------------------------------------------------------------------


async def current_running_version(run: Run) -> str | None:
    host = run.selection.primary_host
    role = run.selection.roles_on(host)[0] if run.selection.roles_on(host) else run.config.roles_on(host)[0]
    result = await run.executor.run(host, app.current_running_version(run.config, role))
    return result.stdout.strip() or None


async def exec_(
    run: Run,
    command: str,
    *,
    interactive: bool = False,
    reuse: bool = False,
    env: Sequence[tuple[str, str]] = (),
    detach: bool = False,
    raw: bool = False,
) -> list[str] | None:
    """Run ``command`` in app containers; returns the local argv to exec for interactive modes.

    ``raw``: each host's stdout is written as it came, byte for byte, with no header and nothing
    else on stdout (progress messages are left out), so it can be piped into a file or a tool.
    """
    incompatible = [name for name, on in (("interactive", interactive), ("reuse", reuse)) if detach and on]
    if incompatible:
        raise UsageError(f"Detach is not compatible with {' or '.join(incompatible)}")
    refused = [name for name, on in (("interactive", interactive), ("detach", detach)) if raw and on]
    if refused:
        raise UsageError(f"Raw is not compatible with {' or '.join(refused)}")
    if not command.strip():
        raise UsageError("No command provided. You must specify a command to execute.")
    await run.pre_connect()
    output = run.output
    declared = run.config.declared_version
    host = run.selection.primary_host

    if reuse:
        if not declared:
            output.say("Get current version of running container...")
        version = declared or await current_running_version(run)
        if not version:
            raise UsageError(f"No running app container found on {host}")
        config = run.config.with_version(version)
    else:
        if not declared:
            output.say("Get most recent version available as an image...")
        config = run.config.with_version(version_or_latest(run))

    if interactive:
        return await _interactive_exec(run, config, command, reuse=reuse, env=env)

    record = audit(run, config)
    if reuse:
        output.say(f"Launching command with version {config.version} from existing container...")
    else:
        output.say(f"Launching command with version {config.version} from new container...")
        from pykamal.flows.proxy import login

        login_command = login(run)
        if login_command is not None:
            await run_on(run.selection.app_hosts, lambda h: run.executor.run(h, login_command))

    async def one(host: str, role: Role) -> None:
        if reuse:
            run_it = app.execute_in_existing_container(config, role, command, env=env)
        else:
            run_it = app.execute_in_new_container(
                config, role, host, command, random_hex=_random.token_hex(3), detach=detach, env=env
            )
        record_line = record.record(f"Executed cmd '{command}' on app version {config.version}", role)
        await run.executor.run(host, record_line, log_level="debug")
        if raw:
            result = await run.executor.run(host, dataclasses.replace(run_it, binary_output=True))
            output.write_raw(raw_bytes(result.stdout))
            return
        result = await run.executor.run(host, run_it)
        print_by_host(run, host, result.stdout)

    await on_roles(run, run.selection.app_hosts, one)
    return None


async def _interactive_exec(
    run: Run, config: Config, command: str, *, reuse: bool, env: Sequence[tuple[str, str]]
) -> list[str]:
    from pykamal.remote.ssh_settings import SshSettings

    host = run.selection.primary_host
    roles = run.config.roles_on(host)
    role = next((r for r in roles if r.name == run.config.primary_role_name), roles[0])
    tty = sys.stdin.isatty()
    where = "existing" if reuse else "new"
    run.output.say(
        f"Launching interactive command with version {config.version} via SSH "
        f"from {where} container on {host}..."
    )
    if reuse:
        inner = app.execute_in_existing_container(config, role, command, interactive=True, tty=tty, env=env)
    else:
        from pykamal.flows.proxy import login

        login_command = login(run)
        if login_command is not None:
            await run.executor.run(host, login_command)
        inner = app.execute_in_new_container(
            config, role, host, command, random_hex=_random.token_hex(3), interactive=True, tty=tty, env=env
        )
    return SshSettings.from_config(run.config).interactive_argv(host, inner.shell())
