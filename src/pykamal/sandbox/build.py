"""Building the sandbox images offline: no base image is pulled from anywhere.

* host image: a Debian rootfs made by mmdebstrap from this machine's apt mirror, plus our
  entry point and sshd settings, imported with `docker import`;
* registry image: Debian's docker-registry binary and the C library it links, FROM scratch;
* kamal-proxy image: the real kamal-proxy, built from source with `go install`, FROM scratch;
* busybox image: Debian's busybox-static, FROM scratch (base of the example app);
* the docker-buildx CLI plugin from Debian trixie, when `docker buildx` is missing.

Slow results (rootfs tarball, kamal-proxy binary, downloaded .debs) are kept in the cache
folder; each image carries a label with the hash of its recipe, so unchanged images are
never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pykamal.sandbox.apt import (
    APT_OPTIONS,
    AptDownloader,
    AptSource,
    archive_uri,
    debian_sources,
    extract_deb,
)
from pykamal.sandbox.docker import LABEL_PREFIX, Docker
from pykamal.sandbox.errors import SandboxError
from pykamal.sandbox.imagetar import TarTree, archive_end, concatenated
from pykamal.sandbox.paths import cache_dir

RECIPE_VERSION = "1"
INPUTS_LABEL = f"{LABEL_PREFIX}.inputs"

SUITE = "bookworm"
HOST_PACKAGES = (
    "openssh-server",
    "docker.io",
    "ca-certificates",
    "iproute2",
    "iptables",
    "socat",
    "procps",
    "curl",
)
KAMAL_PROXY_MODULE = "github.com/basecamp/kamal-proxy/cmd/kamal-proxy"
KAMAL_PROXY_VERSION = "v0.9.2"
KAMAL_PROXY_UID = 1000
# Labels of the published image; Kamal finds the proxy's containers and images by the title.
KAMAL_PROXY_LABELS = {
    "org.opencontainers.image.title": "kamal-proxy",
    "org.opencontainers.image.version": KAMAL_PROXY_VERSION,
}
# kamal-proxy v0.9.2's go.mod asks for Go 1.25.5; older installed toolchains are replaced by this one.
GO_MINIMUM = (1, 25, 5)
GO_TOOLCHAIN = "go1.25.5"

HOST_IMAGE = "pykamal-sandbox/host:latest"
REGISTRY_IMAGE = "pykamal-sandbox/registry:latest"
BUSYBOX_IMAGE = "pykamal-sandbox/busybox:latest"
KAMAL_PROXY_IMAGE = f"basecamp/kamal-proxy:{KAMAL_PROXY_VERSION}"
# Kamal's local-registry mode runs `registry:3`; our registry image answers to that name offline.
KAMAL_LOCAL_REGISTRY_IMAGE = "registry:3"

ALL_IMAGES = ("host", "registry", "kamal-proxy", "busybox")

Log = Callable[[str], None]


def _asset(*parts: str) -> bytes:
    node = resources.files("pykamal.sandbox").joinpath("assets")
    for part in parts:
        node = node.joinpath(part)
    return node.read_bytes()


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256(RECIPE_VERSION.encode())
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class BuildResult:
    image: str
    built: bool
    seconds: float


class ImageBuilder:
    """Builds (or confirms up to date) each sandbox image; `log` receives one line per step."""

    def __init__(self, docker: Docker, cache: Path | None = None, log: Log = print) -> None:
        self.docker = docker
        self.cache = cache or cache_dir()
        self.log = log

    # -- public -------------------------------------------------------------------------

    def ensure(self, names: tuple[str, ...] = ALL_IMAGES, force: bool = False) -> list[BuildResult]:
        """Build the named images unless they exist with the current recipe; one build at a time."""
        import fcntl

        self.cache.mkdir(parents=True, exist_ok=True)
        with (self.cache / "build.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._ensure(names, force)

    def _ensure(self, names: tuple[str, ...], force: bool) -> list[BuildResult]:
        steps = {
            "host": (HOST_IMAGE, self._host_recipe, self._build_host),
            "registry": (REGISTRY_IMAGE, self._registry_recipe, self._build_registry),
            "kamal-proxy": (KAMAL_PROXY_IMAGE, self._kamal_proxy_recipe, self._build_kamal_proxy),
            "busybox": (BUSYBOX_IMAGE, self._busybox_recipe, self._build_busybox),
        }
        results = []
        for name in names:
            if name not in steps:
                raise SandboxError(f"unknown sandbox image {name!r} (known: {', '.join(steps)})")
            image, recipe, build = steps[name]
            inputs = recipe()
            started = time.monotonic()
            if not force and self.docker.image_label(image, INPUTS_LABEL) == inputs:
                results.append(BuildResult(image, False, 0.0))
                continue
            self.log(f"building {image}")
            build(image, inputs)
            seconds = time.monotonic() - started
            self.log(f"built {image} in {seconds:.1f}s")
            results.append(BuildResult(image, True, seconds))
        if "registry" in names:
            self._tag_local_registry_alias()
        return results

    def images_missing(self) -> list[str]:
        """Images that do not exist locally at all (outdated ones are not listed)."""
        images = (HOST_IMAGE, REGISTRY_IMAGE, KAMAL_PROXY_IMAGE, BUSYBOX_IMAGE)
        return [image for image in images if self.docker.inspect("image", image) is None]

    # -- recipes: everything that decides an image's content, hashed ----------------------

    def _host_assets(self) -> TarTree:
        tree = TarTree()
        tree.file("usr/local/sbin/pykamal-sandbox-init", _asset("host", "init"), 0o755)
        tree.directory("usr/local/libexec/pykamal-sandbox")
        tree.file("usr/local/libexec/pykamal-sandbox/command-log", _asset("host", "command-log"), 0o755)
        tree.file("etc/ssh/sshd_config.d/00-pykamal-sandbox.conf", _asset("host", "sshd.conf"))
        tree.directory("var/log/pykamal-sandbox")
        return tree

    def _rootfs_key(self) -> str:
        return _digest(SUITE, *HOST_PACKAGES, _ROOTFS_HOOK)

    def _host_recipe(self) -> str:
        return _digest(
            "host",
            self._rootfs_key(),
            _asset("host", "init"),
            _asset("host", "command-log"),
            _asset("host", "sshd.conf"),
        )

    def _registry_recipe(self) -> str:
        return _digest("registry", SUITE, _asset("registry", "config.yml"))

    def _kamal_proxy_recipe(self) -> str:
        labels = [f"{key}={value}" for key, value in sorted(KAMAL_PROXY_LABELS.items())]
        return _digest("kamal-proxy", KAMAL_PROXY_MODULE, KAMAL_PROXY_VERSION, str(KAMAL_PROXY_UID), *labels)

    def _busybox_recipe(self) -> str:
        return _digest("busybox", SUITE)

    # -- host ---------------------------------------------------------------------------

    def _build_host(self, image: str, inputs: str) -> None:
        rootfs = self._rootfs()
        end_file = rootfs.with_suffix(".end")
        if not end_file.exists():
            end_file.write_text(str(archive_end(rootfs)))
        chunks = concatenated(rootfs, int(end_file.read_text()), self._host_assets())
        changes = [
            'ENTRYPOINT ["/usr/local/sbin/pykamal-sandbox-init"]',
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "EXPOSE 22 80 443",
            f"LABEL {INPUTS_LABEL}={inputs}",
        ]
        self._import(image, changes, chunks)

    def _rootfs(self) -> Path:
        folder = self.cache / "rootfs"
        target = folder / f"{SUITE}-{self._rootfs_key()}.tar"
        if target.exists():
            return target
        if shutil.which("mmdebstrap") is None:
            raise SandboxError(
                "building the host image needs mmdebstrap: `apt-get install mmdebstrap` "
                "(or run scripts/install-deps as root)"
            )
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        argv = ["mmdebstrap", "--variant=minbase", "--format=tar", "--include=" + ",".join(HOST_PACKAGES)]
        argv += [f'--aptopt={key} "{value}"' for key, value in APT_OPTIONS.items()]
        argv += ["--customize-hook=" + _ROOTFS_HOOK, SUITE, str(partial)]
        argv += [source.one_line() for source in debian_sources(SUITE)]
        self.log(f"  mmdebstrap {SUITE} rootfs ({', '.join(HOST_PACKAGES)}); about half a minute")
        _run(argv, "mmdebstrap")
        partial.rename(target)
        for stale in folder.glob(f"{SUITE}-*"):
            if stale.stem != target.stem:
                stale.unlink()
        return target

    # -- registry -------------------------------------------------------------------------

    def _build_registry(self, image: str, inputs: str) -> None:
        debs = self._bookworm_debs(["docker-registry", "libc6"])
        with tempfile.TemporaryDirectory(prefix="pykamal-registry-") as tmp:
            root = Path(tmp)
            for deb in debs:
                extract_deb(deb, root)
            for docs in ("usr/share/doc", "usr/share/man", "usr/share/lintian", "etc/docker"):
                shutil.rmtree(root / docs, ignore_errors=True)
            tree = TarTree()
            tree.tree(root)
            tree.file("etc/pykamal-sandbox/registry.yml", _asset("registry", "config.yml"))
            tree.directory("var/lib/registry")
            tree.directory("tmp", 0o1777)
            changes = [
                'ENTRYPOINT ["/usr/bin/docker-registry", "serve", "/etc/pykamal-sandbox/registry.yml"]',
                "EXPOSE 5000",
                "VOLUME /var/lib/registry",
                f"LABEL {INPUTS_LABEL}={inputs}",
            ]
            self._import(image, changes, tree.chunks())

    def _tag_local_registry_alias(self) -> None:
        if self.docker.inspect("image", KAMAL_LOCAL_REGISTRY_IMAGE) is None:
            self.docker.run(["tag", REGISTRY_IMAGE, KAMAL_LOCAL_REGISTRY_IMAGE])
            return
        if self.docker.image_label(KAMAL_LOCAL_REGISTRY_IMAGE, INPUTS_LABEL) is not None:
            # ours from an earlier build: follow the current registry image
            self.docker.run(["tag", REGISTRY_IMAGE, KAMAL_LOCAL_REGISTRY_IMAGE])

    # -- kamal-proxy ------------------------------------------------------------------------

    def _build_kamal_proxy(self, image: str, inputs: str) -> None:
        binary = self._kamal_proxy_binary()
        uid = KAMAL_PROXY_UID
        home = "home/kamal-proxy"
        tree = TarTree()
        tree.directory("etc")
        tree.file(
            "etc/passwd",
            f"root:x:0:0:root:/root:/sbin/nologin\nkamal-proxy:x:{uid}:{uid}::/{home}:/sbin/nologin\n",
        )
        tree.file("etc/group", f"root:x:0:\nkamal-proxy:x:{uid}:\n")
        certs = Path("/etc/ssl/certs/ca-certificates.crt")
        if certs.is_file():
            tree.directory("etc/ssl")
            tree.directory("etc/ssl/certs")
            tree.file("etc/ssl/certs/ca-certificates.crt", certs)
        for folder in ("home", home, f"{home}/.config", f"{home}/.config/kamal-proxy"):
            owner = 0 if folder == "home" else uid
            tree.directory(folder, 0o755, owner, owner)
        tree.directory("tmp", 0o1777)
        tree.directory("usr")
        tree.directory("usr/local")
        tree.directory("usr/local/bin")
        tree.file("usr/local/bin/kamal-proxy", binary, 0o755)
        changes = [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            f"ENV HOME=/{home}",
            "USER kamal-proxy:kamal-proxy",
            'CMD ["kamal-proxy", "run"]',
            "EXPOSE 80 443",
            *(f"LABEL {key}={value}" for key, value in KAMAL_PROXY_LABELS.items()),
            f"LABEL {INPUTS_LABEL}={inputs}",
        ]
        self._import(image, changes, tree.chunks())

    def _kamal_proxy_binary(self) -> Path:
        """Build kamal-proxy from its source module, fetched through the Go module proxy.

        Equivalent to `CGO_ENABLED=0 go install <module>@<version>`, in two steps: some module
        proxies refuse the version listing that `go install` requests for its deprecation check.
        """
        target = self.cache / "kamal-proxy" / KAMAL_PROXY_VERSION / "kamal-proxy"
        if target.exists():
            return target
        go = self._go()
        gopath = self.cache / "go"
        env = dict(os.environ)
        env.update(
            CGO_ENABLED="0",
            GOPATH=str(gopath),
            GOCACHE=str(gopath / "build-cache"),
            GOFLAGS=" ".join([env.get("GOFLAGS", ""), "-modcacherw", "-buildvcs=false"]).strip(),
        )
        module = KAMAL_PROXY_MODULE.split("/cmd/")[0]
        self.log(f"  go build {KAMAL_PROXY_MODULE}@{KAMAL_PROXY_VERSION}")
        out = _run(
            [go, "mod", "download", "-json", f"{module}@{KAMAL_PROXY_VERSION}"], "go mod download", env=env
        )
        source = Path(json.loads(out)["Dir"])
        package = "./" + KAMAL_PROXY_MODULE.removeprefix(module + "/")
        partial = target.with_name("kamal-proxy.partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        _run(
            [go, "build", "-trimpath", "-o", str(partial), package],
            "go build kamal-proxy",
            env=env,
            cwd=source,
        )
        partial.rename(target)
        return target

    def _go(self) -> str:
        """A Go toolchain new enough for kamal-proxy: the installed one, or one fetched and cached."""
        for candidate in (shutil.which("go"), "/usr/local/go/bin/go"):
            if candidate and Path(candidate).exists() and _go_version(candidate) >= GO_MINIMUM:
                return candidate
        cached = self.cache / "toolchain" / GO_TOOLCHAIN / "bin" / "go"
        if not cached.exists():
            minimum = ".".join(map(str, GO_MINIMUM))
            self.log(f"  no Go >= {minimum} installed: fetching {GO_TOOLCHAIN} from the Go module proxy")
            fetch_go_toolchain(cached.parents[1])
        return str(cached)

    # -- busybox ----------------------------------------------------------------------------

    def _build_busybox(self, image: str, inputs: str) -> None:
        (deb,) = self._bookworm_debs(["busybox-static"])
        with tempfile.TemporaryDirectory(prefix="pykamal-busybox-") as tmp:
            root = Path(tmp)
            extract_deb(deb, root)
            busybox = root / "bin" / "busybox"
            applets = subprocess.run(
                [str(busybox), "--list-full"], capture_output=True, text=True, check=True
            )
            tree = TarTree()
            for folder in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root"):
                tree.directory(folder, 0o700 if folder == "root" else 0o755)
            tree.directory("tmp", 0o1777)
            tree.file("bin/busybox", busybox, 0o755)
            for applet in sorted(set(applets.stdout.split())):
                if applet != "bin/busybox":
                    tree.symlink(applet, "/bin/busybox")
            tree.file(
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            )
            tree.file("etc/group", "root:x:0:\nnogroup:x:65534:\n")
            changes = [
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                'CMD ["sh"]',
                f"LABEL {INPUTS_LABEL}={inputs}",
            ]
            self._import(image, changes, tree.chunks())

    # -- docker-buildx ------------------------------------------------------------------------

    def ensure_buildx(self) -> Path | None:
        """Install trixie's docker-buildx as a CLI plugin when `docker buildx` is missing.

        Root installs to /usr/libexec/docker/cli-plugins, other users to ~/.docker/cli-plugins.
        Returns the installed plugin path, or None when buildx was already there.
        """
        if self.docker.run(["buildx", "version"], check=False).returncode == 0:
            return None
        uri, keyring = archive_uri(SUITE)
        apt = AptDownloader(self.cache / "apt" / "trixie", [AptSource(uri, "trixie", ("main",), keyring)])
        (deb,) = apt.download(["docker-buildx"], self.cache / "debs" / "trixie")
        if os.geteuid() == 0:
            plugins = Path("/usr/libexec/docker/cli-plugins")
        else:
            plugins = Path.home() / ".docker" / "cli-plugins"
        with tempfile.TemporaryDirectory(prefix="pykamal-buildx-") as tmp:
            extract_deb(deb, Path(tmp))
            binary = Path(tmp) / "usr" / "libexec" / "docker" / "cli-plugins" / "docker-buildx"
            if not binary.is_file():
                raise SandboxError(f"{deb.name} holds no usr/libexec/docker/cli-plugins/docker-buildx")
            plugins.mkdir(parents=True, exist_ok=True)
            shutil.copy2(binary, plugins / "docker-buildx")
        self.log(f"installed docker buildx plugin ({deb.name}) in {plugins}")
        return plugins / "docker-buildx"

    # -- helpers ----------------------------------------------------------------------------

    def _bookworm_debs(self, packages: list[str]) -> list[Path]:
        dest = self.cache / "debs" / SUITE
        found = [sorted(dest.glob(f"{package}_*.deb")) for package in packages]
        if all(found):
            return [matches[-1] for matches in found]
        apt = AptDownloader(self.cache / "apt" / SUITE, debian_sources(SUITE))
        return apt.download(packages, dest)

    def _import(self, image: str, changes: list[str], chunks: Iterable[bytes]) -> None:
        args = ["import"]
        for change in changes:
            args += ["--change", change]
        args += ["-", image]
        self.docker.run_binary_input(args, chunks)


# Every host gets its own host keys at `up`; none may be baked into the image.
_ROOTFS_HOOK = 'rm -f "$1"/etc/ssh/ssh_host_*'


def _run(argv: list[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    except FileNotFoundError as exc:
        raise SandboxError(f"{what}: {argv[0]} not found") from exc
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        tail = " | ".join(lines[-3:]) if lines else f"exit {result.returncode}"
        raise SandboxError(f"{what} failed: {tail}")
    return result.stdout


def _go_version(go: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return (0,)
    digits = out.strip().removeprefix("go").split("-")[0].split(".")
    try:
        return tuple(int(part) for part in digits if part.isdigit())
    except ValueError:
        return (0,)


def fetch_go_toolchain(dest: Path) -> None:
    """Unpack the Go toolchain module (what `go` itself downloads for GOTOOLCHAIN) into dest."""
    import io
    import platform
    import urllib.request
    import zipfile

    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    proxies = [
        p for p in os.environ.get("GOPROXY", "https://proxy.golang.org").split(",") if p.startswith("http")
    ]
    proxy = (proxies or ["https://proxy.golang.org"])[0].rstrip("/")
    version = f"v0.0.1-{GO_TOOLCHAIN}.linux-{arch}"
    url = f"{proxy}/golang.org/toolchain/@v/{version}.zip"
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            data = response.read()
    except OSError as exc:
        raise SandboxError(
            f"cannot fetch the Go toolchain ({url}): {exc}; install Go >= 1.25 instead"
        ) from exc
    prefix = f"golang.org/toolchain@{version}/"
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            if not member.filename.startswith(prefix) or member.is_dir():
                continue
            target = partial / member.filename.removeprefix(prefix)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
            mode = (member.external_attr >> 16) & 0o777
            target.chmod(mode or 0o644)
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
