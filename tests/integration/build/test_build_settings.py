"""Builder settings that reach the build (secrets, args, target, dockerfile), and ``build dev``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from build_project import ProcessSampler, make_project, registry_block

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration

BUILD_SECRET = "build-secret-5e1d-canary"
DOCKERFILE = """ARG BASE_IMAGE=pykamal-sandbox/busybox:latest
FROM ${BASE_IMAGE} AS base
COPY app/ /app/
ARG GREETING=none
RUN echo "$GREETING" > /greeting

FROM base AS release
RUN --mount=type=secret,id=BUILD_TOKEN,required=true wc -c < /run/secrets/BUILD_TOKEN > /token-length
CMD ["/app/web"]

FROM base AS other
RUN echo other > /stage
"""


def test_secrets_args_target_and_dockerfile_reach_the_build(sandbox: Sandbox, tmp_path: Path) -> None:
    project = make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder="  arch: amd64\n  driver: docker\n  context: .\n  dockerfile: Dockerfile.release\n"
        "  target: release\n  secrets: [BUILD_TOKEN]\n  args:\n    GREETING: bonjour\n",
    )  # fmt: skip
    (project.root / "Dockerfile.release").write_text(DOCKERFILE)
    with (project.root / ".kamal" / "secrets").open("a") as secrets:
        secrets.write(f"BUILD_TOKEN={BUILD_SECRET}\n")

    hooks = project.root / ".kamal" / "hooks"
    hooks.mkdir()
    for hook in ("pre-connect", "pre-build"):
        (hooks / hook).write_text(
            f'#!/bin/sh\necho "$KAMAL_COMMAND $KAMAL_SUBCOMMAND $KAMAL_VERSION" > {hook}.ran\n'
        )
        (hooks / hook).chmod(0o755)

    sampler = ProcessSampler(sandbox, [])
    with sampler.running(interval=0.02):
        result = project.pykamal("build", "push", "--version", "settings-1", "-v")
    for hook in ("pre-connect", "pre-build"):
        assert (project.root / f"{hook}.ran").read_text() == "build push settings-1\n"
    assert sampler.seen(BUILD_SECRET) == []  # passed in the environment, never on a command line
    assert BUILD_SECRET not in result.stdout + result.stderr
    assert '--secret id="BUILD_TOKEN"' in result.stdout
    assert "--build-arg GREETING=[REDACTED]" in result.stdout  # build args are redacted in logs
    assert "--target release" in result.stdout and "--file Dockerfile.release" in result.stdout

    image = f"{sandbox.registry}/hello:settings-1"
    host = sandbox.hosts[0]
    project.pykamal("build", "pull", "--version", "settings-1", "-h", host)
    read = sandbox.run_on_host(host, f"docker run --rm --entrypoint cat {image} /token-length /greeting")
    assert read.stdout.split() == [str(len(BUILD_SECRET)), "bonjour"]
    assert sandbox.run_on_host(host, f"docker run --rm --entrypoint cat {image} /stage").returncode != 0


def test_build_dev_builds_the_working_tree_and_warns_about_files_git_lacks(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    project = make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder="  arch: amd64\n  driver: docker\n", git=True,
    )  # fmt: skip
    with (project.root / "app" / "web").open("a") as script:
        script.write("# WORKING-TREE-CHANGE\n")
    (project.root / "app" / "notes.txt").write_text("untracked\n")
    (project.root / "ignored.log").write_text("not in the context\n")
    (project.root / ".dockerignore").write_text((project.root / ".dockerignore").read_text() + "*.log\n")
    subprocess.run(["git", "add", ".dockerignore"], cwd=project.root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "-m", "ignore logs"],
        cwd=project.root, check=True,
    )  # fmt: skip
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True, check=True
    ).stdout.strip()

    result = project.pykamal("build", "dev")
    warnings = result.stderr
    assert (
        "WARNING: Files with uncommitted changes will be present in the dev container:\n  app/web" in warnings
    )
    assert "WARNING: Untracked files will be present in the dev container:\n  app/notes.txt" in warnings
    assert "ignored.log" not in warnings
    tag = f"{sandbox.registry}/hello:{head}-dirty"
    try:
        content = project.docker("run", "--rm", "--entrypoint", "cat", tag, "/app/web")
        assert "WORKING-TREE-CHANGE" in content.stdout
    finally:
        project.docker("rmi", tag, f"{sandbox.registry}/hello:latest-dirty", check=False)
