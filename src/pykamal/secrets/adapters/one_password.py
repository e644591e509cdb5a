"""1Password through its CLI, ``op``.

Names are ``vault/item[/section]/field`` (``op://`` allowed; the field defaults to ``password``), or
relative to ``--from vault[/item]``. With no names, ``--from vault/item`` returns every field of the
item. Keys are the field references without ``op://`` and without a trailing ``/password``.
A session token from ``op signin`` goes to later calls in their environment (``OP_SESSION_<account>``),
never on their command line, where any local user could read it.
"""

from __future__ import annotations

from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed


class OnePassword(Adapter):
    name = "one_password"
    alias = "1password"
    title = "1Password"
    executable = "op"
    install_hint = "https://developer.1password.com/docs/cli/get-started/"

    def login(self, account: str | None) -> str | None:
        assert account is not None
        if self.run("account", "get", "--account", account, quiet=True).ok:
            return None
        signin = self.run("signin", "--account", account, "--force", "--raw", interactive=True)
        if not signin.ok:
            raise SecretsError(
                f"Failed to login to 1Password: run `op signin --account {account}` and try again "
                "(or enable the 1Password app's CLI integration)"
            )
        return signin.stdout.strip() or None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        assert account is not None
        if not names:
            return self._fetch_item(from_, account=account, session=session)
        results: dict[str, Any] = {}
        for vault, items in _group_fields(prefixed(names, from_)).items():
            for item, fields in items.items():
                found = self._item_get(vault, item, account=account, session=session, fields=fields)
                entries = [found] if isinstance(found, dict) else found
                results.update(_fields_map(entries))
        return results

    def _fetch_item(self, from_: str | None, *, account: str, session: str | None) -> dict[str, Any]:
        vault, _, item = (from_ or "").removeprefix("op://").partition("/")
        item = item.split("/")[0]
        if not vault or not item:
            raise SecretsError(
                "1Password: give secret names, or --from VAULT/ITEM to fetch every field of an item"
            )
        found = self._item_get(vault, item, account=account, session=session, fields=None)
        fields = found.get("fields") if isinstance(found, dict) else None
        if not isinstance(fields, list):
            raise SecretsError(f"1Password: item {item} in the {vault} vault has no fields")
        return _fields_map(fields)

    def _item_get(
        self, vault: str, item: str, *, account: str, session: str | None, fields: list[str] | None
    ) -> Any:
        args = ["item", "get", item, "--vault", vault, "--format", "json", "--account", account]
        if fields:
            args += ["--fields", ",".join(f"label={field}" for field in fields)]
        output = self.run(*args, env=_session_env(account, session))
        if not output.ok:
            what = f"{', '.join(fields)} " if fields else ""
            raise SecretsError(f"Could not read {what}from {item} in the {vault} 1Password vault")
        return self.parse_json(output, "item get")


def _session_env(account: str, session: str | None) -> dict[str, str] | None:
    if not session:
        return None
    if "=" in account or "\0" in account:
        raise SecretsError(f"1Password: the account {account!r} cannot name a session variable")
    return {f"OP_SESSION_{account}": session}


def _group_fields(secrets: list[str]) -> dict[str, dict[str, list[str]]]:
    """vault -> item -> field labels (section and field joined with ``.``), in first-seen order."""
    vaults: dict[str, dict[str, list[str]]] = {}
    for secret in secrets:
        parts = secret.removeprefix("op://").split("/")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise SecretsError(
                f"1Password: {secret!r} should be VAULT/ITEM[/FIELD] (or use --from VAULT[/ITEM])"
            )
        vault, item, *fields = parts
        vaults.setdefault(vault, {}).setdefault(item, []).append(".".join(fields or ["password"]))
    return vaults


def _fields_map(entries: list[Any]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("reference"), str):
            continue
        key = entry["reference"].removeprefix("op://").removesuffix("/password")
        results[key] = entry.get("value")
    return results
