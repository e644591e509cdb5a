"""LastPass through its CLI, ``lpass``; ``--account`` is the login email.

Names are the entries' full names (``folder/name``); keys are the same names.
"""

from __future__ import annotations

from typing import Any

from pykamal.errors import SecretsError
from pykamal.secrets.adapters.base import Adapter, prefixed


class LastPass(Adapter):
    name = "last_pass"
    alias = "lastpass"
    title = "LastPass"
    executable = "lpass"
    install_hint = "https://github.com/lastpass/lastpass-cli, e.g. `apt install lastpass-cli`"

    def login(self, account: str | None) -> str | None:
        assert account is not None
        signed_in = self.run("status", "--color", "never").stdout.strip() == f"Logged in as {account}."
        if not signed_in and not self.run("login", account, interactive=True, show_output=True).ok:
            raise SecretsError(f"Failed to login to LastPass: run `lpass login {account}` and try again")
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        secrets = prefixed(names, from_)
        output = self.run("show", *secrets, "--json")
        if not output.ok:
            raise SecretsError(f"Could not read {', '.join(secrets)} from LastPass")
        entries = self.parse_json(output, "show --json")
        results: dict[str, Any] = {}
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and "fullname" in entry:
                results[entry["fullname"]] = entry.get("password")
        missing = [secret for secret in secrets if secret not in results]
        if missing:
            raise SecretsError(f"Could not find {', '.join(missing)} in LastPass")
        return results
