"""Environment per host and the secret env files uploaded next to each container (mode 0600).

The file format and escaping are Kamal's, so a container started by either tool sees the same values:
every ASCII run of a value is written with C-style escapes (``\\n``, ``\\\\``, ``\\x01``) but with
double quotes and ``#`` left as they are; non-ASCII text is written verbatim; an empty file is a
single newline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from pykamal.commands.args import argumentize
from pykamal.commands.base import Arg
from pykamal.config.model import Accessory, Config, Env, Role
from pykamal.config.rubyish import to_s
from pykamal.errors import SecretsError

FILE_MODE = "0600"

_ESCAPES = {
    "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f",
    "\v": "\\v", "\b": "\\b", "\a": "\\a", "\x1b": "\\e",
}  # fmt: skip
_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


class SecretLookup(Protocol):
    """The secrets store (``pykamal.secrets.Secrets``) or a plain dict."""

    def get(self, name: str, /) -> str | None: ...


def role_env(config: Config, role: Role, host: str) -> Env:
    """Root env, then the role's env, then the env of each tag the host carries in this role."""
    return config.env_for(role, host)


def clear_env_args(env: Env) -> list[Arg]:
    """``--env NAME="value"`` for every clear variable."""
    return argumentize("--env", env.clear)


def secret_pairs(env: Env, secrets: SecretLookup) -> list[tuple[str, str]]:
    """``(variable, value)`` for every secret variable, values looked up by secret name."""
    pairs = []
    for name, secret_name in env.secret_keys:
        value = secrets.get(secret_name)
        if value is None:
            raise SecretsError(f"Secret '{secret_name}' not found")
        pairs.append((name, value))
    return pairs


def escape_value(value: str) -> str:
    return "".join(_escape_ascii(run) if run.isascii() else run for run in _RUNS.findall(value))


def _escape_ascii(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return "".join(out)


def content(pairs: Iterable[tuple[str, str]]) -> str:
    """The env file text for these variables."""
    text = "".join(f"{key}={escape_value(value)}\n" for key, value in pairs)
    return text or "\n"


def role_env_file(config: Config, role: Role, host: str, secrets: SecretLookup) -> tuple[str, str]:
    """``(remote path, content)`` of a role's secret env file on one host."""
    pairs = secret_pairs(role_env(config, role, host), secrets)
    return config.role_env_file(role), content(pairs)


def accessory_env_file(config: Config, accessory: Accessory, secrets: SecretLookup) -> tuple[str, str]:
    """``(remote path, content)`` of an accessory's secret env file."""
    return config.accessory_env_file(accessory), content(secret_pairs(accessory.env, secrets))


def env_values(env: Env, secrets: SecretLookup) -> dict[str, str]:
    """Clear and secret values together (what an accessory's ERB files see as ``ENV``)."""
    clear = {key: to_s(value) for key, value in env.clear}
    return {**clear, **dict(secret_pairs(env, secrets))}
