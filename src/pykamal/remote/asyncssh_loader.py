"""Import asyncssh without its slow search for optional C libraries.

When it is first imported, asyncssh asks ``ctypes.util.find_library`` for liboqs (post-quantum key
exchange) and libnettle (UMAC). For a library that is not installed, find_library falls back to
running gcc and ld, which costs 0.1-0.3 s on every pykamal command that uses SSH. During that
import only, the lookup reads the dynamic linker's cache and LD_LIBRARY_PATH, which is where an
installed copy of either library is found.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

LDCONFIG = ("/sbin/ldconfig", "/usr/sbin/ldconfig")


def load_asyncssh() -> ModuleType:
    if "asyncssh" in sys.modules:
        return sys.modules["asyncssh"]
    import ctypes.util

    with _replaced(ctypes.util, "find_library", _linker_cache_lookup()):
        import asyncssh
    return asyncssh


@contextlib.contextmanager
def _replaced(owner: ModuleType, name: str, value: object) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _linker_cache_lookup() -> Callable[[str], str | None]:
    known = _cached_sonames()

    def find(name: str) -> str | None:
        prefix = f"lib{name.removeprefix('lib')}.so"
        for soname in known:
            if soname == prefix or soname.startswith(prefix + "."):
                return soname
        return _in_library_path(prefix)

    return find


def _cached_sonames() -> list[str]:
    """Library names in ld.so.cache (``ldconfig -p``), for this machine's architecture first."""
    for ldconfig in LDCONFIG:
        if not os.path.exists(ldconfig):
            continue
        try:
            listing = subprocess.run(
                [ldconfig, "-p"], capture_output=True, text=True, timeout=5, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        return [line.split()[0] for line in listing.splitlines()[1:] if line.strip()]
    return []


def _in_library_path(prefix: str) -> str | None:
    for folder in filter(None, os.environ.get("LD_LIBRARY_PATH", "").split(":")):
        with contextlib.suppress(OSError):
            for entry in sorted(Path(folder).iterdir()):
                if entry.name == prefix or entry.name.startswith(prefix + "."):
                    return entry.name
    return None
