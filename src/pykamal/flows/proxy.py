"""``proxy …``: the kamal-proxy container on every proxy host."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pykamal.commands import app, docker, proxy
from pykamal.commands.base import Command, combine, emit, ignore_failure, parse
from pykamal.commands.logs import DEFAULT_LOG_LINES, DEFAULT_QUERY, LogQuery
from pykamal.errors import RemoteError
from pykamal.flows.common import audit, confirm, locked, print_by_host
from pykamal.remote.executor import run_on

if TYPE_CHECKING:
    from pykamal.flows.context import Run

PROXY_KEY = "proxy"


def login(run: Run) -> Command | None:
    """Remote registry login (None for a local registry), password on stdin."""
    from pykamal.flows.registry import login_command

    return login_command(run.config)


def probe_steps(run: Run, host: str) -> tuple[list[Command], list[Command]]:
    """(Kamal's network creation on every host, and the proxy's directory; reading the proxy's state)."""
    if host not in run.config.proxy_hosts:
        return [docker.ensure_network()], []
    prepare = [docker.ensure_network(), proxy.ensure_apps_config_directory()]
    return prepare, [emit(PROXY_KEY, proxy.state())]


async def ensure_running(run: Run, states: dict[str, dict[str, list[str]]]) -> None:
    """Start or run kamal-proxy on proxy hosts where it is not running (after ``probe_steps``).

    Refuses a running proxy older than the minimum version (it needs ``proxy reboot``).
    """
    hosts = [h for h in run.selection.proxy_hosts if h in states]

    async def one(host: str) -> None:
        version, running = proxy.parse_state(states[host].get(PROXY_KEY, []))
        if version and version[:1] == "v" and proxy.is_older_version(version):
            raise RemoteError(
                f"kamal-proxy version {version} is too old on {host}, run `pykamal proxy reboot` "
                f"in order to update to at least {proxy.MINIMUM_VERSION}"
            )
        if running:
            return
        if version:  # the container exists: start it
            await run.executor.run(host, proxy.start())
        else:
            await run.executor.run(host, combine(login(run), proxy.run(run.config, host)))

    await run_on(hosts, one, output=run.output, step="proxy")


async def probe(run: Run, hosts: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    async def one(host: str) -> dict[str, list[str]]:
        prepare, reads = probe_steps(run, host)
        result = await run.executor.run(host, combine(*prepare, *reads))
        return parse(result.stdout)

    return await run_on(hosts, one)


async def boot(run: Run) -> None:
    async with locked(run):
        states = await probe(run, run.selection.hosts)
        await ensure_running(run, states)


async def reboot(run: Run, *, rolling: bool = False, confirmed: bool = False) -> None:
    if not confirm("Each proxy host stops serving while its kamal-proxy restarts. Are you sure?", confirmed):
        run.output.say("Aborted", "red")
        return
    hosts = list(run.selection.proxy_hosts)
    groups = [[h] for h in hosts] if rolling else [hosts]
    async with locked(run):
        for group in groups:
            await run.hook("pre-proxy-reboot", hosts=tuple(group))
            await run_on(group, lambda host: reboot_host(run, host))
            await run.hook("post-proxy-reboot", hosts=tuple(group))


async def reboot_host(run: Run, host: str) -> None:
    command = combine(
        audit(run).record("Rebooted proxy"),
        login(run),
        ignore_failure(proxy.stop()),
        proxy.remove_container_by_label_and_name(),
        proxy.ensure_apps_config_directory(),
        proxy.run(run.config, host),
    )
    await run.executor.run(host, command)


async def start(run: Run) -> None:
    async with locked(run):
        record = audit(run)
        await run_on(
            run.selection.proxy_hosts,
            lambda host: run.executor.run(host, combine(record.record("Started proxy"), proxy.start())),
        )


async def stop(run: Run) -> None:
    async with locked(run):
        record = audit(run)
        await run_on(
            run.selection.proxy_hosts,
            lambda host: run.executor.run(
                host, combine(record.record("Stopped proxy"), ignore_failure(proxy.stop()))
            ),
        )


async def restart(run: Run) -> None:
    async with locked(run):
        await stop(run)
        await start(run)


async def details(run: Run) -> None:
    await run.pre_connect()

    async def one(host: str) -> None:
        result = await run.executor.run(host, proxy.info())
        print_by_host(run, host, result.stdout, kind="Proxy")

    await run_on(run.selection.proxy_hosts, one)


async def logs(run: Run, query: LogQuery = DEFAULT_QUERY) -> None:
    """The last log lines of kamal-proxy on each selected host (100 unless narrowed)."""
    await run.pre_connect()
    command = proxy.logs(query.or_last(DEFAULT_LOG_LINES))

    async def one(host: str) -> None:
        result = await run.executor.run(host, command, check=False)
        print_by_host(run, host, result.stdout if result.ok else "Nothing found", kind="Proxy")

    await run_on(run.selection.proxy_hosts, one)


def follow_logs_argv(run: Run, query: LogQuery = DEFAULT_QUERY) -> list[str]:
    """The local ``ssh -t`` command following the proxy logs on the primary host."""
    from pykamal.remote.ssh_settings import SshSettings

    remote = proxy.follow_logs_on_host(query)
    return SshSettings.from_config(run.config).interactive_argv(run.selection.primary_host, remote.shell())


async def remove(run: Run, *, force: bool = False) -> None:
    async with locked(run):
        if not await removal_allowed(run, force):
            return
        record = audit(run)

        async def one(host: str) -> None:
            command = combine(
                proxy.remember_image(),
                record.record("Stopped proxy"),
                ignore_failure(proxy.stop()),
                record.record("Removed proxy container"),
                proxy.remove_container_by_label_and_name(),
                record.record("Removed proxy image"),
                proxy.remove_image_by_label_and_remembered(),
                ignore_failure(proxy.remove_proxy_directory()),
            )
            await run.executor.run(host, command)

        await run_on(run.selection.proxy_hosts, one)


async def removal_allowed(run: Run, force: bool) -> bool:
    """False (with a message) when other apps still use the proxy, unless forced."""
    results = await run_on(
        run.selection.proxy_hosts, lambda host: run.executor.run(host, app.app_directory_count())
    )
    busy = [
        host for host, result in results.items() if result.stdout.strip().isdigit() and int(result.stdout) > 0
    ]
    if not busy:
        return True
    if force:
        run.output.say("Forcing, so removing the proxy, even though other apps are installed")
    else:
        run.output.say(
            f"Not removing the proxy, as other apps are installed on {', '.join(busy)}, "
            "ignore this check with pykamal proxy remove --force"
        )
    return force


# --- boot_config (deprecated in Kamal in favour of proxy.run) ----------------------------------------

DEPRECATION = (
    "The proxy boot_config command is deprecated - set the config in the deploy YAML at proxy/run instead"
)


async def boot_config_set(run: Run, files: proxy.BootConfigFiles) -> None:
    await run.pre_connect()

    async def one(host: str) -> None:
        removals = [ignore_failure(c) for c in files.removals()]
        await run.executor.run(host, combine(proxy.ensure_proxy_directory(), *removals))
        for path, content in files.uploads():
            await run.executor.upload(host, content, path, mode=0o644)

    await run_on(run.selection.proxy_hosts, one)


async def boot_config_get(run: Run) -> None:
    await run.pre_connect()
    results = await run_on(
        run.selection.proxy_hosts, lambda host: run.executor.run(host, proxy.boot_config())
    )
    for host, result in results.items():
        run.output.puts(f"Host {host}: {result.stdout.strip()}")


async def boot_config_reset(run: Run) -> None:
    await run.pre_connect()
    command = combine(*(ignore_failure(c) for c in proxy.reset_boot_config()))
    await run_on(run.selection.proxy_hosts, lambda host: run.executor.run(host, command))
