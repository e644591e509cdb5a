"""Per-invocation state shared by every command: global options and the lazily loaded config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.remote.output import Output


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

    def output(self) -> Output:
        """The invocation's one Output (so the final error line is masked with every secret seen)."""
        from pykamal.remote.output import Output

        if self._output is None:
            self._output = Output(self.verbosity, output_format=self.output_format)
        output: Output = self._output
        return output

    def config(self) -> Config:
        """Load and validate the configuration once per invocation."""
        if self._config is None:
            from pykamal.cli.aliases import check_not_shadowing
            from pykamal.cli.core import COMMANDS
            from pykamal.config import load_config

            config = load_config(
                self.config_path,
                destination=self.destination,
                version=self.version,
                secrets_inline=run_secrets_inline,
            )
            check_not_shadowing(config, COMMANDS)  # pykamal-only commands too (e.g. sandbox)
            self._config = config
        return self._config


def run_secrets_inline(args: list[str]) -> str:
    """``$(kamal secrets …)`` in a secrets file: this process's own ``secrets`` command."""
    from pykamal.cli.secrets import run_inline

    return run_inline(args)


def get_globals() -> Globals:
    import click

    ctx = click.get_current_context()
    obj = ctx.find_object(Globals)
    if obj is None:
        obj = Globals()
        ctx.obj = obj
    return obj
