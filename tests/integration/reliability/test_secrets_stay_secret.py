"""Canary secrets (an env secret, the registry password, a build secret) through a full deploy.

None may appear in pykamal's output (verbose), in any process's argv here or on the hosts
(sampled with ps all through the deploy), in the hosts' command logs, in the images, or in
`docker inspect` of the app containers — except the env secret in the container's environment
(Config.Env), which is where the app reads it and which Docker reports by design.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from reliability_project import EXAMPLE, ProcessLists, Project

pytestmark = pytest.mark.integration

ENV_CANARY = "canary-env-5b7e0d21c4"
REGISTRY_CANARY = "canary-registry-9f3a6e18b2"
BUILD_CANARY = "canary-build-71c2d4f09a"
CANARIES = (ENV_CANARY, REGISTRY_CANARY, BUILD_CANARY)

DOCKERFILE = """ARG BASE_IMAGE=pykamal-sandbox/busybox:latest
FROM ${BASE_IMAGE}
COPY app/ /app/
RUN --mount=type=secret,id=BUILD_TOKEN,required=true wc -c < /run/secrets/BUILD_TOKEN > /token-length
EXPOSE 80
CMD ["/app/web"]
"""


def test_canary_secrets_never_leak_during_a_full_deploy(project: Project, tmp_path: Path) -> None:
    sandbox = project.sandbox
    root = project.root
    shutil.copytree(EXAMPLE / "app", root / "app")
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / ".kamal" / "secrets").write_text(
        f"KAMAL_REGISTRY_PASSWORD={REGISTRY_CANARY}\nAPP_TOKEN={ENV_CANARY}\nBUILD_TOKEN={BUILD_CANARY}\n"
    )
    project.write(env_secret=True, extra="")
    deploy_yml = root / "config" / "deploy.yml"
    deploy_yml.write_text(
        deploy_yml.read_text().replace("  context: .\n", "  context: .\n  secrets:\n    - BUILD_TOKEN\n")
    )
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    project.env["DOCKER_CONFIG"] = str(docker_config)

    with ProcessLists(sandbox, sandbox.hosts) as processes:
        result = project.pykamal("deploy", "--version", "canary-1", "-v", timeout=600)
    output = result.stdout + result.stderr
    assert "Build and push app image..." in output and "[REDACTED]" in output
    print(f"process lists sampled: {processes.rounds} rounds of {1 + len(sandbox.hosts)} machines")
    assert processes.rounds >= 5  # the process lists really were sampled during the deploy
    assert any("docker" in line for line in processes.lines_with("canary-1"))

    web, worker = project.web[0], project.worker[0]
    app_web, app_worker = "hello-web-canary-1", "hello-worker-canary-1"
    # the secrets did reach their destinations: the build and the app's environment
    read = sandbox.run_on_host(web, f"docker exec {app_web} sh -c 'cat /token-length; echo $APP_TOKEN'")
    assert read.stdout.split() == [str(len(BUILD_CANARY)), ENV_CANARY], read.stderr
    mode = sandbox.run_on_host(web, "stat -c %a /root/.kamal/apps/hello/env/roles/web.env").stdout.strip()
    assert mode == "600"

    for canary in CANARIES:
        assert canary not in output, canary
        assert processes.lines_with(canary) == [], canary
        for host in sandbox.hosts:
            assert canary not in "\n".join(sandbox.command_log(host)), (canary, host)

    for host, container in ((web, app_web), (project.web[1], app_web), (worker, app_worker)):
        inspected = sandbox.run_on_host(host, f"docker inspect {container}")
        assert inspected.returncode == 0, inspected.stderr
        info = json.loads(inspected.stdout)[0]
        env = info["Config"].pop("Env")
        assert f"APP_TOKEN={ENV_CANARY}" in env
        assert not any(c in value for value in env for c in (REGISTRY_CANARY, BUILD_CANARY))
        rest = json.dumps(info)
        for canary in CANARIES:
            assert canary not in rest, (canary, host, container)
        name = info["Config"]["Image"]
        image = sandbox.run_on_host(host, f"docker image inspect {name}; docker history --no-trunc {name}")
        assert image.returncode == 0, image.stderr
        for canary in CANARIES:
            assert canary not in image.stdout, (canary, host)
