"""``pykamal build push|pull|deliver|create|remove|details|dev``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click

from pykamal.cli.core import group
from pykamal.cli.running import flow_command

if TYPE_CHECKING:
    from pykamal.flows.context import Run


@group("build")
def build() -> None:
    pass


def _run(
    subcommand: str, step: Callable[[Run], Awaitable[None]], output: str | None = None, no_cache: bool = False
) -> None:
    from pykamal.cli.running import execute
    from pykamal.flows.context import BuildOptions

    execute("build", subcommand, step, build=BuildOptions(output=output, no_cache=no_cache))


def _output_option(default: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--output",
        default=default,
        show_default=True,
        metavar="EXPORT_TYPE",
        help="Where the result goes, as for `docker buildx build --output`.",
    )


_no_cache_option = click.option(
    "--no-cache", "no_cache", is_flag=True, default=False, help="Ignore cached layers and build every step."
)


@build.command("deliver", help="Build and push the image, then pull it on the servers")
@_output_option("registry")
@_no_cache_option
def deliver(output: str, no_cache: bool) -> None:
    from pykamal.flows import build as flows

    _run("deliver", flows.deliver, output=output, no_cache=no_cache)


@build.command("push", help="Build the image and upload it to the registry")
@_output_option("registry")
@_no_cache_option
def push(output: str, no_cache: bool) -> None:
    from pykamal.flows import build as flows

    _run("push", flows.push, output=output, no_cache=no_cache)


flow_command(build, "pull", "build:pull", help="Download the image from the registry on the servers")
flow_command(build, "create", "build:create", help="Make the buildx builder")
flow_command(build, "remove", "build:remove", help="Delete the buildx builder")
flow_command(build, "details", "build:details", help="Print the builder configuration")


@build.command("dev", help="Build from uncommitted files into the local image store, tagged dirty.")
@_output_option("docker")
@_no_cache_option
def dev(output: str, no_cache: bool) -> None:
    from pykamal.flows import build as flows

    _run("dev", flows.dev, output=output, no_cache=no_cache)
