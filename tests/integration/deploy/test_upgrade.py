"""``upgrade`` on hosts laid out as Kamal 1.x leaves them: Traefik on port 80 in front of the
app containers (default bridge network), an accessory outside the ``kamal`` network.

Stand-ins: a busybox httpd named ``traefik`` with Traefik's image title label holds port 80 and
answers "traefik"; the app and worker containers are named and labelled as Kamal 1 names them and
the image is tagged ``latest`` on each host, as Kamal 1 tags it after a deploy.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import get, make_project, output, push_images, pykamal

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration

OLD = "k1"
TRAEFIK_LABEL = "org.opencontainers.image.title=Traefik"


@pytest.fixture(scope="module")
def hosts(sandbox: Sandbox) -> list[str]:
    return sandbox.hosts[:2]


def on(sandbox: Sandbox, host: str, script: str) -> str:
    result = sandbox.run_on_host(host, script)
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def kamal1_host(sandbox: Sandbox, host: str, roles: list[str], accessory: bool) -> None:
    image = f"{sandbox.registry}/hello"
    on(sandbox, host, f"docker pull -q {image}:{OLD} >/dev/null && docker tag {image}:{OLD} {image}:latest")
    on(
        sandbox,
        host,
        f"docker run -d --name traefik --restart unless-stopped --label {TRAEFIK_LABEL} -p 80:80 "
        "pykamal-sandbox/busybox sh -c 'mkdir -p /www && echo traefik > /www/index.html && "
        "exec httpd -f -p 80 -h /www'",
    )
    for role in roles:
        cmd = " /app/worker" if role == "worker" else ""
        on(
            sandbox,
            host,
            f"docker run -d --restart unless-stopped --name hello-{role}-{OLD} -e KAMAL_VERSION={OLD} "
            f"-e WORKER_INTERVAL=5 --label service=hello --label role={role} --label destination= "
            f"--label traefik.http.routers.hello-{role}.rule=PathPrefix\\(\\`/\\`\\) {image}:{OLD}{cmd}",
        )
    if accessory:
        on(
            sandbox,
            host,
            "docker run -d --restart unless-stopped --name hello-kv --label service=hello-kv "
            "pykamal-sandbox/busybox sleep 86400",
        )


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, hosts: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sandbox.reset_hosts()
    push_images(sandbox, {OLD: True})
    root = make_project(tmp_path_factory.mktemp("upgrade"), sandbox, hosts)
    deploy_yml = root / "config" / "deploy.yml"
    accessory = f"accessories:\n  kv:\n    image: pykamal-sandbox/busybox\n    host: {hosts[0]}\n"
    deploy_yml.write_text(deploy_yml.read_text() + accessory + "    cmd: sleep 86400\n")
    kamal1_host(sandbox, hosts[0], ["web"], accessory=True)
    kamal1_host(sandbox, hosts[1], ["web", "worker"], accessory=False)
    yield root
    sandbox.reset_hosts()


def containers(sandbox: Sandbox, host: str) -> dict[str, str]:
    """name -> "status|networks" of every container on the host."""
    lines = on(sandbox, host, "docker ps -a --format '{{.Names}}|{{.State}}|{{.Networks}}'").split()
    return {line.split("|")[0]: "|".join(line.split("|")[1:]) for line in lines}


def test_kamal1_stand_in_answers_through_traefik(sandbox: Sandbox, hosts: list[str], project: Path) -> None:
    for host in hosts:
        assert get(host, "/") == (200, "traefik")
        assert "kamal-proxy" not in containers(sandbox, host)


def test_upgrade_without_confirmation_changes_nothing(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pykamal", "upgrade"],
        cwd=project,
        env=sandbox.make_ssh_env(),
        input="n\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, output(result)
    assert "Aborted" in result.stdout + result.stderr
    for host in hosts:
        assert containers(sandbox, host)["traefik"].startswith("running")


def test_rolling_upgrade_replaces_traefik_and_reboots_app_and_accessory(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    for host in hosts:
        sandbox.clear_command_log(host)
    result = pykamal(project, sandbox, "upgrade", "--rolling", "-y")
    assert result.returncode == 0, output(result)

    for host in hosts:
        found = containers(sandbox, host)
        assert "traefik" not in found, found
        assert found["kamal-proxy"].startswith("running|"), found
        assert found["hello-web-latest"] == "running|kamal", found
        assert not found.get(f"hello-web-{OLD}", "exited").startswith("running"), found
        assert get(host, "/version") == (200, "latest")
        images = on(sandbox, host, "docker images --format '{{.Repository}}'").split()
        assert "pykamal-sandbox/busybox" in images  # only Traefik-labelled images are pruned
    worker_host = containers(sandbox, hosts[1])
    assert worker_host["hello-worker-latest"] == "running|kamal", worker_host
    assert containers(sandbox, hosts[0])["hello-kv"] == "running|kamal"

    # rolling: the second host is not touched before the first one is done
    first = sandbox.command_log_entries(hosts[0])
    second = sandbox.command_log_entries(hosts[1])
    first_boot = max(stamp for stamp, command in first if "hello-web-latest" in command)
    second_traefik = min(stamp for stamp, command in second if "traefik" in command)
    assert first_boot <= second_traefik
    assert "Upgraded " + hosts[0] in result.stdout + result.stderr


def test_proxy_upgrade_on_all_hosts_at_once(sandbox: Sandbox, hosts: list[str], project: Path) -> None:
    for host in hosts:  # Traefik back in front, as if the hosts were still on Kamal 1
        on(sandbox, host, "docker rm -f kamal-proxy >/dev/null")
        on(
            sandbox,
            host,
            f"docker run -d --name traefik --label {TRAEFIK_LABEL} -p 80:80 pykamal-sandbox/busybox "
            "sh -c 'mkdir -p /www && echo traefik > /www/index.html && exec httpd -f -p 80 -h /www'",
        )
        assert get(host, "/") == (200, "traefik")
        sandbox.clear_command_log(host)
    result = pykamal(project, sandbox, "proxy", "upgrade", "-y")
    assert result.returncode == 0, output(result)
    for host in hosts:
        found = containers(sandbox, host)
        assert "traefik" not in found and found["kamal-proxy"].startswith("running|"), found
        assert get(host, "/version") == (200, "latest")
    assert "Upgraded proxy on " + ",".join(hosts) in result.stdout + result.stderr
