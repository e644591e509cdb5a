"""Exec-style commands with their options after the command words, on two destinations.

Production (deploy.yml): web on host 0, worker on host 1, accessory on host 0.
Staging (deploy.staging.yml): web and worker on host 2, accessory on host 2.
Each case runs one pykamal command line and reads every host's sshd command log: the command
ran on exactly the hosts the options select, with exactly the intended words.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import make_project, output, push_images, pykamal

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration

VERSION = "x1"


def staging_text(host: str) -> str:
    return f"servers:\n  web:\n    hosts:\n      - {host}\n  worker:\n    hosts:\n      - {host}\n" + (
        "    cmd: /app/worker\n"
    )


def accessory_text(host: str) -> str:
    return (
        f"accessories:\n  kv:\n    image: pykamal-sandbox/busybox\n    host: {host}\n    cmd: sleep 86400\n"
    )


@pytest.fixture(scope="module")
def hosts(sandbox: Sandbox) -> list[str]:
    if len(sandbox.hosts) < 3:
        pytest.skip("needs three sandbox hosts")
    return sandbox.hosts[:3]


@pytest.fixture(scope="module")
def project(sandbox: Sandbox, hosts: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sandbox.reset_hosts()
    push_images(sandbox, {VERSION: True})
    root = make_project(tmp_path_factory.mktemp("exec"), sandbox, [hosts[0], hosts[1]])
    deploy_yml = root / "config" / "deploy.yml"
    # production: web on host 0 only, worker on host 1 only
    text = deploy_yml.read_text().replace(f"      - {hosts[1]}\n  worker:", "  worker:", 1)
    deploy_yml.write_text(text + accessory_text(hosts[0]))
    (root / "config" / "deploy.staging.yml").write_text(staging_text(hosts[2]) + accessory_text(hosts[2]))
    (root / ".kamal" / "secrets.staging").write_text((root / ".kamal" / "secrets").read_text())
    for destination in ([], ["-d", "staging"]):
        result = pykamal(root, sandbox, "setup", "-P", "--version", VERSION, *destination)
        assert result.returncode == 0, output(result)
    yield root
    sandbox.reset_hosts()


def ran_on(sandbox: Sandbox, hosts: list[str], marker: str) -> dict[str, list[str]]:
    """Per host, the docker commands (and, for server exec, plain commands) holding ``marker``.

    The audit log line that names the command is left out: it is not the command running."""
    return {
        host: [c for c in sandbox.command_log(host) if marker in c and "-audit.log" not in c]
        for host in hosts
    }


def run_case(
    sandbox: Sandbox, project: Path, hosts: list[str], *args: str
) -> subprocess.CompletedProcess[str]:
    for host in hosts:
        sandbox.clear_command_log(host)
    result = pykamal(project, sandbox, *args)
    assert result.returncode == 0, output(result)
    return result


def hosts_running(logged: dict[str, list[str]]) -> set[str]:
    return {host for host, commands in logged.items() if commands}


def ends_with_words(command: str, words: str) -> bool:
    """The logged command line ends with exactly ``words`` (after the image / container name)."""
    return re.search(r"(?:^|\s)" + re.escape(words) + r"'?$", command) is not None


APP_CASES = [
    # (command line after `pykamal`, index of the hosts it must run on, remote words)
    (["app", "exec", "echo", "M1", "-d", "staging"], {2}, "echo M1"),
    (["app", "exec", "echo", "M2", "-r", "worker"], {1}, "echo M2"),
    (["app", "exec", "echo", "M3", "-r", "worker", "-d", "staging"], {2}, "echo M3"),
    (["app", "exec", "echo", "M4", "-r", "web"], {0}, "echo M4"),
    (["app", "exec", "echo", "M5", "-p"], {0}, "echo M5"),
    (["app", "exec", "echo", "M6", "-q", "-d", "staging"], {2}, "echo M6"),
    (["app", "exec", "echo", "M7", "--reuse", "-d", "staging"], {2}, "echo M7"),
    (["app", "exec", "echo", "M8", "--reuse", "-r", "worker"], {1}, "echo M8"),
    (["app", "exec", "-d", "staging", "--", "echo", "-d", "M9", "-r", "x"], {2}, "echo -d M9 -r x"),
    (["app", "exec", "echo M10 -p", "-d", "staging", "-p"], {2}, "echo M10 -p"),
]


@pytest.mark.parametrize(
    ("args", "expected", "words"), APP_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_app_exec_acts_on_the_chosen_destination_roles_and_hosts(
    sandbox: Sandbox, hosts: list[str], project: Path, args: list[str], expected: set[int], words: str
) -> None:
    marker = next(w for w in words.split() if re.fullmatch(r"M\d+", w))
    result = run_case(sandbox, project, hosts, *args)
    logged = ran_on(sandbox, hosts, marker)
    assert hosts_running(logged) == {hosts[i] for i in expected}, (logged, output(result))
    for host in hosts_running(logged):
        for command in logged[host]:
            assert ends_with_words(command, words), logged
            assert ("docker exec" in command) == ("--reuse" in args), command
    assert words.removeprefix("echo ") in result.stdout


def test_app_exec_hosts_option_after_the_command(sandbox: Sandbox, hosts: list[str], project: Path) -> None:
    result = run_case(sandbox, project, hosts, "app", "exec", "echo", "H1", "-h", hosts[1])
    logged = ran_on(sandbox, hosts, "H1")
    assert hosts_running(logged) == {hosts[1]}, output(result)
    result = run_case(sandbox, project, hosts, "app", "exec", "echo", "H2", "-d", "staging", "-h", hosts[2])
    assert hosts_running(ran_on(sandbox, hosts, "H2")) == {hosts[2]}, output(result)


def test_app_exec_interactive_after_the_command(sandbox: Sandbox, hosts: list[str], project: Path) -> None:
    for host in hosts:
        sandbox.clear_command_log(host)
    result = pykamal(project, sandbox, "app", "exec", "echo", "I1", "--reuse", "-i", "-d", "staging")
    assert result.returncode == 0, output(result)
    logged = ran_on(sandbox, hosts, "I1")
    assert hosts_running(logged) == {hosts[2]}, output(result)
    command = logged[hosts[2]][-1]
    # no terminal on this side: `docker exec -i`, a terminal would add -t
    assert re.match(r"docker exec -it? hello-web-staging-x1 echo I1$", command), command


SERVER_CASES = [
    (["server", "exec", "echo S1", "-d", "staging"], {2}, "echo S1"),
    (["server", "exec", "echo", "S2", "-r", "worker"], {1}, "echo S2"),
    (["server", "exec", "echo", "S3", "-p", "-d", "staging"], {2}, "echo S3"),
    (["server", "exec", "echo", "S4", "-q"], {0, 1}, "echo S4"),
    (["server", "exec", "-d", "staging", "--", "echo", "-r", "S5", "-h", "x"], {2}, "echo -r S5 -h x"),
]


@pytest.mark.parametrize(
    ("args", "expected", "words"), SERVER_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_server_exec_acts_on_the_chosen_destination_roles_and_hosts(
    sandbox: Sandbox, hosts: list[str], project: Path, args: list[str], expected: set[int], words: str
) -> None:
    marker = next(w for w in words.split() if re.fullmatch(r"S\d+", w))
    result = run_case(sandbox, project, hosts, *args)
    logged = ran_on(sandbox, hosts, marker)
    assert hosts_running(logged) == {hosts[i] for i in expected}, (logged, output(result))
    for host in hosts_running(logged):
        assert logged[host] == [words] or all(ends_with_words(c, words) for c in logged[host]), logged[host]


def test_server_exec_hosts_option_after_the_command(
    sandbox: Sandbox, hosts: list[str], project: Path
) -> None:
    result = run_case(sandbox, project, hosts, "server", "exec", "echo", "S6", "-h", hosts[1])
    assert hosts_running(ran_on(sandbox, hosts, "S6")) == {hosts[1]}, output(result)


ACCESSORY_CASES = [
    (["accessory", "exec", "kv", "echo", "A1", "--reuse", "-d", "staging"], {2}, "echo A1"),
    (["accessory", "exec", "kv", "echo", "A2", "--reuse"], {0}, "echo A2"),
    (["accessory", "exec", "kv", "--reuse", "-d", "staging", "--", "echo", "-d", "A3"], {2}, "echo -d A3"),
]


@pytest.mark.parametrize(
    ("args", "expected", "words"), ACCESSORY_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_accessory_exec_acts_on_the_chosen_destination(
    sandbox: Sandbox, hosts: list[str], project: Path, args: list[str], expected: set[int], words: str
) -> None:
    marker = next(w for w in words.split() if re.fullmatch(r"A\d+", w))
    result = run_case(sandbox, project, hosts, *args)
    logged = ran_on(sandbox, hosts, marker)
    assert hosts_running(logged) == {hosts[i] for i in expected}, (logged, output(result))
    for host in hosts_running(logged):
        command = logged[host][-1]
        assert "docker exec" in command and ends_with_words(command, words), command
