"""Enpass through ``enpass-cli``; ``--from`` is the path of the vault (no account).

Names are ``Title`` (every password of the item, keyed ``Title`` or ``Title/label``) or
``Title/label`` (one password).
"""

from __future__ import annotations

from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter


class Enpass(Adapter):
    name = "enpass"
    title = "Enpass"
    executable = "enpass-cli"
    version_args = ("version",)
    install_hint = "https://github.com/hazcod/enpass-cli"
    requires_account = False

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        if not from_:
            raise SecretsError("Enpass: --from VAULT_PATH is required (the folder of the Enpass vault)")
        if not names:
            raise SecretsError("Enpass: give the titles of the items to fetch")
        titles = list(dict.fromkeys(_title(name) for name in names))
        output = self.run("-json", "-vault", from_, "show", *titles)
        if not output.ok:
            raise SecretsError(f"Could not read {', '.join(titles)} from Enpass")
        entries = self.parse_json(output, "show")
        results: dict[str, Any] = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            title, label, password = entry.get("title"), entry.get("label"), entry.get("password")
            if not title or not isinstance(password, str) or not password.strip():
                continue
            key = "/".join(part for part in (title, label) if part)
            if title in names or key in names:
                if key in results:
                    raise SecretsError(f"{key} is present more than once")
                results[key] = password
        return results


def _title(name: str) -> str:
    head, _, tail = name.rpartition("/")
    return head or tail
