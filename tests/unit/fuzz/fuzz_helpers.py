"""Running the CLI in this process on a throwaway project, and what a clean outcome looks like.

A clean outcome is exit status 0, or a non-zero status with exactly one line on stderr, that line
being ``  ERROR <message>`` for a PykamalError (an unexpected exception is printed as
``ERROR unexpected <Class>: …`` by the CLI's last line of defence, and counts as a failure here).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
UNEXPECTED = re.compile(r"ERROR unexpected [A-Za-z_][\w.]*: ")  # the CLI's form for any other exception
CLEARED_ENV = ("VERSION", "KAMAL_DESTINATION", "KAMAL_LOCK", "KAMAL_REGISTRY_PASSWORD")


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def assert_clean(self, what: str) -> None:
        assert "Traceback" not in self.out + self.err, f"{what}:\n{self.err}"
        assert not UNEXPECTED.search(self.err), f"{what}: not a PykamalError:\n{self.err}"
        if self.code != 0:
            lines = self.err.strip("\n").splitlines()
            assert len(lines) == 1, f"{what}: exit {self.code} with {len(lines)} stderr lines:\n{self.err}"
            assert lines[0].startswith("  ERROR ") and len(lines[0]) > len("  ERROR "), f"{what}: {lines}"


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in (*CLEARED_ENV, *values)}
    for key in CLEARED_ENV:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def project(files: Mapping[str, str], env: Mapping[str, str] | None = None) -> Iterator[Path]:
    """A temporary working directory holding ``files`` (relative path -> text)."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="pykamal-fuzz-") as folder:
        root = Path(folder)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        os.chdir(root)
        try:
            with environment(env or {}):
                yield root
        finally:
            os.chdir(previous)


def cli(args: list[str]) -> Outcome:
    """``pykamal <args>`` in this process, in the current directory."""
    from pykamal.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return Outcome(code, out.getvalue(), err.getvalue())


def note(name: str) -> None:
    """hypothesis.event when inside a property test (shown with --hypothesis-show-statistics)."""
    from hypothesis import event
    from hypothesis.errors import InvalidArgument

    with contextlib.suppress(InvalidArgument):
        event(name)
