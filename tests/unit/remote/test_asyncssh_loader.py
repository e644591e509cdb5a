import ctypes.util
import subprocess
import sys

from pykamal.remote.asyncssh_loader import _linker_cache_lookup


def test_the_lookup_agrees_with_ctypes_for_installed_libraries() -> None:
    find = _linker_cache_lookup()
    for name in ("c", "nettle", "ssl"):
        assert find(name) == ctypes.util.find_library(name)


def test_a_missing_library_is_none() -> None:
    assert _linker_cache_lookup()("pykamal-no-such-library") is None


def test_asyncssh_loads_with_its_libraries_and_ctypes_is_left_as_it_was() -> None:
    script = (
        "import ctypes.util\n"
        "original = ctypes.util.find_library\n"
        "from pykamal.remote.asyncssh_loader import load_asyncssh\n"
        "load_asyncssh()\n"
        "from asyncssh.crypto import umac\n"
        "assert ctypes.util.find_library is original\n"
        "print(umac._nettle_lib)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(ctypes.util.find_library("nettle"))
