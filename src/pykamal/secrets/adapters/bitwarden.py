"""Bitwarden (password manager) through its CLI, ``bw``; ``--account`` is the login email.

Names are ``item`` (the login's password; an item with only custom fields gives every field as
``item/field``) or ``item/field`` (a custom field).
"""

from __future__ import annotations

from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, Output, prefixed


class Bitwarden(Adapter):
    name = "bitwarden"
    title = "Bitwarden"
    executable = "bw"
    install_hint = "https://bitwarden.com/help/cli/, e.g. `npm install -g @bitwarden/cli`"

    def _bw(self, *args: str, session: str | None = None) -> Output:
        return self.run(*args, env={"BW_SESSION": session} if session else None)

    def _status(self, session: str | None = None) -> Any:
        data = self.parse_json(self._bw("status", session=session), "status")
        return data.get("status") if isinstance(data, dict) else None

    def login(self, account: str | None) -> str | None:
        assert account is not None
        status = self._status()
        if status == "unauthenticated":
            self.run("login", account, interactive=True, show_output=True)
            status = self._status()
        session = None
        if status == "locked":
            session = self.run("unlock", "--raw", interactive=True).stdout.strip() or None
            status = self._status(session)
        if status != "unlocked":
            raise SecretsError(
                f"Failed to login to and unlock Bitwarden: run `bw login {account}` and `bw unlock`, "
                "export the BW_SESSION it prints, and try again"
            )
        if not self._bw("sync", session=session).ok:
            raise SecretsError("Failed to sync Bitwarden: check `bw sync` works, then try again")
        return session

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for item, (whole, fields) in _items_fields(prefixed(names, from_)).items():
            output = self._bw("get", "item", item, session=session)
            if not output.ok:
                raise SecretsError(f"Could not read {item} from Bitwarden")
            data = self.parse_json(output, "get item")
            if not isinstance(data, dict):
                raise SecretsError(f"Could not read {item} from Bitwarden")
            login: dict[str, Any] = data["login"] if isinstance(data.get("login"), dict) else {}
            custom: list[Any] = data["fields"] if isinstance(data.get("fields"), list) else []
            if whole or not fields:
                if login.get("password") is not None:
                    results[item] = login["password"]
                elif custom and not fields:
                    fields = [str(field.get("name")) for field in custom if isinstance(field, dict)]
                elif not fields:
                    raise SecretsError(f"Item {item} is not a login type item and no fields were specified")
            for field in fields:
                match = next((f for f in custom if isinstance(f, dict) and f.get("name") == field), None)
                if match is None:
                    raise SecretsError(f"Could not find field {field} in item {item} in Bitwarden")
                results[f"{item}/{field}"] = match.get("value")
        return results


def _items_fields(secrets: list[str]) -> dict[str, tuple[bool, list[str]]]:
    """item -> (whole item requested?, custom fields requested), in first-seen order."""
    items: dict[str, tuple[bool, list[str]]] = {}
    for secret in secrets:
        item, _, rest = secret.partition("/")
        field = rest.split("/")[0]
        whole, fields = items.get(item, (False, []))
        if field:
            fields.append(field)
        items[item] = (whole or not field, fields)
    return items
