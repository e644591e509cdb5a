"""Sandboxes for test sessions: each concurrent session gets its own slot (name and addresses).

Slot n is sandbox `pykamal-test` (n = 0) or `pykamal-test-<n>`, on addresses 127.0.<n+1>.10 and up,
held by an flock for the whole session, so parallel test runs never share or tear down each
other's hosts. A slot left behind by a killed session is reconciled by the next `up`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from pykamal.sandbox.core import Sandbox, SandboxSpec
from pykamal.sandbox.errors import SandboxError
from pykamal.sandbox.paths import state_root

TEST_NAME = "pykamal-test"
MAX_SLOTS = 32


@contextmanager
def acquire_slot() -> Iterator[int]:
    """Hold the first free slot number for the duration of the block."""
    folder = state_root() / "test-slots"
    folder.mkdir(parents=True, exist_ok=True)
    handle: IO[str] | None = None
    try:
        for slot in range(MAX_SLOTS):
            candidate = (folder / f"{slot}.lock").open("w")
            try:
                fcntl.flock(candidate, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                candidate.close()
                continue
            handle = candidate
            yield slot
            return
        raise SandboxError(f"all {MAX_SLOTS} test sandbox slots are in use")
    finally:
        if handle is not None:
            handle.close()


def slot_spec(slot: int, hosts: int | None = None) -> SandboxSpec:
    count = hosts if hosts is not None else int(os.environ.get("PYKAMAL_TEST_SANDBOX_HOSTS", "3"))
    name = TEST_NAME if slot == 0 else f"{TEST_NAME}-{slot}"
    return SandboxSpec(name=name, hosts=count, base_address=f"127.0.{slot + 1}.10")


@contextmanager
def session_sandbox(hosts: int | None = None, keep: bool | None = None) -> Iterator[Sandbox]:
    """A running sandbox for one test session; removed afterwards unless PYKAMAL_SANDBOX_KEEP=1."""
    if keep is None:
        keep = os.environ.get("PYKAMAL_SANDBOX_KEEP", "") not in ("", "0")
    with acquire_slot() as slot:
        sandbox = Sandbox(slot_spec(slot, hosts), log=lambda line: print(f"[sandbox] {line}", flush=True))
        try:
            sandbox.up()
            yield sandbox
        finally:
            if not keep:
                sandbox.down()
