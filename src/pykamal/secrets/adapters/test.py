"""The ``test`` adapter: no vault, each secret's value is its (prefixed) name reversed.

``LPAREN``/``RPAREN`` in a name become ``(``/``)`` first, so tests can produce parentheses.
"""

from __future__ import annotations

from typing import Any

from pykamal.secrets.adapters.base import Adapter, prefixed


class Test(Adapter):
    name = "test"
    title = "Test"

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        return {
            secret: secret.replace("LPAREN", "(").replace("RPAREN", ")")[::-1]
            for secret in prefixed(names, from_)
        }
