"""The secrets of one deployment, read lazily from `<secrets_path>-common` and `<secrets_path>[.<dest>]`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from pykamal.errors import SecretsError

if TYPE_CHECKING:
    from pykamal.secrets.substitution import InlineRunner


class Secrets:
    """Secret values by name.

    Nothing is read and no ``$(command)`` runs until the first lookup; the files are then read once
    (under a lock, since a password manager may prompt) and the result, or the error, is kept.
    Later files win: ``<path>-common`` first, then ``<path>.<destination>`` when a destination is
    given, otherwise ``<path>``. Missing files are skipped. ``inline`` runs the ``$(kamal secrets …)``
    substitutions in this process.
    """

    def __init__(
        self,
        secrets_path: str = ".kamal/secrets",
        destination: str | None = None,
        *,
        inline: InlineRunner | None = None,
    ) -> None:
        self.secrets_path = secrets_path
        self.destination = destination
        self.inline = inline
        self._lock = threading.Lock()
        self._values: dict[str, str] | None = None
        self._error: SecretsError | None = None
        self._readers: list[Callable[[str, str], None]] = []

    def on_read(self, reader: Callable[[str, str], None]) -> None:
        """Call ``reader(name, value)`` for every value handed out (so output can mask it)."""
        self._readers.append(reader)

    def _handed_out(self, name: str, value: str) -> str:
        for reader in self._readers:
            reader(name, value)
        return value

    @property
    def candidate_files(self) -> tuple[str, str]:
        own = f"{self.secrets_path}.{self.destination}" if self.destination else self.secrets_path
        return (f"{self.secrets_path}-common", own)

    @property
    def files(self) -> list[str]:
        """The candidate files that exist."""
        return [path for path in self.candidate_files if os.path.isfile(path)]

    @property
    def loaded(self) -> bool:
        return self._values is not None

    def get(self, name: str) -> str:
        values = self._load()
        if name in values:
            return self._handed_out(name, values[name])
        files = self.files
        if files:
            raise SecretsError(f"Secret '{name}' not found in {', '.join(files)}")
        raise SecretsError(
            f"Secret '{name}' not found, no secret files ({', '.join(self.candidate_files)}) provided"
        )

    __getitem__ = get

    def all(self, *, tell_readers: bool = True) -> dict[str, str]:
        """Every key of every file, in file order (a copy); ``tell_readers=False`` hands them out
        without calling the ``on_read`` readers (the caller masks them itself)."""
        values = dict(self._load())
        if tell_readers:
            for name, value in values.items():
                self._handed_out(name, value)
        return values

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def present(self, name: str) -> bool:
        """True when ``name`` is defined with a non-blank value (Kamal's ``key?``)."""
        value = self._load().get(name)
        return value is not None and value.strip() != ""

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._load()))

    def __repr__(self) -> str:  # never shows values
        state = "loaded" if self.loaded else "not loaded"
        return f"Secrets({self.secrets_path!r}, destination={self.destination!r}, {state})"

    def _load(self) -> dict[str, str]:
        if self._values is not None:
            return self._values
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._values is None:
                try:
                    self._values = self._read()
                except SecretsError as exc:
                    self._error = exc
                    raise
        return self._values

    def _read(self) -> dict[str, str]:
        from pykamal.secrets.dotenv import parse, read_text
        from pykamal.secrets.substitution import run_command

        def run(command: str, variables: Mapping[str, str], where: str) -> str:
            return run_command(command, variables, where, self.inline)

        merged: dict[str, str] = {}
        for path in self.files:
            merged.update(parse(read_text(path), path=path, run_command=run, inherited=merged))
        return merged
