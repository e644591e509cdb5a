"""The Debian apt sources this machine is configured with, and downloading .debs from them.

Nothing here names a mirror: the sources are read from /etc/apt when a build runs
(or from PYKAMAL_SANDBOX_MIRROR, a single archive URI).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pykamal.sandbox.errors import SandboxError

DEFAULT_SUITE = "bookworm"
ARCHIVE_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Options that make snapshot mirrors (whose Release files may be old) usable.
APT_OPTIONS = {"Acquire::Check-Valid-Until": "false", "Acquire::Languages": "none"}


@dataclass(frozen=True)
class AptSource:
    uri: str
    suite: str
    components: tuple[str, ...]
    signed_by: str | None = None

    def one_line(self) -> str:
        options = f"[signed-by={self.signed_by}] " if self.signed_by else ""
        return f"deb {options}{self.uri} {self.suite} {' '.join(self.components)}"


def configured_sources(apt_dir: Path = Path("/etc/apt")) -> list[AptSource]:
    """Every active `deb` source in sources.list and sources.list.d (one-line and deb822 formats)."""
    files: list[Path] = []
    main_list = apt_dir / "sources.list"
    if main_list.is_file():
        files.append(main_list)
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        files.extend(sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources")))
    sources: list[AptSource] = []
    for path in files:
        text = path.read_text(errors="replace")
        sources.extend(_parse_deb822(text) if path.suffix == ".sources" else _parse_one_line(text))
    return sources


def debian_sources(suite: str = DEFAULT_SUITE, apt_dir: Path = Path("/etc/apt")) -> list[AptSource]:
    """The sources to build a Debian `suite` rootfs from: the machine's own Debian mirror(s).

    Entries for the suite and its -updates/-security companions are kept, restricted to `main`.
    When the machine tracks another release, the first Debian archive URI found is reused for `suite`.
    """
    override = os.environ.get("PYKAMAL_SANDBOX_MIRROR")
    if override:
        return [AptSource(override, suite, ("main",), None)]
    found = [s for s in configured_sources(apt_dir) if "main" in s.components]
    same = [s for s in found if s.suite == suite or s.suite.startswith(suite + "-")]
    if same:
        return [AptSource(s.uri, s.suite, ("main",), s.signed_by) for s in same]
    archives = [s for s in found if not s.suite.endswith("-security") and "security" not in s.uri]
    if archives:
        first = archives[0]
        return [AptSource(first.uri, suite, ("main",), first.signed_by or _default_keyring())]
    raise SandboxError(
        "no Debian apt source with component `main` found in /etc/apt; "
        "set PYKAMAL_SANDBOX_MIRROR to a Debian archive URI"
    )


def archive_uri(suite: str = DEFAULT_SUITE) -> tuple[str, str | None]:
    """URI and keyring of the machine's main Debian archive (not the security one)."""
    for source in debian_sources(suite):
        if not source.suite.endswith("-security") and "security" not in source.uri:
            return source.uri, source.signed_by
    source = debian_sources(suite)[0]
    return source.uri, source.signed_by


def _default_keyring() -> str | None:
    return ARCHIVE_KEYRING if Path(ARCHIVE_KEYRING).exists() else None


def _parse_one_line(text: str) -> Iterable[AptSource]:
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        rest = line[4:].strip()
        signed_by = None
        if rest.startswith("["):
            options, _, rest = rest[1:].partition("]")
            for option in options.split():
                key, _, value = option.partition("=")
                if key == "signed-by":
                    signed_by = value
        fields = rest.split()
        if len(fields) >= 3:
            yield AptSource(fields[0], fields[1], tuple(fields[2:]), signed_by)


def _parse_deb822(text: str) -> Iterable[AptSource]:
    for stanza in _stanzas(text):
        if stanza.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in stanza.get("types", "").split():
            continue
        components = tuple(stanza.get("components", "").split())
        signed_by = stanza.get("signed-by")
        if signed_by and not signed_by.startswith("/"):
            signed_by = None  # inline key block: let apt use the default keyrings
        for uri in stanza.get("uris", "").split():
            for suite in stanza.get("suites", "").split():
                yield AptSource(uri, suite, components, signed_by)


def _stanzas(text: str) -> Iterable[dict[str, str]]:
    current: dict[str, str] = {}
    key = ""
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if current:
                yield current
            current, key = {}, ""
            continue
        if raw[0] in " \t" and key:
            current[key] += "\n" + raw.strip()
            continue
        key, _, value = raw.partition(":")
        key = key.strip().lower()
        current[key] = value.strip()


class AptDownloader:
    """`apt-get download` against a private apt state (lists, cache) kept in the build cache.

    The source list lives there too, so /etc/apt is never changed; used for packages of
    another Debian release (trixie's docker-buildx) and for bookworm packages alike.
    """

    def __init__(self, root: Path, sources: list[AptSource]) -> None:
        self.root = root
        self.sources = sources

    def _options(self) -> list[str]:
        lists = self.root / "lists"
        cache = self.root / "cache"
        for folder in (lists / "partial", cache / "archives" / "partial"):
            folder.mkdir(parents=True, exist_ok=True)
        status = self.root / "status"
        status.touch()
        sources_file = self.root / "sources.list"
        sources_file.write_text("".join(s.one_line() + "\n" for s in self.sources))
        options = {
            "Dir::Etc::SourceList": str(sources_file),
            "Dir::Etc::SourceParts": str(self.root / "no-parts"),
            "Dir::State::Lists": str(lists),
            "Dir::State::Status": str(status),
            "Dir::Cache": str(cache),
            "Debug::NoLocking": "true",
        }
        argv: list[str] = []
        for key, value in options.items():
            argv += ["-o", f"{key}={value}"]
        for key, value in APT_OPTIONS.items():
            argv += ["-o", f"{key}={value}"]
        return argv

    def download(self, packages: list[str], dest: Path) -> list[Path]:
        """Download the .debs of `packages` into `dest` (updating the private lists first)."""
        dest.mkdir(parents=True, exist_ok=True)
        options = self._options()
        self._apt(["apt-get", *options, "-q", "update"], self.root)
        self._apt(["apt-get", *options, "-q", "download", *packages], dest)
        debs: list[Path] = []
        for package in packages:
            matches = sorted(dest.glob(f"{package}_*.deb"))
            if not matches:
                raise SandboxError(f"apt-get download {package}: no .deb appeared in {dest}")
            debs.append(matches[-1])
        return debs

    @staticmethod
    def _apt(argv: list[str], cwd: Path) -> None:
        try:
            result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        except FileNotFoundError as exc:
            raise SandboxError(
                "apt-get not found: the offline sandbox build needs a Debian-based machine"
            ) from exc
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            raise SandboxError(
                f"`{' '.join(argv[:1] + argv[-2:])}` failed: {lines[-1] if lines else 'no output'}"
            )


def extract_deb(deb: Path, dest: Path) -> None:
    """Unpack a .deb's files (not its maintainer scripts) into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["dpkg-deb", "-x", str(deb), str(dest)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SandboxError(f"dpkg-deb -x {deb.name} failed: {result.stderr.strip()}")
