"""A registry that requires credentials (htpasswd), next to the sandbox's open one.

Reachable at ``<sandbox base address>:5001`` both here (published port) and on every host (a
socat forwarder on the host's copy of that address), so the same image name works for push and
pull, and the hosts' dockerds treat it as an insecure (plain HTTP) loopback registry.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from build_project import CANARY, USER, AuthRegistry

from pykamal.sandbox.core import NAME_LABEL, Sandbox

AUTH_PORT = 5001


@pytest.fixture(scope="session")
def auth_registry(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthRegistry]:
    base = sandbox.registry.rsplit(":", 1)[0]
    server = f"{base}:{AUTH_PORT}"
    name = f"{sandbox.spec.name}-authregistry"
    folder: Path = tmp_path_factory.mktemp("auth-registry")
    # the password goes in on stdin: no process list shows it, not even during setup
    subprocess.run(
        ["htpasswd", "-iBc", str(folder / "htpasswd"), USER], input=CANARY, text=True, check=True,
        capture_output=True,
    )  # fmt: skip
    folder.chmod(0o755)
    (folder / "htpasswd").chmod(0o644)
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(
        [
            "docker", "run", "--detach", "--name", name, "--network", sandbox.spec.name,
            "--label", f"{NAME_LABEL}={sandbox.spec.name}",
            "-e", "REGISTRY_AUTH=htpasswd", "-e", "REGISTRY_AUTH_HTPASSWD_REALM=pykamal-test",
            "-e", "REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd",
            "-v", f"{folder}:/auth:ro", "-p", f"{server}:5000", "pykamal-sandbox/registry:latest",
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    pid_file = "/run/pykamal-test-auth-registry.pid"
    forwarder = (
        f"[ -f {pid_file} ] && kill $(cat {pid_file}) 2>/dev/null; "
        f"setsid socat TCP-LISTEN:{AUTH_PORT},bind={base},fork,reuseaddr TCP:{name}:5000 "
        f">/dev/null 2>&1 </dev/null & echo $! >{pid_file}"
    )
    for host in sandbox.hosts:
        sandbox.run_on_host(host, forwarder)
    _wait_for_auth_challenge(f"http://{server}/v2/")
    for host in sandbox.hosts:
        deadline = time.monotonic() + 20
        while (
            sandbox.run_on_host(host, f"curl -s -o /dev/null -w '%{{http_code}}' http://{server}/v2/").stdout
            != "401"
        ):
            assert time.monotonic() < deadline, f"auth registry not reachable from {host}"
            time.sleep(0.2)
    try:
        yield AuthRegistry(server, name)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def _wait_for_auth_challenge(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
        except urllib.error.HTTPError as error:
            if error.code == 401:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} never asked for credentials"
        time.sleep(0.2)
