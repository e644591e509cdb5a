"""Configuration: read deploy.yml (ERB subset, YAML, destination merge), validate, build typed objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.secrets.substitution import InlineRunner


def load_config(
    path: str,
    destination: str | None = None,
    version: str | None = None,
    *,
    secrets_inline: InlineRunner | None = None,
) -> Config:
    """Load, merge, validate and derive the configuration; raises ConfigError with a one-line message.

    ``secrets_inline`` runs ``$(kamal secrets …)`` found in the secrets files (the CLI's command)."""
    from pykamal.config.loader import load
    from pykamal.errors import ConfigError

    try:
        return load(path, destination=destination, version=version, secrets_inline=secrets_inline)
    except ConfigError as error:
        message = str(error)
        if message.isprintable():
            raise
        # a key or value quoted in the message may hold a newline or another control character
        printable = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
        raise ConfigError(printable) from None
