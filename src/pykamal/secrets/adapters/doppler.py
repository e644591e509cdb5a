"""Doppler through its CLI, ``doppler``.

Names are secret names, with ``--from project/config`` (or ``project/config/NAME``) unless a service
token (``DOPPLER_TOKEN=dp.st…``) already selects the config. Keys are the bare secret names.
"""

from __future__ import annotations

import os
from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed


class Doppler(Adapter):
    name = "doppler"
    title = "Doppler"
    executable = "doppler"
    install_hint = "https://docs.doppler.com/docs/install-cli"
    requires_account = False

    def login(self, account: str | None) -> str | None:
        signed_in = self.run("me", "--json", quiet=True).ok
        if not signed_in and not self.run("login", "-y", interactive=True, show_output=True).ok:
            raise SecretsError(
                "Failed to login to Doppler: run `doppler login` (or set DOPPLER_TOKEN) and try again"
            )
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        secrets = prefixed(names, from_)
        if not secrets:
            raise SecretsError("Doppler: give the names of the secrets to fetch")
        flags: list[str] = []
        if not os.environ.get("DOPPLER_TOKEN", "").startswith("dp.st"):
            project, config, *_ = [*secrets[0].split("/"), "", ""]
            if not project or not config:
                raise SecretsError("Missing project or config from '--from=project/config' option")
            flags = ["-p", project, "-c", config]
        secret_names = [secret.split("/")[-1] for secret in secrets]
        output = self.run("secrets", "get", *secret_names, "--json", *flags)
        if not output.ok:
            raise SecretsError(f"Could not read {', '.join(secrets)} from Doppler")
        data = self.parse_json(output, "secrets get")
        if not isinstance(data, dict):
            raise SecretsError("Doppler: unexpected `secrets get` output")
        return {
            key: value.get("computed") if isinstance(value, dict) else None for key, value in data.items()
        }
