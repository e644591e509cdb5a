"""``pykamal proxy …``: kamal-proxy on the servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pykamal.cli.core import group
from pykamal.cli.log_options import log_options
from pykamal.cli.running import flow_command
from pykamal.cli.thor_args import ArrayOption

if TYPE_CHECKING:
    from pykamal.commands.logs import LogQuery


def _execute(subcommand: str, flow):  # type: ignore[no-untyped-def]
    from pykamal.cli.running import execute

    return execute("proxy", subcommand, flow)


@group("proxy")
def proxy() -> None:
    pass


flow_command(proxy, "boot", "proxy:boot", help="Start kamal-proxy on the servers")


@proxy.command("boot_config", help="Set, get or reset the options kamal-proxy starts with")
@click.argument("subcommand", metavar="set|get|reset")
@click.option("--publish/--no-publish", default=True, help="Expose the proxy ports on the host")
@click.option("--publish-host-ip", multiple=True, help="Host address the ports listen on (repeatable)")
@click.option("--http-port", type=int, default=80, show_default=True, help="Host port for HTTP")
@click.option("--https-port", type=int, default=443, show_default=True, help="Host port for HTTPS")
@click.option(
    "--log-max-size", default="10m", show_default=True, help="Log size limit of the proxy container"
)
@click.option("--registry", default=None, help="Registry the proxy image comes from")
@click.option("--repository", default=None, help="Repository of the proxy image")
@click.option("--image-version", default=None, help="Proxy image tag")
@click.option("--metrics-port", type=int, default=None, help="Port for Prometheus metrics")
@click.option("--debug/--no-debug", default=False, help="Turn on proxy debug logging")
@click.option(
    "--docker-options",
    cls=ArrayOption,
    help="Extra docker run options: --docker-options option=value [option2=value2 ...]",
)
def boot_config(
    subcommand: str,
    publish: bool,
    publish_host_ip: tuple[str, ...],
    http_port: int,
    https_port: int,
    log_max_size: str,
    registry: str | None,
    repository: str | None,
    image_version: str | None,
    metrics_port: int | None,
    debug: bool,
    docker_options: tuple[str, ...],
) -> None:
    from pykamal.commands import proxy as commands
    from pykamal.errors import UsageError
    from pykamal.flows import proxy as flow

    if subcommand not in ("set", "get", "reset"):
        raise UsageError(f"Unknown boot_config subcommand {subcommand}")
    click.secho(flow.DEPRECATION, fg="yellow", err=True)
    if subcommand == "set":
        options = [o for item in docker_options for o in item.split()]
        files = commands.boot_config_files(
            publish=publish,
            publish_host_ips=list(publish_host_ip),
            http_port=http_port,
            https_port=https_port,
            log_max_size=log_max_size,
            registry=registry,
            repository=repository,
            image_version=image_version,
            metrics_port=metrics_port,
            debug=debug,
            docker_options=options,
        )
        _execute("boot_config", lambda run: flow.boot_config_set(run, files))
    elif subcommand == "get":
        _execute("boot_config", flow.boot_config_get)
    else:
        _execute("boot_config", flow.boot_config_reset)


@proxy.command("reboot", help="Replace the proxy container with a new one")
@click.option(
    "--rolling",
    is_flag=True,
    default=False,
    help="Do the hosts one after another",
)
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Answer yes to the confirmation prompt")
def reboot(rolling: bool, confirmed: bool) -> None:
    from pykamal.flows import proxy as flow

    _execute("reboot", lambda run: flow.reboot(run, rolling=rolling, confirmed=confirmed))


@proxy.command(
    "upgrade",
    hidden=True,
    help="Replace Kamal 1's Traefik with kamal-proxy and boot the app behind it, host group by host group",
)
@click.option("--rolling", is_flag=True, default=False, help="Do the hosts one after another")
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Answer yes to the confirmation prompt")
def upgrade(rolling: bool, confirmed: bool) -> None:
    from pykamal.flows import upgrade as flow

    _execute("upgrade", lambda run: flow.proxy_upgrade(run, rolling=rolling, confirmed=confirmed))


flow_command(proxy, "start", "proxy:start", help="Start the stopped proxy container")
flow_command(proxy, "stop", "proxy:stop", help="Stop the running proxy container")
flow_command(proxy, "restart", "proxy:restart", help="Stop, then start the proxy container again")
flow_command(proxy, "details", "proxy:details", help="List the proxy container on each server")


@proxy.command("logs", help="Print the proxy container logs")
@log_options(grep_options=False)
def logs(query: LogQuery, follow: bool) -> None:
    from pykamal.flows import proxy as flow

    if follow:
        from pykamal.cli.running import follow_logs

        follow_logs("proxy", lambda run: flow.follow_logs_argv(run, query))
    _execute("logs", lambda run: flow.logs(run, query))


@proxy.command("remove", help="Delete the proxy container and image on the servers")
@click.option("--force", is_flag=True, default=False, help="Remove the proxy even if apps still use it")
def remove(force: bool) -> None:
    from pykamal.flows import proxy as flow

    _execute("remove", lambda run: flow.remove(run, force=force))
