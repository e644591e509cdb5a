"""Running command lines under a real shell with stub programs that record the argv they receive.

Each stub writes ``<argc> <name> <args…>`` NUL-terminated to a log and exits 0 with no output, so a
command line can be run for real (under ``bash`` and ``dash``) and what each program received read
back exactly, without Docker or SSH doing anything.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SHELLS = ("bash", "dash")
STUB = """#!/bin/sh
printf '%s\\0' "$#" "${0##*/}" "$@" >> "$STUB_LOG"
"""


@dataclass(frozen=True)
class Invocation:
    program: str
    args: tuple[str, ...]


class StubBin:
    """A folder of recording stubs, put first on PATH when a line runs."""

    def __init__(self, root: Path, programs: Iterable[str]) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.log = root / "argv.log"
        self.work = root / "work"
        self.work.mkdir(exist_ok=True)
        for name in programs:
            path = self.bin / name
            path.write_text(STUB)
            path.chmod(0o755)

    def run(self, shell: str, line: str, *, stdin: str = "") -> list[Invocation]:
        """Run ``line`` with ``<shell> -c``; the invocations the stubs recorded, in order."""
        self.log.write_bytes(b"")
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": str(self.work),
            "STUB_LOG": str(self.log),
            "LC_ALL": "C.UTF-8",
        }
        subprocess.run(
            [shell, "-c", line], cwd=self.work, env=env, input=stdin.encode(), capture_output=True, timeout=20
        )
        return read_log(self.log.read_bytes())


def read_log(data: bytes) -> list[Invocation]:
    fields = data.split(b"\0")[:-1]
    out: list[Invocation] = []
    i = 0
    while i < len(fields):
        count = int(fields[i])
        name = fields[i + 1].decode("utf-8", "surrogateescape")
        args = tuple(f.decode("utf-8", "surrogateescape") for f in fields[i + 2 : i + 2 + count])
        out.append(Invocation(name, args))
        i += 2 + count
    return out


def shell_available(name: str) -> bool:
    return any((Path(folder) / name).exists() for folder in os.environ.get("PATH", "").split(os.pathsep))
