"""Pruning a service's stopped containers and unused images on a host."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pykamal.commands.args import docker
from pykamal.commands.base import Command, Raw, cmd, pipe
from pykamal.config.model import Config

if TYPE_CHECKING:
    from pykamal.commands.auditor import Audit

STOPPED_STATUSES = ("created", "exited", "dead")
_IMAGE_NAME = re.compile(r"^[\w.:/@-]+$", re.ASCII)


def _service_filter(config: Config) -> list[str]:
    return ["--filter", f"label=service={config.service}"]


def dangling_images(config: Config) -> Command:
    return docker("image", "prune", "--force", _service_filter(config))


def _active_image_list(config: Config) -> str:
    # Images used by any of the service's containers, plus the latest tag and untagged images in use.
    for name in (config.service, config.latest_image, config.repository):
        if not _IMAGE_NAME.match(name):
            raise ValueError(f"unexpected characters in image name {name!r}")
    used = (
        "$(docker container ls -a --format '{{.Image}}\\|' "
        f"--filter label=service={config.service} | tr -d '\\n')"
    )
    return f'"{used}{config.latest_image}\\|{config.repository}:<none>"'


def tagged_images(config: Config) -> Command:
    """Remove the service's tagged images that no container uses, keeping the latest tag."""
    return pipe(
        docker("image", "ls", _service_filter(config), "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"),
        cmd("grep", "-v", "-w", Raw(_active_image_list(config))),
        cmd(Raw("while read image tag; do docker rmi $tag; done")),
    )


def app_containers(config: Config, retain: int) -> Command:
    """Remove the service's stopped containers except the ``retain`` newest."""
    if retain < 1:
        raise ValueError("retain must be at least 1")
    statuses = [arg for status in STOPPED_STATUSES for arg in ("--filter", f"status={status}")]
    return pipe(
        docker("ps", "-q", "-a", _service_filter(config), statuses),
        cmd("tail", "-n", f"+{retain + 1}"),
        cmd(Raw("while read container_id; do docker rm $container_id; done")),
    )


# --- audited steps of ``prune all|containers|images`` ---------------------------------------------


def everything(config: Config, audit: Audit, retain: int | None = None) -> list[Command]:
    """``prune all`` (audited): old stopped containers beyond ``retain``, unused images."""
    return containers(config, audit, retain) + images(config, audit)


def containers(config: Config, audit: Audit, retain: int | None = None) -> list[Command]:
    keep = config.retain_containers if retain is None else retain
    return [audit.record("Pruned containers"), app_containers(config, keep)]


def images(config: Config, audit: Audit) -> list[Command]:
    return [audit.record("Pruned images"), dangling_images(config), tagged_images(config)]
