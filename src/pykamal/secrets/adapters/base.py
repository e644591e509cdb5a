"""What every password-manager adapter shares: the fetch sequence and running its CLI safely.

Every external program is started with an argument list (no shell), so a secret name, vault or
account containing quotes, spaces or ``$(...)`` reaches the CLI as one untouched argument.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pykamal.errors import SecretsError


@dataclass(frozen=True)
class Output:
    returncode: int
    stdout: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Adapter:
    """One password manager. Subclasses fill in ``login`` and ``fetch_secrets``."""

    name: ClassVar[str]  # the canonical, underscored --adapter name
    alias: ClassVar[str | None] = None  # the short --adapter name users usually type, if any
    title: ClassVar[str]  # product name used in messages
    executable: ClassVar[str | None] = None
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    install_hint: ClassVar[str] = ""
    requires_account: ClassVar[bool] = True

    def fetch(
        self, names: Sequence[str], *, account: str | None = None, from_: str | None = None
    ) -> dict[str, Any]:
        if self.requires_account and not account:
            raise SecretsError("No value provided for required options '--account'")
        self.check_installed()
        session = self.login(account)
        return self.fetch_secrets(list(names), account=account, from_=from_, session=session)

    # --- for subclasses --------------------------------------------------------------------------
    def login(self, account: str | None) -> str | None:
        """Make sure the CLI is signed in; may return a session token for later calls."""
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    # --- helpers --------------------------------------------------------------------------------
    def not_installed(self) -> SecretsError:
        return SecretsError(
            f"{self.title} CLI is not installed: the {self.alias or self.name} adapter runs "
            f"`{self.executable}`; install it ({self.install_hint}) and make sure it is on PATH"
        )

    def check_installed(self) -> None:
        if self.executable is None:
            return
        if shutil.which(self.executable) is None:
            raise self.not_installed()
        if not self.run(*self.version_args, quiet=True).ok:
            raise self.not_installed()

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        interactive: bool = False,
        quiet: bool = False,
        show_output: bool = False,
    ) -> Output:
        """Run the adapter's CLI with ``args``; stdout is captured, stdin and stderr stay the user's.

        ``interactive`` calls (sign-in prompts) get no timeout; ``quiet`` discards stderr;
        ``show_output`` sends stdout to our stderr instead of capturing it, for sign-in commands
        whose output is not needed but whose prompts must be seen (and must not pollute stdout).
        """
        import subprocess

        from pykamal.secrets.substitution import timeout_seconds

        assert self.executable is not None
        argv = [self.executable, *args]
        timeout = None if interactive else timeout_seconds()
        try:
            proc = subprocess.run(
                argv,
                stdout=2 if show_output else subprocess.PIPE,
                stderr=subprocess.DEVNULL if quiet else None,
                env=None if env is None else {**os.environ, **env},
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise self.not_installed() from None
        except subprocess.TimeoutExpired:
            raise SecretsError(
                f"{self.title}: `{self.executable} {' '.join(args[:2])}` timed out after {timeout:g}s "
                "(set PYKAMAL_SECRETS_TIMEOUT to change)"
            ) from None
        except OSError as exc:
            raise SecretsError(
                f"{self.title}: cannot run `{self.executable}`: {exc.strerror or exc}"
            ) from None
        if show_output:
            return Output(proc.returncode, "")
        try:
            stdout = proc.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretsError(
                f"{self.title}: `{self.executable} {' '.join(args[:2])}` printed output that is not UTF-8"
            ) from None
        return Output(proc.returncode, stdout)

    def parse_json(self, output: Output, what: str) -> Any:
        """Decode a CLI's JSON output; the message never quotes the output (it holds secrets)."""
        try:
            return json.loads(output.stdout)
        except json.JSONDecodeError as exc:
            raise SecretsError(
                f"{self.title}: `{self.executable} {what}` did not print valid JSON (line {exc.lineno}, "
                f"column {exc.colno})"
            ) from None


def prefixed(names: Sequence[str], from_: str | None) -> list[str]:
    """``--from X`` turns each name into ``X/name``."""
    return [name if from_ is None else f"{from_}/{name}" for name in names]
