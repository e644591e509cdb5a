"""Shared values and helpers for the secrets tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pykamal.cli.context import run_secrets_inline
from pykamal.secrets import Secrets

# A value that breaks anything that puts secrets through a shell or a dotenv parser twice: quotes of
# both kinds, command substitutions, variables, backslashes, spaces and newlines.
TRICKY = "p@ss \"dq\" 'sq' $(touch pwned) `touch pwned` ${HOME} $HOME \\back\\slash\n  line two  \n\tthree"


def write_secrets(text: str, name: str = "secrets") -> Path:
    path = Path(".kamal") / name
    path.write_text(text)
    return path


def json_dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Fakes:
    root: Path

    @property
    def log_path(self) -> Path:
        return self.root / "calls.jsonl"

    def vault(self, cli: str, data: dict[str, Any]) -> None:
        path = self.root / "vault.json"
        vaults = json.loads(path.read_text()) if path.exists() else {}
        vaults[cli] = data
        path.write_text(json.dumps(vaults))

    def calls(self, cli: str | None = None) -> list[list[str]]:
        if not self.log_path.exists():
            return []
        entries = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [e["argv"] for e in entries if cli is None or e["cli"] == cli]

    def call_env(self, cli: str) -> list[dict[str, str]]:
        entries = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [e["env"] for e in entries if e["cli"] == cli]

    def reset_log(self) -> None:
        self.log_path.unlink(missing_ok=True)


def cli_secrets(secrets_path: str = ".kamal/secrets", destination: str | None = None) -> Secrets:
    """The store as the pykamal command makes it: `$(kamal secrets …)` runs its own secrets command."""
    return Secrets(secrets_path, destination, inline=run_secrets_inline)
