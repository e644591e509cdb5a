"""`pykamal sandbox`: local throwaway servers (sshd + dockerd containers), a registry and kamal-proxy."""

from __future__ import annotations

import os
from typing import Any

import click

from pykamal.cli.core import CONTEXT_SETTINGS

# Plain click commands on purpose: `--hosts N` here is a count, not Kamal's global host filter.


def _name_option(function: Any) -> Any:
    return click.option(
        "--name",
        default=lambda: os.environ.get("PYKAMAL_SANDBOX_NAME", "pykamal-sandbox"),
        show_default="pykamal-sandbox, or $PYKAMAL_SANDBOX_NAME",
        help="Sandbox name (prefix of its containers, volumes and network).",
    )(function)


def _load(name: str) -> Any:
    from pykamal.sandbox.core import Sandbox

    return Sandbox.load(name, log=click.echo)


@click.group("sandbox", context_settings=CONTEXT_SETTINGS)
def sandbox() -> None:
    """Local throwaway servers (sshd + dockerd), a registry and kamal-proxy to deploy to.

    Images are built offline on first use (Debian rootfs via mmdebstrap, kamal-proxy from source);
    hosts get their own loopback address (127.0.0.11, .12, ...) with ports 22, 80 and 443.
    """


@sandbox.command("up", context_settings=CONTEXT_SETTINGS)
@click.option(
    "-n", "--hosts", "hosts", type=click.IntRange(0, 500), default=None, help="Number of hosts [3]."
)
@click.option(
    "--light", is_flag=True, default=None, help="Hosts run sshd only, without dockerd (for fan-out tests)."
)
@click.option("--full", "light", flag_value=False, help="Hosts run sshd and dockerd (the default).")
@click.option("--command-log/--no-command-log", default=None, help="Log every command sshd receives [on].")
@click.option(
    "--address", default=None, metavar="IP", help="Base loopback address [127.0.0.10]; hosts follow it."
)
@click.option("--build/--no-build", default=True, help="Build missing or outdated images first [build].")
@_name_option
def up(
    hosts: int | None,
    light: bool | None,
    command_log: bool | None,
    address: str | None,
    build: bool,
    name: str,
) -> None:
    """Start (or adjust) the sandbox; running it again changes nothing."""
    current = _load(name)
    wanted = current.with_changes(hosts=hosts, light=light, command_log=command_log, base_address=address)
    wanted.up(build=build)
    spec = wanted.spec
    ports = "22" if spec.light else "22, 80, 443"
    click.echo(f"  hosts:      {' '.join(wanted.hosts) or '-'} (user root; ports {ports})")
    if spec.uses_registry:
        click.echo(f"  registry:   {wanted.registry} (push here, hosts pull from the same address)")
    click.echo(f"  ssh config: {wanted.ssh_config_path}")
    if wanted.hosts:
        click.echo(f"  try:        ssh -F {wanted.ssh_config_path} {wanted.hosts[0]} docker ps")


@sandbox.command("down", context_settings=CONTEXT_SETTINGS)
@_name_option
def down(name: str) -> None:
    """Remove every container, volume and network of the sandbox, and its keys and config."""
    removed = _load(name).down()
    if not removed:
        click.echo(f"sandbox {name} is not up; nothing to remove")
    for kind, names in removed.items():
        shown = ", ".join(names[:6]) + (f", ... ({len(names)} in all)" if len(names) > 6 else "")
        click.echo(f"removed {kind}: {shown}")


@sandbox.command("status", context_settings=CONTEXT_SETTINGS)
@_name_option
def status(name: str) -> None:
    """Show the sandbox's containers and whether sshd, dockerd and the registry answer."""
    from pykamal.sandbox.core import iter_rows

    rows = _load(name).status()
    if not rows:
        click.echo(f"sandbox {name} is not up (start it with `pykamal sandbox up`)")
        return
    for line in iter_rows(rows):
        click.echo(line)


@sandbox.command("ssh-config", context_settings=CONTEXT_SETTINGS)
@click.option("--known-hosts", is_flag=True, help="Print the known_hosts lines instead of the config.")
@_name_option
def ssh_config(known_hosts: bool, name: str) -> None:
    """Print the OpenSSH config (or known_hosts) that reaches the sandbox hosts."""
    from pykamal.sandbox.errors import SandboxError

    box = _load(name)
    path = box.known_hosts_path if known_hosts else box.ssh_config_path
    if not path.exists():
        raise SandboxError(f"sandbox {name} has no {path.name} yet: run `pykamal sandbox up` first")
    click.echo(path.read_text(), nl=False)


@sandbox.command("build", context_settings=CONTEXT_SETTINGS)
@click.option("--force", is_flag=True, help="Rebuild even when an image is up to date (caches are kept).")
@click.argument("images", nargs=-1, type=click.Choice(["host", "registry", "kamal-proxy", "busybox"]))
def build(force: bool, images: tuple[str, ...]) -> None:
    """Build the sandbox images offline (all of them unless some are named)."""
    from pykamal.sandbox.build import ALL_IMAGES, ImageBuilder
    from pykamal.sandbox.docker import Docker

    docker = Docker()
    docker.ensure_available()
    results = ImageBuilder(docker, log=click.echo).ensure(images or ALL_IMAGES, force=force)
    for result in results:
        if not result.built:
            click.echo(f"{result.image} is up to date")


@sandbox.command("install-buildx", context_settings=CONTEXT_SETTINGS)
def install_buildx() -> None:
    """Install the `docker buildx` CLI plugin (Debian trixie's docker-buildx) if it is missing."""
    from pykamal.sandbox.build import ImageBuilder
    from pykamal.sandbox.docker import Docker

    docker = Docker()
    installed = ImageBuilder(docker, log=click.echo).ensure_buildx()
    if installed is None:
        click.echo("docker buildx is already installed")
