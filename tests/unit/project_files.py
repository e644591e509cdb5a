"""Project folders for the unit tests: the smallest valid config, and the files of a project."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# The smallest config that loads: one host, a registry, an architecture.
BASE = """service: app
image: a/app
servers: [10.0.0.1]
registry: {username: u, password: p}
builder: {arch: amd64}
"""


def write_project(
    root: Path,
    config: str | None = BASE,
    secrets: str | None = None,
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write ``config/deploy.yml`` (unless ``config`` is None), ``.kamal/secrets`` (when ``secrets`` is
    given) and any other ``files`` (path relative to ``root``: text) into ``root``; returns ``root``."""
    written = dict(files or {})
    if config is not None:
        written["config/deploy.yml"] = config
    if secrets is not None:
        written[".kamal/secrets"] = secrets
    for name, text in written.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
