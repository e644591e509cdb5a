"""Build the example app here, push it to the sandbox registry, pull it on two hosts."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from build_project import REAL_DOCKER, make_project, registry_block

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration


def image_on(sandbox: Sandbox, host: str, image: str) -> str | None:
    """The image's service label on the host, None when the host does not have it."""
    result = sandbox.run_on_host(
        host, f"docker image inspect --format '{{{{ index .Config.Labels \"service\" }}}}' {image}"
    )
    return result.stdout.strip() if result.returncode == 0 else None


def positions(log: list[str], pattern: str) -> list[int]:
    return [i for i, line in enumerate(log) if re.search(pattern, line)]


def locate(log: list[str], pattern: str) -> tuple[int, int]:
    """(command, offset in it) of the first match: steps may share one remote command."""
    for i, line in enumerate(log):
        if found := re.search(pattern, line):
            return i, found.start()
    raise AssertionError(f"nothing matches {pattern!r} in {log}")


def test_push_from_a_clean_clone_then_pull_on_two_hosts(sandbox: Sandbox, tmp_path: Path) -> None:
    web = sandbox.hosts[:2]
    project = make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder="  arch: amd64\n  driver: docker\n", git=True,
    )  # fmt: skip
    with (project.root / "app" / "web").open("a") as script:
        script.write("# UNCOMMITTED-CHANGE\n")
    version = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True, check=True
    ).stdout.strip()
    image = f"{sandbox.registry}/hello:{version}"
    for host in sandbox.hosts:
        sandbox.clear_command_log(host)

    pushed = project.pykamal("build", "push")
    assert "Building from a local git clone, so ignoring these uncommitted changes" in pushed.stderr
    assert "M app/web" in pushed.stderr
    assert all(sandbox.command_log(host) == [] for host in sandbox.hosts)  # push touches no host

    project.pykamal("build", "pull")
    for host in web:
        assert image_on(sandbox, host, image) == "hello"
        log = sandbox.command_log(host)
        login = locate(
            log, rf"docker login {re.escape(sandbox.registry)} -u deployer --password-stdin 2>&1\)"
        )
        assert login < locate(log, rf"docker pull {re.escape(image)} "), log
        # the hosts have a registry mirror, which serves Docker Hub only: one command logs in and pulls
        assert len(log) == 1, log
        # built from HEAD: the uncommitted line is not in the image
        content = sandbox.run_on_host(host, f"docker run --rm --entrypoint cat {image} /app/web")
        assert content.returncode == 0 and "UNCOMMITTED-CHANGE" not in content.stdout
        assert "httpd" in content.stdout
    assert sandbox.command_log(sandbox.hosts[2]) == []  # not an app host of this project


def test_pull_of_a_tag_that_does_not_exist_is_a_clear_error(sandbox: Sandbox, tmp_path: Path) -> None:
    project = make_project(tmp_path, sandbox, registry=registry_block(sandbox.registry))
    result = project.pykamal("build", "pull", "--version", "never-pushed-tag", check=False)
    assert result.returncode != 0
    assert (
        f"image {sandbox.registry}/hello:never-pushed-tag does not exist in registry {sandbox.registry}"
        in result.stderr
    )
    # every app host pulls at once (the hosts' mirror serves Docker Hub only) and each one fails
    assert f"failed on 2 of 2 hosts: {sandbox.hosts[0]}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_pull_refuses_an_image_without_the_service_label(sandbox: Sandbox, tmp_path: Path) -> None:
    project = make_project(tmp_path, sandbox, registry=registry_block(sandbox.registry))
    foreign = f"{sandbox.registry}/hello:foreign-image"
    subprocess.run([REAL_DOCKER, "tag", "pykamal-sandbox/busybox:latest", foreign], check=True)
    subprocess.run([REAL_DOCKER, "push", foreign], check=True, capture_output=True)
    result = project.pykamal(
        "build", "pull", "--version", "foreign-image", "-h", sandbox.hosts[0], check=False
    )
    assert result.returncode != 0
    assert f"Image {foreign} is missing the 'service' label" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_registry_push_here_and_pull_through_ssh_tunnels(sandbox: Sandbox, tmp_path: Path) -> None:
    port = free_port()
    project = make_project(tmp_path, sandbox, registry=registry_block(f"localhost:{port}"))
    web = sandbox.hosts[:2]
    project.pykamal("registry", "remove")  # a registry container left on another port would be reused
    try:
        for host in sandbox.hosts:
            sandbox.clear_command_log(host)
        project.pykamal("build", "push", "--version", "tunnel-1")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/hello/tags/list", timeout=5) as response:
            assert "tunnel-1" in json.loads(response.read())["tags"]
        assert all(sandbox.command_log(host) == [] for host in sandbox.hosts)

        pulled = project.pykamal("build", "pull", "--version", "tunnel-1")
        assert (
            f"Setting up local registry port forwarding to {', '.join(web)}" in pulled.stdout + pulled.stderr
        )
        for host in web:
            assert image_on(sandbox, host, f"localhost:{port}/hello:tunnel-1") == "hello"
            log = sandbox.command_log(host)
            assert not positions(log, r"docker login"), log
            assert positions(log, rf"docker pull localhost:{port}/hello:tunnel-1 ")
            # the tunnel was closed after the pull
            probe = sandbox.run_on_host(host, f"curl -s -m 2 http://127.0.0.1:{port}/v2/")
            assert probe.returncode != 0
    finally:
        project.pykamal("registry", "remove", check=False)
    assert (
        subprocess.run(
            [REAL_DOCKER, "container", "inspect", "kamal-docker-registry"], capture_output=True, check=False
        ).returncode
        != 0
    )
