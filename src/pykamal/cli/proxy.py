"""``pykamal proxy …``: kamal-proxy on the servers."""

from __future__ import annotations

import click

from pykamal.cli.core import group


def _execute(subcommand: str, flow):  # type: ignore[no-untyped-def]
    from pykamal.flows.plan import execute

    return execute("proxy", subcommand, flow)


@group("proxy")
def proxy() -> None:
    pass


@proxy.command("boot", help="Boot proxy on servers")
def boot() -> None:
    from pykamal.flows import proxy as flow

    _execute("boot", flow.boot)


@proxy.command("boot_config", help="Manage kamal-proxy boot configuration (set, get or reset)")
@click.argument("subcommand", metavar="set|get|reset")
@click.option("--publish/--no-publish", default=True, help="Publish the proxy ports on the host")
@click.option(
    "--publish-host-ip", multiple=True, help="Host IP address to bind HTTP/HTTPS traffic to (repeatable)"
)
@click.option("--http-port", type=int, default=80, show_default=True, help="HTTP port to publish on the host")
@click.option(
    "--https-port", type=int, default=443, show_default=True, help="HTTPS port to publish on the host"
)
@click.option("--log-max-size", default="10m", show_default=True, help="Max size of proxy logs")
@click.option("--registry", default=None, help="Registry to use for the proxy image")
@click.option("--repository", default=None, help="Repository for the proxy image")
@click.option("--image-version", default=None, help="Version of the proxy to run")
@click.option("--metrics-port", type=int, default=None, help="Port to report prometheus metrics on")
@click.option("--debug/--no-debug", default=False, help="Whether to run the proxy in debug mode")
@click.option(
    "--docker-options",
    multiple=True,
    help="Docker options for the proxy container (option=value, repeatable)",
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


@proxy.command(
    "reboot", help="Reboot proxy on servers (stop container, remove container, start new container)"
)
@click.option(
    "--rolling",
    is_flag=True,
    default=False,
    help="Reboot proxy on hosts in sequence, rather than in parallel",
)
@click.option("-y", "--confirmed", is_flag=True, default=False, help="Proceed without confirmation question")
def reboot(rolling: bool, confirmed: bool) -> None:
    from pykamal.flows import proxy as flow

    _execute("reboot", lambda run: flow.reboot(run, rolling=rolling, confirmed=confirmed))


@proxy.command("start", help="Start existing proxy container on servers")
def start() -> None:
    from pykamal.flows import proxy as flow

    _execute("start", flow.start)


@proxy.command("stop", help="Stop existing proxy container on servers")
def stop() -> None:
    from pykamal.flows import proxy as flow

    _execute("stop", flow.stop)


@proxy.command("restart", help="Restart existing proxy container on servers")
def restart() -> None:
    from pykamal.flows import proxy as flow

    _execute("restart", flow.restart)


@proxy.command("details", help="Show details about proxy container from servers")
def details() -> None:
    from pykamal.flows import proxy as flow

    _execute("details", flow.details)


@proxy.command("logs", help="Show log lines from proxy on servers")
@click.option("-s", "--since", default=None, help="Show logs since timestamp or relative (e.g. 42m)")
@click.option("-n", "--lines", type=int, default=None, help="Number of log lines to pull from each server")
@click.option("-g", "--grep", default=None, help="Show lines with grep match only")
@click.option("-f", "--follow", is_flag=True, default=False, help="Follow logs on primary server")
@click.option("-T", "--skip-timestamps", is_flag=True, default=False, help="Skip timestamps in the output")
def logs(since: str | None, lines: int | None, grep: str | None, follow: bool, skip_timestamps: bool) -> None:
    from pykamal.flows import proxy as flow

    if follow:
        from pykamal.flows.plan import follow_logs

        follow_logs(
            "proxy", lambda run: flow.follow_logs_argv(run, grep=grep, timestamps=not skip_timestamps)
        )
    _execute(
        "logs",
        lambda run: flow.logs(run, since=since, lines=lines, grep=grep, timestamps=not skip_timestamps),
    )


@proxy.command("remove", help="Remove proxy container and image from servers")
@click.option(
    "--force", is_flag=True, default=False, help="Force removing proxy when apps are still installed"
)
def remove(force: bool) -> None:
    from pykamal.flows import proxy as flow

    _execute("remove", lambda run: flow.remove(run, force=force))
