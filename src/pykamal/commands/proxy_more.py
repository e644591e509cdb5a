"""Proxy commands that fold Kamal's proxy boot steps into fewer remote commands."""

from __future__ import annotations

from pykamal.commands import proxy
from pykamal.commands.args import docker
from pykamal.commands.base import Command, Raw, Script, any_of, cmd, combine, subshell

STATE_FORMAT = "{{.Config.Image}} {{.State.Running}}"


def state() -> Command:
    """``<image> <running>`` of the kamal-proxy container (nothing when there is none)."""
    return docker("inspect", proxy.PROXY_CONTAINER, "--format", STATE_FORMAT, Raw("2>/dev/null"))


def parse_state(words: list[str]) -> tuple[str | None, bool]:
    """(image version tag or None, running) from the words of ``state()``."""
    if not words:
        return None, False
    image = words[0]
    version = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    return version, len(words) > 1 and words[1] == "true"


def hand_to_proxy(*paths: str) -> Command:
    """Give files to the user kamal-proxy runs as (they stay mode 0600, readable only by it).

    The proxy's user is the owner of its process on the host (``/proc/<pid>``), which also holds
    under user-namespace remapping.
    """
    pid = docker("inspect", "--format", "{{.State.Pid}}", proxy.PROXY_CONTAINER)
    script = combine(
        cmd(Raw("pid=$("), pid, Raw(")")),
        cmd(Raw('[ "${pid:-0}" != 0 ] || { echo "kamal-proxy is not running" >&2; exit 1; }')),
        cmd(Raw('chown "$(stat -c %u /proc/$pid)"'), *paths),
    )
    return cmd("sh", "-c", Script(script))


def remove_container() -> Command:
    """Kamal's removal by image title label, then by name.

    The name covers proxy images without that label (a ``proxy.run`` registry/repository or a
    boot_config ``--repository`` image built by the user), whose stopped container would otherwise
    block the next ``docker run --name kamal-proxy``.
    """
    by_name = docker("container", "rm", proxy.PROXY_CONTAINER, Raw(">/dev/null 2>&1"))
    return combine(proxy.remove_container(), subshell(any_of(by_name, cmd("true"))))


def remember_image() -> Command:
    """``image=<the proxy container's image>`` (empty when there is none), for ``remove_image``."""
    inspect = docker("inspect", proxy.PROXY_CONTAINER, "--format", "{{.Config.Image}}", Raw("2>/dev/null"))
    return cmd(Raw("image=$("), inspect, Raw("|| true)"))


def remove_image() -> Command:
    """Kamal's removal by image title label, then the remembered image (errors ignored: it may be in use)."""
    by_name = cmd(Raw('[ -z "$image" ] || docker image rm "$image" >/dev/null 2>&1'))
    return combine(proxy.remove_image(), subshell(any_of(by_name, cmd("true"))))
