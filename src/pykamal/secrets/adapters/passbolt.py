"""Passbolt through its CLI, ``passbolt`` (configured with ``passbolt configure``).

Names are ``[folder/…/]name``; nested folders are resolved one level at a time. Keys are the bare
resource names. Filters are built as Passbolt filter expressions with properly quoted string
literals, and passed as one argument each.
"""

from __future__ import annotations

import json
from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed


def _literal(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=False)


class Passbolt(Adapter):
    name = "passbolt"
    title = "Passbolt"
    executable = "passbolt"
    install_hint = "https://github.com/passbolt/go-passbolt-cli"
    requires_account = False

    def login(self, account: str | None) -> str | None:
        if not self.run("verify").ok:
            raise SecretsError(
                "Failed to login to Passbolt: run `passbolt configure` / `passbolt verify` and try again"
            )
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        secrets = prefixed(names, from_)
        if not secrets:
            raise SecretsError("No secrets given to fetch")
        folders = self._folders(secrets)
        conditions = []
        for secret in secrets:
            *path, name = secret.split("/")
            if not path:
                conditions.append(f"Name == {_literal(name)}")
                continue
            folder = None
            for depth in range(1, len(path) + 1):
                wanted = "/".join(path[:depth])
                folder = next((f for f in folders if _folder_path(f, folders) == wanted), folder)
            if folder is not None:
                conditions.append(
                    f"(Name == {_literal(name)} && FolderParentID == {_literal(folder.get('id'))})"
                )
        args = ["list", "resources"]
        if conditions:
            args += ["--filter", " || ".join(conditions)]
        for folder_id in dict.fromkeys(str(f.get("id")) for f in folders):
            args += ["--folder", folder_id]
        # Recent CLIs leave passwords out of --json unless the Password column is asked for.
        args += ["--column", "Name", "--column", "Password", "--json"]
        output = self.run(*args)
        if not output.ok:
            raise SecretsError(f"Could not read {', '.join(secrets)} from Passbolt")
        items = self.parse_json(output, "list resources")
        items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        found = {item.get("name") for item in items}
        missing = [secret.split("/")[-1] for secret in secrets if secret.split("/")[-1] not in found]
        if missing:
            raise SecretsError(f"Could not find the following secrets in Passbolt: {', '.join(missing)}")
        return {item.get("name"): item.get("password") for item in items}

    def _list_folders(self, filter_text: str) -> Any:
        output = self.run("list", "folders", "--filter", filter_text, "--json")
        if not output.ok:
            return None
        folders = self.parse_json(output, "list folders")
        return [f for f in folders if isinstance(f, dict)] if isinstance(folders, list) else []

    def _folders(self, secrets: list[str]) -> list[dict[str, Any]]:
        paths = list(dict.fromkeys(tuple(secret.split("/")[:-1]) for secret in secrets if "/" in secret))
        if not paths:
            return []
        parents = list(dict.fromkeys(path[0] for path in paths))
        top = self._list_folders(" || ".join(f"Name == {_literal(name)}" for name in parents))
        if top is None:
            raise SecretsError("Could not read folders from Passbolt")
        folders: list[dict[str, Any]] = list(top)
        for path in paths:
            current = next((f for f in top if f.get("name") == path[0]), None)
            if current is None or len(path) == 1:
                continue
            for name in path[1:]:
                nested = self._list_folders(
                    f"Name == {_literal(name)} && FolderParentID == {_literal(current.get('id'))}"
                )
                if nested is None:
                    continue
                if not nested:
                    break
                folders.extend(nested)
                current = nested[0]
        found = {_folder_path(folder, folders) for folder in folders}
        missing = ["/".join(path) for path in paths if "/".join(path) not in found]
        if missing:
            raise SecretsError(f"Could not find the following folders in Passbolt: {', '.join(missing)}")
        return folders


def _folder_path(folder: dict[str, Any], folders: list[dict[str, Any]]) -> str:
    names = [str(folder.get("name"))]
    seen = {id(folder)}
    while str(folder.get("folder_parent_id") or ""):
        parent = next((f for f in folders if f.get("id") == folder.get("folder_parent_id")), None)
        if parent is None or id(parent) in seen:
            break
        seen.add(id(parent))
        names.insert(0, str(parent.get("name")))
        folder = parent
    return "/".join(names)
