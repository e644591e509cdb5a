"""Password-manager adapters for ``secrets fetch``, looked up by the name given to ``--adapter``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pykamal.errors import SecretsError

if TYPE_CHECKING:
    from pykamal.secrets.adapters.base import Adapter

# canonical name -> (module, class)
ADAPTERS: dict[str, tuple[str, str]] = {
    "aws_secrets_manager": ("pykamal.secrets.adapters.aws_secrets_manager", "AwsSecretsManager"),
    "bitwarden": ("pykamal.secrets.adapters.bitwarden", "Bitwarden"),
    "bitwarden_secrets_manager": (
        "pykamal.secrets.adapters.bitwarden_secrets_manager",
        "BitwardenSecretsManager",
    ),
    "doppler": ("pykamal.secrets.adapters.doppler", "Doppler"),
    "enpass": ("pykamal.secrets.adapters.enpass", "Enpass"),
    "gcp_secret_manager": ("pykamal.secrets.adapters.gcp_secret_manager", "GcpSecretManager"),
    "last_pass": ("pykamal.secrets.adapters.last_pass", "LastPass"),
    "one_password": ("pykamal.secrets.adapters.one_password", "OnePassword"),
    "passbolt": ("pykamal.secrets.adapters.passbolt", "Passbolt"),
    "test": ("pykamal.secrets.adapters.test", "Test"),
}

ALIASES = {
    "1password": "one_password",
    "lastpass": "last_pass",
    "gcp": "gcp_secret_manager",
    "bitwarden-sm": "bitwarden_secrets_manager",
}


def canonical_name(name: str) -> str | None:
    """The adapter a ``--adapter`` value means: an alias (any case), the underscored name, or the
    CamelCase class name."""
    alias = ALIASES.get(name.lower())
    if alias:
        return alias
    if name in ADAPTERS:
        return name
    for canonical, (_module, class_name) in ADAPTERS.items():
        if name == class_name:
            return canonical
    return None


def lookup(name: str) -> Adapter:
    canonical = canonical_name(name)
    if canonical is None:
        raise SecretsError(f"Unknown secrets adapter: {name}")
    module_name, class_name = ADAPTERS[canonical]
    adapter_class = getattr(importlib.import_module(module_name), class_name)
    adapter: Adapter = adapter_class()
    return adapter


__all__ = ["ADAPTERS", "ALIASES", "canonical_name", "lookup"]
