"""Login only where needed, password only on stdin, against a registry that checks credentials.

* ``build push`` logs in here (throwaway DOCKER_CONFIG) and touches no host;
* ``build pull`` on a machine without docker: login (stdin) then pull on each app host;
* ``registry login -L`` only touches hosts, ``-R`` only this machine;
* a canary password never shows in any process list (sampled here and on the hosts), in the
  hosts' command logs, or in pykamal's output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from build_project import (
    CANARY,
    USER,
    AuthRegistry,
    ProcessSampler,
    make_project,
    path_without_docker,
    registry_block,
)

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration


def forget_logins(sandbox: Sandbox) -> None:
    for host in sandbox.hosts:
        sandbox.run_on_host(host, "rm -rf /root/.docker")
        sandbox.clear_command_log(host)


def host_logged_in(sandbox: Sandbox, host: str, server: str) -> bool:
    return sandbox.run_on_host(host, f"grep -q '\"{server}\"' /root/.docker/config.json").returncode == 0


def first(log: list[str], pattern: str) -> tuple[int, int]:
    """(command, offset in it) of the first match: steps may share one remote command."""
    for i, line in enumerate(log):
        if found := re.search(pattern, line):
            return i, found.start()
    raise AssertionError(f"nothing matches {pattern!r} in {log}")


def test_skip_push_contract(sandbox: Sandbox, auth_registry: AuthRegistry, tmp_path: Path) -> None:
    server = auth_registry.server
    web, other = sandbox.hosts[:2], sandbox.hosts[2]
    project = make_project(tmp_path, sandbox, registry=registry_block(server))
    forget_logins(sandbox)

    # build push: logs in here (the registry checks the password), never on a host
    pushed = project.pykamal("build", "push", "--version", "contract-1")
    assert server in project.local_auths()
    assert all(sandbox.command_log(host) == [] for host in sandbox.hosts)

    # build pull, as deploy -P runs it, from a machine without docker
    sampler = ProcessSampler(sandbox, sandbox.hosts)
    with sampler.running():
        pulled = project.pykamal(
            "build", "pull", "--version", "contract-1", path=path_without_docker(tmp_path)
        )
    image = f"{server}/hello:contract-1"
    for host in web:
        log = sandbox.command_log(host)
        login = first(log, rf"docker login {re.escape(server)} -u {USER} --password-stdin 2>&1\)")
        assert login < first(log, rf"docker pull {re.escape(image)} ")
        assert host_logged_in(sandbox, host, server)
        assert sandbox.run_on_host(host, f"docker image inspect {image}").returncode == 0
        assert not any(CANARY in line for line in log)
    assert sandbox.command_log(other) == []
    assert sampler.count >= 3, "the process lists were not sampled during the pull"
    assert sampler.seen(CANARY) == []
    for result in (pushed, pulled):
        assert CANARY not in result.stdout + result.stderr


def test_registry_login_skip_local_touches_only_hosts(
    sandbox: Sandbox, auth_registry: AuthRegistry, tmp_path: Path
) -> None:
    project = make_project(tmp_path, sandbox, registry=registry_block(auth_registry.server))
    forget_logins(sandbox)
    sampler = ProcessSampler(sandbox, sandbox.hosts)
    with sampler.running():
        # no docker on PATH: any local docker command would fail the login
        project.pykamal("registry", "login", "-L", path=path_without_docker(tmp_path))
    assert project.local_auths() == set()
    for host in sandbox.hosts[:2]:
        log = sandbox.command_log(host)
        assert log == [f"docker login {auth_registry.server} -u {USER} --password-stdin"]
        assert host_logged_in(sandbox, host, auth_registry.server)
    assert sampler.seen(CANARY) == []


def test_registry_login_skip_remote_touches_only_this_machine(
    sandbox: Sandbox, auth_registry: AuthRegistry, tmp_path: Path
) -> None:
    project = make_project(tmp_path, sandbox, registry=registry_block(auth_registry.server))
    forget_logins(sandbox)
    sampler = ProcessSampler(sandbox, [])
    with sampler.running():
        result = project.pykamal("registry", "login", "-R")
    assert all(sandbox.command_log(host) == [] for host in sandbox.hosts)
    assert not any(host_logged_in(sandbox, host, auth_registry.server) for host in sandbox.hosts)
    assert project.local_auths() == {auth_registry.server}
    assert sampler.seen(CANARY) == []
    assert CANARY not in result.stdout + result.stderr

    project.pykamal("registry", "logout", "-R")
    assert project.local_auths() == set()
    assert all(sandbox.command_log(host) == [] for host in sandbox.hosts)


def test_refused_credentials_name_the_hosts_and_the_registry(
    sandbox: Sandbox, auth_registry: AuthRegistry, tmp_path: Path
) -> None:
    wrong = "wrong-password-1234"
    project = make_project(tmp_path, sandbox, registry=registry_block(auth_registry.server), password=wrong)
    result = project.pykamal("registry", "login", "-L", check=False)
    assert result.returncode != 0
    for host in sandbox.hosts[:2]:
        assert f"{host}: registry {auth_registry.server} refused the credentials" in result.stderr
    assert wrong not in result.stdout + result.stderr

    result = project.pykamal("registry", "login", "-R", check=False)
    assert result.returncode != 0
    assert f"registry {auth_registry.server} refused the credentials" in result.stderr
    assert "on this machine" in result.stderr


def test_deploy_skip_push_needs_no_docker_here(
    sandbox: Sandbox, auth_registry: AuthRegistry, tmp_path: Path
) -> None:
    """``deploy -P`` from a machine without docker: hosts log in (stdin) where they pull."""
    import urllib.request

    server = auth_registry.server
    web = sandbox.hosts[:2]
    project = make_project(tmp_path, sandbox, registry=registry_block(server))
    with (project.root / "config" / "deploy.yml").open("a") as config:
        config.write("proxy:\n  app_port: 80\n  healthcheck:\n    path: /up\n    interval: 1\n")
        config.write("drain_timeout: 2\nreadiness_delay: 0\n")
    project.pykamal("build", "push", "--version", "contract-2")
    sandbox.reset_hosts()

    sampler = ProcessSampler(sandbox, sandbox.hosts)
    with sampler.running():
        deployed = project.pykamal(
            "deploy", "-P", "--version", "contract-2", path=path_without_docker(tmp_path)
        )
    for host in web:
        log = sandbox.command_log(host)
        login = first(log, rf"docker login {re.escape(server)} -u {USER} --password-stdin")
        assert login < first(log, rf"docker pull {re.escape(server)}/hello:contract-2 ")
        assert not any(CANARY in line for line in log)
        with urllib.request.urlopen(f"http://{host}/version", timeout=5) as response:
            assert response.read().decode().strip() == "contract-2"
    assert sampler.seen(CANARY) == []
    assert CANARY not in deployed.stdout + deployed.stderr
    sandbox.reset_hosts()
