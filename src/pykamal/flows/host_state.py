"""What one probe command found on a host: the service's containers, its image tags, the proxy.

The current running version is worked out the way Kamal's shell pipeline does it: the newest
running (or restarting) container of the role whose image is the one tagged ``latest``, else the
newest running one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykamal.commands import app
from pykamal.commands.base import parse_lines

if TYPE_CHECKING:
    from pykamal.config.model import Config, Role

ACTIVE = ("running", "restarting")
UP = ("running", "restarting", "paused")  # what `docker ps` without --all lists


@dataclass(frozen=True)
class Container:
    name: str
    role: str
    state: str
    image: str  # as docker ps shows it: the reference it was run from, or an image id


@dataclass
class HostState:
    host: str
    values: dict[str, list[str]] = field(default_factory=dict)  # single-line keys (proxy, …)
    containers: list[Container] = field(default_factory=list)  # newest first
    tags: dict[str, str] = field(default_factory=dict)  # tag -> image id
    config: Config | None = None

    @classmethod
    def parse(cls, host: str, stdout: str, config: Config) -> HostState:
        state = cls(host, config=config)
        for key, words in parse_lines(stdout):
            if key == app.CONTAINER_KEY and len(words) == 4:
                state.containers.append(Container(*words))
            elif key == app.IMAGE_KEY and len(words) == 2:
                state.tags[words[1]] = words[0]
            else:
                state.values[key] = words
        return state

    def _versions(self, role: Role, states: tuple[str, ...] | None = None) -> list[tuple[str, Container]]:
        prefix = f"{role.container_prefix}-"
        return [
            (c.name[len(prefix) :], c)
            for c in self.containers
            if c.role == role.name and c.name.startswith(prefix) and (states is None or c.state in states)
        ]

    def _image_id(self, image: str) -> str | None:
        if self.config is not None and image.startswith(f"{self.config.repository}:"):
            return self.tags.get(image[len(self.config.repository) + 1 :])
        return image  # shown as an id when its tag has moved or gone

    def current(self, role: Role) -> str | None:
        active = self._versions(role, ACTIVE)
        latest = self.tags.get(self.config.latest_tag) if self.config is not None else None
        if latest:
            for version, container in active:
                image_id = self._image_id(container.image)
                if image_id and (latest.startswith(image_id) or image_id.startswith(latest)):
                    return version
        return active[0][0] if active else None

    def running(self, role: Role) -> list[str]:
        return [version for version, _ in self._versions(role, UP)]

    def exists(self, role: Role, version: str) -> bool:
        return any(v == version for v, _ in self._versions(role))

    def stale(self, role: Role) -> list[str]:
        current = self.current(role)
        return [version for version in self.running(role) if version != current]
