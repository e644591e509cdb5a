"""Configuration: read deploy.yml (ERB subset, YAML, destination merge), validate, build typed objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykamal.config.model import Config


def load_config(path: str, destination: str | None = None, version: str | None = None) -> Config:
    """Load, merge, validate and derive the configuration; raises ConfigError with a one-line message."""
    from pykamal.config.loader import load

    return load(path, destination=destination, version=version)
