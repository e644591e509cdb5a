"""``pykamal registry setup|remove|login|logout`` with ``-L/--skip-local`` and ``-R/--skip-remote``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from pykamal.cli.core import group


@group("registry")
def registry() -> None:
    pass


def _skip_options(fn: Callable[..., None]) -> Callable[..., None]:
    fn = click.option(
        "-R", "--skip-remote", "skip_remote", is_flag=True, default=False, help="Leave the servers alone."
    )(fn)
    return click.option(
        "-L", "--skip-local", "skip_local", is_flag=True, default=False, help="Leave this machine alone."
    )(fn)


def _run(subcommand: str, skip_local: bool, skip_remote: bool) -> None:
    from pykamal.cli.running import make_run
    from pykamal.flows import registry as flows
    from pykamal.remote.runtime import run_async

    step: Callable[..., Any] = getattr(flows, subcommand)
    run = make_run("registry", subcommand)

    async def main() -> None:
        try:
            await step(run, skip_local=skip_local, skip_remote=skip_remote)
        finally:
            await run.executor.close()

    run_async(main)


@registry.command("setup", help="Start the local registry, or log in to the registry here and on the servers")
@_skip_options
def setup(skip_local: bool, skip_remote: bool) -> None:
    _run("setup", skip_local, skip_remote)


@registry.command("remove", help="Stop the local registry, or log out here and on the servers")
@_skip_options
def remove(skip_local: bool, skip_remote: bool) -> None:
    _run("remove", skip_local, skip_remote)


@registry.command("login", help="Log in to the registry here and on the servers")
@_skip_options
def login(skip_local: bool, skip_remote: bool) -> None:
    _run("login", skip_local, skip_remote)


@registry.command("logout", help="Log out of the registry here and on the servers")
@_skip_options
def logout(skip_local: bool, skip_remote: bool) -> None:
    _run("logout", skip_local, skip_remote)
