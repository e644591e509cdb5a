"""Per-invocation state shared by every command: global options and the lazily loaded config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pykamal.config.model import Config


@dataclass
class Globals:
    verbose: bool = False
    quiet: bool = False
    version: str | None = None
    primary: bool = False
    hosts: str | None = None
    roles: str | None = None
    config_file: str | None = None
    destination: str | None = None
    skip_hooks: bool = False
    lock_wait: bool = False
    lock_wait_timeout: float = 900.0
    lock_wait_interval: float = 15.0
    output_format: str = "text"
    _config: Any = field(default=None, repr=False)
    _output: Any = field(default=None, repr=False)  # the invocation's Output, once something runs

    @property
    def config_path(self) -> str:
        return self.config_file or "config/deploy.yml"

    @property
    def verbosity(self) -> str:
        if self.verbose:
            return "debug"
        if self.quiet:
            return "error"
        return "info"

    def config(self) -> Config:
        """Load and validate the configuration once per invocation."""
        if self._config is None:
            from pykamal.cli.aliases import check_not_shadowing
            from pykamal.cli.core import COMMANDS
            from pykamal.config import load_config

            config = load_config(self.config_path, destination=self.destination, version=self.version)
            check_not_shadowing(config, COMMANDS)  # pykamal-only commands too (e.g. sandbox)
            self._config = config
        return self._config


def get_globals() -> Globals:
    import click

    ctx = click.get_current_context()
    obj = ctx.find_object(Globals)
    if obj is None:
        obj = Globals()
        ctx.obj = obj
    return obj
