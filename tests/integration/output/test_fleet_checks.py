"""``status`` and ``doctor`` against real hosts with real problems: a stopped dockerd, port 80 taken by
another container, a nearly full Docker root, a wrong registry password, two web hosts on different
versions, a host down. Each problem shows where it is, and the rest of the fleet still shows."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PYKAMAL
from deploy_helpers import output, pykamal
from terminal import Terminal

from pykamal.sandbox.core import NAME_LABEL, Sandbox

pytestmark = pytest.mark.integration

AUTH_PORT = 5002
AUTH_USER = "fleet"
RIGHT_PASSWORD = "fleet-Right-Secret-5e2a"
WRONG_PASSWORD = "fleet-Wrong-Secret-93c1"
TINY_ROOT = "/mnt/tiny-docker"


@pytest.fixture(scope="module")
def deployed(project: Path, sandbox: Sandbox) -> Path:
    result = pykamal(project, sandbox, "setup", "-P", "--version", "v1")
    assert result.returncode == 0, output(result)
    return project


def status_json(project: Path, sandbox: Sandbox, *args: str) -> tuple[int, dict[str, Any]]:
    result = pykamal(project, sandbox, "status", "--json", *args, timeout=120)
    assert "Traceback" not in output(result)
    return result.returncode, json.loads(result.stdout)


def doctor_json(project: Path, sandbox: Sandbox, *args: str) -> tuple[int, dict[tuple[str | None, str], Any]]:
    result = pykamal(project, sandbox, "doctor", "--json", "-P", *args, timeout=120)
    assert "Traceback" not in output(result), output(result)
    data = json.loads(result.stdout)
    assert data["ok"] == (result.returncode == 0)
    return result.returncode, {(c["target"], c["check"]): c for c in data["checks"]}


def verdict(checks: dict[tuple[str | None, str], Any], target: str | None, name: str) -> str:
    return str(checks[(target, name)]["verdict"])


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not ready after {timeout}s"
        time.sleep(0.2)


def stop_dockerd(sandbox: Sandbox, host: str) -> None:
    stopped = sandbox.run_on_host(
        host,
        "pkill -x dockerd; for i in $(seq 150); do pgrep -x dockerd >/dev/null || exit 0; sleep 0.1; done;"
        " exit 1",
    )
    assert stopped.returncode == 0, stopped.stderr


def start_dockerd(sandbox: Sandbox, host: str, *flags: str) -> None:
    sandbox.run_on_host(host, f"setsid dockerd {' '.join(flags)} >>/var/log/dockerd.log 2>&1 < /dev/null &")
    wait_until(
        lambda: sandbox.run_on_host(host, "docker info >/dev/null 2>&1").returncode == 0,
        60,
        f"dockerd on {host}",
    )


def test_a_healthy_fleet_then_two_web_hosts_on_different_versions(deployed: Path, sandbox: Sandbox) -> None:
    h1, h2, h3 = sandbox.hosts[:3]
    code, fleet = status_json(deployed, sandbox)
    assert code == 0 and fleet["ok"], fleet["drift"]
    assert {(r["role"], r["host"], r["version"], r["state"]) for r in fleet["roles"]} == {
        ("web", h1, "v1", "running"),
        ("web", h2, "v1", "running"),
        ("web", h3, "v1", "running"),
        ("worker", h3, "v1", "running"),
    }
    code, checks = doctor_json(deployed, sandbox)
    assert code == 0, checks
    for host in (h1, h2, h3):
        assert verdict(checks, host, "port 80") == "ok"
        assert checks[(host, "port 80")]["detail"] == "held by kamal-proxy"
        assert verdict(checks, host, "registry") == "ok" and verdict(checks, host, "kamal-proxy") == "ok"

    result = pykamal(deployed, sandbox, "deploy", "-P", "--version", "v3", "-h", h2)
    assert result.returncode == 0, output(result)
    try:
        code, fleet = status_json(deployed, sandbox)
        assert code == 3
        [drift] = fleet["drift"]
        assert drift["kind"] == "versions_differ" and drift["role"] == "web"
        assert f"{h2} runs v3" in drift["message"] and f"{h1} runs v1" in drift["message"]
        web = {r["host"]: r for r in fleet["roles"] if r["role"] == "web"}
        assert web[h2]["version"] == "v3" and web[h2]["other_versions"] == ["v1"]
        assert web[h2]["proxy"]["routes_to_current"] is True
        assert web[h1]["version"] == web[h3]["version"] == "v1"
    finally:
        result = pykamal(deployed, sandbox, "rollback", "v1", "-h", h2)
        assert result.returncode == 0, output(result)
        # booting v1 again renames the old v1 container to ..._replaced_... and stops it: listed, not drift
        code, fleet = status_json(deployed, sandbox)
        assert fleet["drift"] == [], fleet["drift"]
        assert any(r["replaced"] for r in fleet["roles"] if r["host"] == h2)
        sandbox.run_on_host(h2, "docker ps -aq --filter name=_replaced_ | xargs -r docker rm")


def test_a_stopped_docker_daemon(deployed: Path, sandbox: Sandbox) -> None:
    h1, h2, h3 = sandbox.hosts[:3]
    stop_dockerd(sandbox, h3)
    try:
        code, fleet = status_json(deployed, sandbox)
        assert code == 3
        assert [(d["kind"], d["host"]) for d in fleet["drift"]] == [("docker", h3)]
        assert "Cannot connect to the Docker daemon" in fleet["drift"][0]["message"]
        rows = {(r["role"], r["host"]): r for r in fleet["roles"]}
        assert "Docker does not answer" in rows[("worker", h3)]["problem"]
        assert rows[("web", h1)]["version"] == rows[("web", h2)]["version"] == "v1"

        code, checks = doctor_json(deployed, sandbox)
        assert code == 3
        docker = checks[(h3, "docker")]
        assert docker["verdict"] == "fail" and "does not answer" in docker["detail"]
        assert "start the Docker daemon" in docker["fix"]
        assert verdict(checks, h3, "ssh") == "ok" and verdict(checks, h3, "registry") == "skip"
        assert verdict(checks, h1, "docker") == verdict(checks, h2, "docker") == "ok"
    finally:
        start_dockerd(sandbox, h3)


def test_port_80_taken_by_another_container(deployed: Path, sandbox: Sandbox) -> None:
    h1, h3 = sandbox.hosts[0], sandbox.hosts[2]
    squat = sandbox.run_on_host(
        h3,
        "docker stop kamal-proxy >/dev/null && docker run -d --name squatter -p 80:80 "
        "pykamal-sandbox/busybox httpd -f -p 80",
    )
    assert squat.returncode == 0, squat.stderr
    try:
        code, checks = doctor_json(deployed, sandbox)
        assert code == 3
        port = checks[(h3, "port 80")]
        assert port["verdict"] == "fail" and "squatter" in port["detail"]
        assert "docker rm -f squatter" in port["fix"]
        assert verdict(checks, h3, "port 443") == "ok"
        assert checks[(h1, "port 80")]["detail"] == "held by kamal-proxy"
        assert verdict(checks, h3, "kamal-proxy") == "warn"  # stopped

        code, fleet = status_json(deployed, sandbox)
        assert code == 3 and ("proxy_stopped", h3) in {(d["kind"], d["host"]) for d in fleet["drift"]}
    finally:
        sandbox.run_on_host(h3, "docker rm -f squatter; docker start kamal-proxy")


def test_a_nearly_full_docker_root(deployed: Path, sandbox: Sandbox) -> None:
    h1, h2 = sandbox.hosts[:2]
    stop_dockerd(sandbox, h2)
    try:
        mounted = sandbox.run_on_host(
            h2, f"mkdir -p {TINY_ROOT} && mount -t tmpfs -o size=300m tmpfs {TINY_ROOT}"
        )
        assert mounted.returncode == 0, mounted.stderr
        start_dockerd(sandbox, h2, "--data-root", TINY_ROOT, "--pidfile", "/run/tiny-dockerd.pid")
        filled = sandbox.run_on_host(h2, f"fallocate -l 290m {TINY_ROOT}/filler")
        assert filled.returncode == 0, filled.stderr

        code, checks = doctor_json(deployed, sandbox)
        assert code == 3
        disk = checks[(h2, f"disk {TINY_ROOT}")]
        assert disk["verdict"] == "fail" and "free of 300 MiB" in disk["detail"], disk
        assert "docker system prune" in disk["fix"]
        assert verdict(checks, h2, "disk /") == "ok"
        assert verdict(checks, h1, "disk /var/lib/docker") == "ok"
        failed = [key for key, check in checks.items() if check["verdict"] == "fail"]
        assert failed == [(h2, f"disk {TINY_ROOT}")]
    finally:
        stop_dockerd(sandbox, h2)
        sandbox.run_on_host(h2, f"umount {TINY_ROOT}")
        start_dockerd(sandbox, h2)


@pytest.fixture
def auth_registry(sandbox: Sandbox, tmp_path: Path) -> Iterator[str]:
    """A registry that checks credentials, at ``<base>:5002`` here and on every host."""
    base = sandbox.registry.rsplit(":", 1)[0]
    server, name = f"{base}:{AUTH_PORT}", f"{sandbox.spec.name}-fleet-authregistry"
    subprocess.run(
        ["htpasswd", "-iBc", str(tmp_path / "htpasswd"), AUTH_USER],
        input=RIGHT_PASSWORD, text=True, check=True, capture_output=True,
    )  # fmt: skip
    tmp_path.chmod(0o755)
    (tmp_path / "htpasswd").chmod(0o644)
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(
        ["docker", "run", "--detach", "--name", name, "--network", sandbox.spec.name,
         "--label", f"{NAME_LABEL}={sandbox.spec.name}",
         "-e", "REGISTRY_AUTH=htpasswd", "-e", "REGISTRY_AUTH_HTPASSWD_REALM=fleet",
         "-e", "REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd", "-v", f"{tmp_path}:/auth:ro",
         "pykamal-sandbox/registry:latest"],
        check=True, capture_output=True,
    )  # fmt: skip
    pid_file = "/run/pykamal-fleet-auth-registry.pid"
    for host in sandbox.hosts:
        sandbox.run_on_host(
            host,
            f"[ -f {pid_file} ] && kill $(cat {pid_file}) 2>/dev/null; "
            f"setsid socat TCP-LISTEN:{AUTH_PORT},bind={base},fork,reuseaddr TCP:{name}:5000 "
            f">/dev/null 2>&1 </dev/null & echo $! >{pid_file}",
        )
    probe = f"curl -s -o /dev/null -w '%{{http_code}}' http://{server}/v2/"
    for host in sandbox.hosts:
        wait_until(lambda h=host: sandbox.run_on_host(h, probe).stdout == "401", 30, f"registry from {host}")
    try:
        yield server
    finally:
        for host in sandbox.hosts:
            sandbox.run_on_host(host, f"kill $(cat {pid_file}) 2>/dev/null; rm -f {pid_file}")
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_a_wrong_registry_password(deployed: Path, sandbox: Sandbox, auth_registry: str) -> None:
    config = (deployed / "config" / "deploy.yml").read_text()
    registry = config[config.index("registry:") : config.index("builder:")]
    (deployed / "config" / "deploy.auth.yml").write_text(
        config.replace(
            registry,
            f"registry:\n  server: {auth_registry}\n  username: {AUTH_USER}\n"
            "  password:\n    - AUTH_REGISTRY_PASSWORD\n",
        )
    )
    secrets = deployed / ".kamal" / "secrets"
    original = secrets.read_text()
    for host in sandbox.hosts:
        sandbox.clear_command_log(host)
    try:
        secrets.write_text(original + f"AUTH_REGISTRY_PASSWORD={WRONG_PASSWORD}\n")
        result = pykamal(deployed, sandbox, "doctor", "-P", "-c", "config/deploy.auth.yml", timeout=120)
        text = output(result)
        assert result.returncode == 3, text
        assert WRONG_PASSWORD not in text
        code, checks = doctor_json(deployed, sandbox, "-c", "config/deploy.auth.yml")
        assert code == 3
        for host in sandbox.hosts[:3]:
            check = checks[(host, "registry")]
            assert check["verdict"] == "fail" and "refused the credentials" in check["detail"], check
            assert "registry password secret" in check["fix"]
            assert verdict(checks, host, "docker") == "ok" and verdict(checks, host, "ssh") == "ok"
        assert [k for k, c in checks.items() if c["verdict"] == "fail"] == [
            (host, "registry") for host in sandbox.hosts[:3]
        ]

        secrets.write_text(original + f"AUTH_REGISTRY_PASSWORD={RIGHT_PASSWORD}\n")
        code, checks = doctor_json(deployed, sandbox, "-c", "config/deploy.auth.yml")
        assert code == 0, checks
        assert all(verdict(checks, host, "registry") == "ok" for host in sandbox.hosts[:3])
        for host in sandbox.hosts[:3]:
            log = "\n".join(sandbox.command_log(host))
            assert "--password-stdin" in log
            assert RIGHT_PASSWORD not in log and WRONG_PASSWORD not in log
            # the throwaway login left nothing behind on the host
            config_file = sandbox.run_on_host(host, "cat /root/.docker/config.json 2>/dev/null").stdout
            assert auth_registry not in config_file
    finally:
        secrets.write_text(original)


def test_a_host_down(deployed: Path, sandbox: Sandbox, terminal_factory: Any) -> None:
    h1, h2, h3 = sandbox.hosts[:3]
    container = sandbox.container(h2)
    sandbox.docker.run(["stop", "--time", "1", container])
    try:
        started = time.monotonic()
        code, fleet = status_json(deployed, sandbox)
        assert time.monotonic() - started < 30
        assert code == 3
        assert [(d["kind"], d["host"]) for d in fleet["drift"]] == [("unreachable", h2)]
        rows = {(r["role"], r["host"]): r for r in fleet["roles"]}
        assert rows[("web", h2)]["reachable"] is False and "refused" in rows[("web", h2)]["problem"]
        assert rows[("web", h1)]["version"] == rows[("web", h3)]["version"] == rows[("worker", h3)]["version"]

        code, checks = doctor_json(deployed, sandbox)
        assert code == 3
        ssh = checks[(h2, "ssh")]
        assert ssh["verdict"] == "fail" and "refused" in ssh["detail"] and "start sshd" in ssh["fix"]
        assert [c for (target, _), c in checks.items() if target == h2] == [ssh]
        assert verdict(checks, h1, "ssh") == verdict(checks, h3, "ssh") == "ok"

        # what a person sees: every host's row, the unreachable one saying why
        term: Terminal = terminal_factory(width=160)
        code, screen = term.run(f"{PYKAMAL} status")
        assert code == 3, screen
        lines = screen.splitlines()
        web_rows = [line for line in lines if " web " in line and any(h in line for h in (h1, h2, h3))]
        assert len(web_rows) == 3, screen
        assert any(h2 in line and "unreachable" in line for line in web_rows), screen
        assert sum("v1" in line and "running" in line for line in web_rows) == 2, screen
        assert f"! {h2} cannot be reached" in screen, screen
        code, screen = term.run(f"{PYKAMAL} doctor -P")
        assert code == 3, screen
        assert f"Host {h2}" in screen and "FAIL  ssh" in screen and "fix: start sshd" in screen, screen
        assert screen.count("ok    docker") == 2, screen
    finally:
        sandbox.docker.run(["start", container])
        wait_until(
            lambda: sandbox.run_on_host(h2, "docker info >/dev/null 2>&1").returncode == 0,
            90,
            f"dockerd on {h2}",
        )
