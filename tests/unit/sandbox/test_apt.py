from __future__ import annotations

from pathlib import Path

import pytest

from pykamal.sandbox.apt import AptSource, configured_sources, debian_sources
from pykamal.sandbox.errors import SandboxError

DEB822 = """\
Types: deb
# a comment inside the stanza
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
"""


def write_apt(tmp_path: Path, files: dict[str, str]) -> Path:
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (apt / name).write_text(text)
    return apt


def test_reads_deb822_and_one_line_sources_skipping_disabled_and_source_entries(tmp_path: Path) -> None:
    apt = write_apt(
        tmp_path,
        {
            "sources.list.d/debian.sources": DEB822,
            "sources.list": "# one-line\ndeb [arch=amd64 signed-by=/k.gpg] http://o.example/d trixie main\n",
            "sources.list.d/ignored.list.disabled": "deb http://nope.example/debian bookworm main\n",
        },
    )
    sources = configured_sources(apt)
    assert sources[0] == AptSource("http://o.example/d", "trixie", ("main",), "/k.gpg")
    uris = {(s.uri, s.suite) for s in sources}
    assert ("http://mirror.example/debian", "bookworm-updates") in uris
    assert not any("disabled" in s.uri or "nope" in s.uri for s in sources)
    assert len(sources) == 4


def test_rootfs_sources_keep_the_suite_and_its_companions_restricted_to_main(tmp_path: Path) -> None:
    apt = write_apt(tmp_path, {"sources.list.d/debian.sources": DEB822})
    sources = debian_sources("bookworm", apt)
    assert [s.suite for s in sources] == ["bookworm", "bookworm-updates", "bookworm-security"]
    assert all(s.components == ("main",) for s in sources)
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    assert sources[0].one_line() == f"deb [signed-by={keyring}] http://mirror.example/debian bookworm main"


def test_a_machine_on_another_release_lends_its_archive_uri(tmp_path: Path) -> None:
    apt = write_apt(tmp_path, {"sources.list": "deb http://mirror.example/debian trixie main\n"})
    (source,) = debian_sources("bookworm", apt)
    assert (source.uri, source.suite) == ("http://mirror.example/debian", "bookworm")


def test_mirror_override_and_missing_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apt = write_apt(tmp_path, {})
    with pytest.raises(SandboxError, match="PYKAMAL_SANDBOX_MIRROR"):
        debian_sources("bookworm", apt)
    monkeypatch.setenv("PYKAMAL_SANDBOX_MIRROR", "http://local.example/debian")
    assert debian_sources("bookworm", apt) == [
        AptSource("http://local.example/debian", "bookworm", ("main",))
    ]
