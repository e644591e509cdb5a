"""Google Cloud Secret Manager through the ``gcloud`` CLI.

``--account`` is ``default`` or a user email, optionally followed by ``|sa1@…[,sa2@…]`` to impersonate
service accounts (a delegation chain). Names are ``[project/]name[/version]`` (project ``default`` =
gcloud's configured project, version ``latest``); keys are ``project/name``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed


class GcpSecretManager(Adapter):
    name = "gcp_secret_manager"
    alias = "gcp"
    title = "Google Cloud (gcloud)"
    executable = "gcloud"
    install_hint = "https://cloud.google.com/sdk/docs/install"

    def login(self, account: str | None) -> str | None:
        if not self._logged_in():
            self.run("auth", "login", interactive=True, show_output=True)
            if not self._logged_in():
                raise SecretsError("could not login to gcloud: run `gcloud auth login` and try again")
        return None

    def _logged_in(self) -> bool:
        output = self.run("auth", "list", "--format=json")
        accounts = self.parse_json(output, "auth list") if output.ok else []
        return bool(accounts)

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        user, _, service_accounts = (account or "default").partition("|")
        results: dict[str, Any] = {}
        for secret in prefixed(names, from_):
            project, secret_name, version = _parse(secret)
            key = f"{project}/{secret_name}"
            args = ["secrets", "versions", "access", version, f"--secret={secret_name}"]
            if project != "default":
                args.append(f"--project={project}")
            if user != "default":
                args.append(f"--account={user}")
            if service_accounts:
                args.append(f"--impersonate-service-account={service_accounts}")
            args.append("--format=json")
            output = self.run(*args)
            if not output.ok:
                raise SecretsError(f"Could not read {key} from Google Secret Manager")
            results[key] = _payload(self.parse_json(output, "secrets versions access"), key)
        return results


def _parse(secret: str) -> tuple[str, str, str]:
    parts = secret.split("/")
    if len(parts) == 1:
        parts.insert(0, "default")
    project, name, *rest = parts
    if not name:
        raise SecretsError(f"Google Secret Manager: {secret!r} should be [PROJECT/]NAME[/VERSION]")
    return project, name, rest[0] if rest and rest[0] else "latest"


def _payload(data: Any, key: str) -> str:
    encoded = data.get("payload", {}).get("data") if isinstance(data, dict) else None
    if not isinstance(encoded, str):
        raise SecretsError(f"Google Secret Manager: no payload for {key}")
    try:
        return base64.b64decode(encoded, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SecretsError(f"Google Secret Manager: the payload of {key} is not UTF-8 text") from None
