"""The sandbox's kamal-proxy image carries the upstream labels Kamal relies on; hosts drop stale copies."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from pykamal.sandbox import build
from pykamal.sandbox.build import INPUTS_LABEL, KAMAL_PROXY_IMAGE, ImageBuilder
from pykamal.sandbox.core import Sandbox, SandboxSpec
from pykamal.sandbox.docker import Docker


class RecordingDocker(Docker):
    """Keeps the labels of imported images instead of talking to an engine."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[str, dict[str, str]] = {}
        self.imports: list[list[str]] = []

    def image_label(self, image: str, label: str) -> str | None:
        return self.labels.get(image, {}).get(label)

    def run_binary_input(self, args: Sequence[str], chunks: Iterable[bytes]) -> str:
        assert sum(len(chunk) for chunk in chunks) > 0
        self.imports.append(list(args))
        changes = [args[i + 1] for i, arg in enumerate(args) if arg == "--change"]
        labels = [change.removeprefix("LABEL ") for change in changes if change.startswith("LABEL ")]
        self.labels[args[-1]] = dict(label.split("=", 1) for label in labels)
        return ""


@pytest.fixture
def builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ImageBuilder:
    binary = tmp_path / "kamal-proxy"
    binary.write_bytes(b"\x7fELF not really")
    monkeypatch.setattr(ImageBuilder, "_kamal_proxy_binary", lambda self: binary)
    return ImageBuilder(RecordingDocker(), cache=tmp_path / "cache", log=lambda line: None)


def test_kamal_proxy_image_has_the_upstream_title_label(builder: ImageBuilder) -> None:
    [result] = builder.ensure(("kamal-proxy",))
    assert result.built and result.image == KAMAL_PROXY_IMAGE
    docker = builder.docker
    assert isinstance(docker, RecordingDocker)
    assert docker.image_label(KAMAL_PROXY_IMAGE, "org.opencontainers.image.title") == "kamal-proxy"
    assert docker.image_label(KAMAL_PROXY_IMAGE, "org.opencontainers.image.version") == "v0.9.2"
    assert 'CMD ["kamal-proxy", "run"]' in docker.imports[0]


def test_a_label_change_rebuilds_the_image(builder: ImageBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    builder.ensure(("kamal-proxy",))
    first = builder.docker.image_label(KAMAL_PROXY_IMAGE, INPUTS_LABEL)
    assert [r.built for r in builder.ensure(("kamal-proxy",))] == [False]
    # an image built before the labels were part of the recipe is outdated
    monkeypatch.setattr(build, "KAMAL_PROXY_LABELS", {})
    assert builder._kamal_proxy_recipe() != first
    assert [r.built for r in builder.ensure(("kamal-proxy",))] == [True]
    assert builder.docker.image_label(KAMAL_PROXY_IMAGE, "org.opencontainers.image.title") is None


FAKE_DOCKER = """#!/bin/sh
# image inspect --format F <image>: print the image's recorded inputs label; image rm --force <image>: log it
image=$(printf %s "$5" | tr '/:' '__')
case "$1 $2" in
  "image inspect") [ -f "$STATE/$image" ] && cat "$STATE/$image" ;;
  "image rm") echo "$4" >> "$STATE/removed" ;;
  *) exit 2 ;;
esac
"""


def test_up_untags_seeded_images_hosts_pulled_before_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    docker = RecordingDocker()
    docker.labels = {KAMAL_PROXY_IMAGE: {INPUTS_LABEL: "new"}}  # busybox not built: left alone
    sandbox = Sandbox(SandboxSpec(name="demo", hosts=3), docker=docker)
    proxy_file = KAMAL_PROXY_IMAGE.replace("/", "_").replace(":", "_")
    held = {"127.0.0.11": "old", "127.0.0.12": "new", "127.0.0.13": None}
    for host, inputs in held.items():
        (tmp_path / host).mkdir()
        if inputs is not None:
            (tmp_path / host / proxy_file).write_text(inputs + "\n")

    def run_on_host(host: str, shell_cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STATE": str(tmp_path / host)}
        return subprocess.run(["sh", "-c", shell_cmd], env=env, capture_output=True, text=True, check=False)

    monkeypatch.setattr(sandbox, "run_on_host", run_on_host)
    sandbox._drop_stale_seeds()
    removed = {host: (tmp_path / host / "removed").exists() for host in held}
    assert removed == {"127.0.0.11": True, "127.0.0.12": False, "127.0.0.13": False}
    assert (tmp_path / "127.0.0.11" / "removed").read_text() == KAMAL_PROXY_IMAGE + "\n"
