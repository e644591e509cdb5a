"""What ``secrets fetch`` and ``secrets extract`` compute, shared by the CLI and in-file substitutions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pykamal.errors import SecretsError


def fetch(
    adapter_name: str, names: Sequence[str], *, account: str | None, from_: str | None
) -> dict[str, Any]:
    from pykamal.secrets.adapters import lookup

    return lookup(adapter_name).fetch(names, account=account, from_=from_)


def dump_json(results: dict[str, Any]) -> str:
    """Compact JSON with UTF-8 text left as is, byte for byte what Kamal prints."""
    return json.dumps(results, ensure_ascii=False, separators=(",", ":"))


def extract(name: str, secrets_json: str) -> str:
    """The value stored under ``name``, or under the first key ending in ``/name``."""
    try:
        secrets = json.loads(secrets_json)
    except json.JSONDecodeError as exc:
        # The text holds secrets: say where it is broken, never what it contains.
        raise SecretsError(
            f"secrets extract: the secrets argument is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(secrets, dict):
        raise SecretsError("secrets extract: the secrets argument should be a JSON object")
    value = secrets.get(name)
    if value is None or value is False:
        value = next((v for key, v in secrets.items() if key.endswith(f"/{name}")), None)
    if value is None:
        raise SecretsError(f"Could not find secret {name}")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
