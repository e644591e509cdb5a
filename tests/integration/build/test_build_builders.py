"""Builders other than the local docker driver, as far as this offline machine allows.

* buildx missing: a single-platform build falls back to ``docker build`` (BuildKit) and says so;
  a multi-platform one stops with a clear error;
* a remote builder on a sandbox host over ``ssh://``: ``build create|details|remove`` really
  create the docker context and buildx builder, docker reaches the host through it, and an
  unreachable builder host is named. Booting BuildKit there needs the ``moby/buildkit`` image
  (not pullable offline) in a privileged container (refused by the hosts' nested dockerd), so
  ``build push`` ends with an error that says exactly that.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path

import pytest
from build_project import Project, make_project, registry_block

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration

# the Debian docker client (20.10) has BuildKit built in; without the plugin it is a machine
# with no buildx at all
CLIENT_WITHOUT_PLUGIN = "/usr/bin/docker"


def without_buildx(tmp_path: Path) -> str:
    folder = tmp_path / "no-buildx"
    folder.mkdir()
    wrapper = folder / "docker"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = buildx ]; then echo "docker: \'buildx\' is not a docker command." >&2; exit 1; fi\n'
        f'exec {CLIENT_WITHOUT_PLUGIN} "$@"\n'
    )
    wrapper.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def registry_tags(registry: str, repository: str) -> list[str]:
    with urllib.request.urlopen(f"http://{registry}/v2/{repository}/tags/list", timeout=5) as response:
        return list(json.loads(response.read()).get("tags") or [])


@pytest.mark.skipif(not Path(CLIENT_WITHOUT_PLUGIN).exists(), reason="needs Debian's docker client")
def test_without_buildx_a_single_platform_build_falls_back_to_docker_build(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    project = make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder="  arch: amd64\n  context: .\n",  # docker-container driver: would need buildx
    )  # fmt: skip
    result = project.pykamal("build", "push", "--version", "no-buildx-1", path=without_buildx(tmp_path))
    assert "building for linux/amd64 with `docker build` (BuildKit) instead" in result.stderr
    assert "no-buildx-1" in registry_tags(sandbox.registry, "hello")
    assert "latest" in registry_tags(sandbox.registry, "hello")

    project.pykamal("build", "pull", "--version", "no-buildx-1", "-h", sandbox.hosts[0])
    label = sandbox.run_on_host(
        sandbox.hosts[0],
        f"docker image inspect --format '{{{{ index .Config.Labels \"service\" }}}}' "
        f"{sandbox.registry}/hello:no-buildx-1",
    )
    assert label.stdout.strip() == "hello"


def test_without_buildx_a_multi_platform_build_is_a_clear_error(sandbox: Sandbox, tmp_path: Path) -> None:
    project = make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder="  arch: [amd64, arm64]\n  context: .\n",
    )  # fmt: skip
    result = project.pykamal(
        "build", "push", "--version", "multi-1", path=without_buildx(tmp_path), check=False
    )
    assert result.returncode != 0
    assert (
        "Docker buildx plugin is not installed locally: it is needed to build for several platforms "
        "(linux/amd64, linux/arm64)" in result.stderr
    )
    assert project.local_auths() == set()  # it stopped before logging in


def ssh_wrapper_path(sandbox: Sandbox, tmp_path: Path) -> str:
    """docker reaches ssh:// contexts with the ssh client: give it the sandbox's ssh config."""
    folder = tmp_path / "ssh-wrapper"
    folder.mkdir(exist_ok=True)
    wrapper = folder / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {sandbox.ssh_config_path} "$@"\n')
    wrapper.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def remote_builder_project(sandbox: Sandbox, tmp_path: Path, host: str) -> Project:
    return make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder=f"  arch: amd64\n  local: false\n  remote: ssh://root@{host}\n  context: .\n",
    )  # fmt: skip


def test_remote_builder_on_a_sandbox_host(sandbox: Sandbox, tmp_path: Path) -> None:
    host = sandbox.hosts[0]
    project = remote_builder_project(sandbox, tmp_path, host)
    path = ssh_wrapper_path(sandbox, tmp_path)
    name = "kamal-remote-ssh---root-" + host.replace(".", "-")
    context = f"{name}-context"
    sandbox.clear_command_log(host)

    project.pykamal("build", "create", path=path)
    assert "true" in sandbox.command_log(host)  # the builder host was checked over SSH first
    endpoint = project.docker("context", "inspect", context, "--format", "{{.Endpoints.docker.Host}}")
    assert endpoint.stdout.strip() == f"ssh://root@{host}"
    inspect = project.docker("buildx", "inspect", name)
    assert re.search(rf"Endpoint:\s+{re.escape(context)}", inspect.stdout)
    # docker really reaches the builder host's daemon through the context
    info = project.docker("--context", context, "info", "--format", "{{.Name}}", path=path)
    assert info.stdout.strip() == sandbox.run_on_host(host, "hostname").stdout.strip()

    details = project.pykamal("build", "details", path=path)
    assert details.stdout.startswith("Builder: remote\n")
    assert context in details.stdout

    pushed = project.pykamal("build", "push", "--version", "remote-1", path=path, check=False)
    if pushed.returncode == 0:  # a host able to run BuildKit (moby/buildkit image, privileged containers)
        assert "remote-1" in registry_tags(sandbox.registry, "hello")
    else:  # here: said plainly, instead of docker's message about Docker Hub
        assert f"could not start BuildKit on the remote builder ssh://root@{host}" in pushed.stderr
    assert project.local_auths() == set()  # a remote builder pushes with its own credentials

    project.pykamal("build", "remove", path=path)
    assert project.docker("context", "inspect", context, check=False).returncode != 0
    assert project.docker("buildx", "inspect", name, check=False).returncode != 0


def test_unreachable_remote_builder_is_named(sandbox: Sandbox, tmp_path: Path) -> None:
    base = sandbox.registry.rsplit(":", 1)[0]
    nowhere = base.rsplit(".", 1)[0] + ".99"  # a loopback address nothing listens on
    project = remote_builder_project(sandbox, tmp_path, nowhere)
    for step in (("build", "push", "--version", "remote-2"), ("build", "create")):
        result = project.pykamal(*step, check=False)
        assert result.returncode != 0
        assert f"Remote builder ssh://root@{nowhere} is unreachable" in result.stderr
        assert "Traceback" not in result.stderr
    assert project.docker("buildx", "ls").stdout.count("kamal-remote") == 0


def test_multi_platform_build_with_buildx(sandbox: Sandbox, tmp_path: Path) -> None:
    """Several platforms need the docker-container driver (BuildKit in a container) and, for the
    foreign one, QEMU binfmt. This machine has neither the moby/buildkit image nor binfmt, so
    the build stops with a message that says what is missing."""
    project = make_project(
        tmp_path, sandbox, registry=registry_block(sandbox.registry),
        builder="  arch: [amd64, arm64]\n  context: .\n",
    )  # fmt: skip
    result = project.pykamal("build", "push", "--version", "multi-2", check=False)
    name = "kamal-local-docker-container"
    try:
        assert re.search(rf"Endpoint:|Name:\s+{name}", project.docker("buildx", "inspect", name).stdout)
        if result.returncode == 0:
            assert "multi-2" in registry_tags(sandbox.registry, "hello")
        else:
            assert (
                "could not start BuildKit on this machine" in result.stderr
                or "needs QEMU emulation" in result.stderr
            ), result.stderr
            assert "--platform linux/amd64,linux/arm64" in result.stdout
    finally:
        project.docker("buildx", "rm", name, check=False)
