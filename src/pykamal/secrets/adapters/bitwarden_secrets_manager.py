"""Bitwarden Secrets Manager through its CLI, ``bws`` (authenticated by ``BWS_ACCESS_TOKEN``).

Names are secret UUIDs, ``all`` (every secret the token can read) or ``<project id>/all``; keys are
the secrets' own keys.
"""

from __future__ import annotations

from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed


class BitwardenSecretsManager(Adapter):
    name = "bitwarden_secrets_manager"
    alias = "bitwarden-sm"
    title = "Bitwarden Secrets Manager"
    executable = "bws"
    install_hint = "https://bitwarden.com/help/secrets-manager-cli/"
    requires_account = False

    def login(self, account: str | None) -> str | None:
        if not self.run("project", "list").ok:
            raise SecretsError(
                "Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token? "
                "(export BWS_ACCESS_TOKEN)"
            )
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        if not names:
            raise SecretsError("You must specify what to retrieve from Bitwarden Secrets Manager")
        secrets = prefixed(names, from_)
        results: dict[str, Any] = {}
        listing = _list_args(secrets)
        if listing is None:
            for uuid in secrets:
                output = self.run("secret", "get", uuid)
                if not output.ok:
                    raise SecretsError(f"Could not read {uuid} from Bitwarden Secrets Manager")
                _add(results, [self.parse_json(output, "secret get")])
        else:
            output = self.run("secret", "list", *listing)
            if not output.ok:
                raise SecretsError("Could not read secrets from Bitwarden Secrets Manager")
            entries = self.parse_json(output, "secret list")
            _add(results, entries if isinstance(entries, list) else [])
        return results


def _list_args(secrets: list[str]) -> list[str] | None:
    """``bws secret list`` arguments when the request is for all secrets (of a project)."""
    if len(secrets) != 1:
        return None
    if secrets[0] == "all":
        return []
    if secrets[0].endswith("/all"):
        return [secrets[0].split("/all")[0]]
    return None


def _add(results: dict[str, Any], entries: list[Any]) -> None:
    for entry in entries:
        if isinstance(entry, dict) and "key" in entry:
            results[entry["key"]] = entry.get("value")
