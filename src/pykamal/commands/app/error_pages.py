"""Error pages on the host for kamal-proxy."""

from __future__ import annotations

from pykamal.commands import app_proxy
from pykamal.commands.args import (
    make_directory,
)
from pykamal.commands.base import (
    Command,
    Raw,
    cmd,
)
from pykamal.config.model import Config

# --- error pages -----------------------------------------------------------------------------------


def create_error_pages_directory(config: Config) -> Command:
    return make_directory(app_proxy.error_pages_directory(config))


def clean_up_error_pages(config: Config) -> Command:
    """Remove error page directories of every other version."""
    return cmd(
        "find",
        app_proxy.error_pages_directory(config),
        "-mindepth",
        "1",
        "-maxdepth",
        "1",
        Raw("!"),
        "-name",
        config.version,
        "-exec",
        "rm",
        "-rf",
        Raw("{} +"),
    )
