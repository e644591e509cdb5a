"""``doctor``: the probe's real output (captured from sandbox hosts) parsed and judged, DNS verdicts,
SSH failures with their fixes, the JSON form, and the probe's contract (password on stdin only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pykamal.commands import doctor as probe
from pykamal.commands.base import Sensitive
from pykamal.commands.doctor import DoctorFacts, RegistryLogin
from pykamal.flows.doctor import (
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
    DoctorReport,
    HostPlan,
    config_failed,
    dns_verdict,
    judge_host,
    ssh_failure,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "doctor"
HOST = "127.0.2.11"
PASSWORD = "doctor-Secret-51d2"
PLAN = HostPlan(
    host=HOST,
    user="root",
    runs_proxy=True,
    ports=(80, 443),
    registry="127.0.2.10:5000",
    login_ready=True,
    local_registry=False,
)


def captured(name: str) -> DoctorFacts:
    return probe.parse((FIXTURES / name).read_text())


def judged(facts: DoctorFacts, plan: HostPlan = PLAN, skew: float = 0.0) -> dict[str, Check]:
    assert facts.now is not None
    checks = judge_host(plan, facts, facts.now - skew, 0.2, None)
    return {c.name: c for c in checks}


def test_the_password_goes_to_stdin_and_never_into_the_command() -> None:
    command = probe.probe(RegistryLogin("registry.example.com", "deployer", PASSWORD))
    assert PASSWORD not in command.shell() and PASSWORD not in command.display()
    assert isinstance(command.stdin, Sensitive) and command.stdin.value == PASSWORD
    shell = command.shell()
    assert "--password-stdin" in shell and "DOCKER_CONFIG=$conf" in shell and 'rm -rf "$conf"' in shell
    assert shell.startswith("pw=$(cat)")
    without = probe.probe(None)
    assert without.stdin is None and "docker login" not in without.shell() and "cat)" not in without.shell()


def test_a_healthy_host_passes_every_check() -> None:
    facts = captured("healthy.txt")
    assert facts.docker == "ok" and facts.server_version == "20.10.24+dfsg1"
    assert facts.docker_root == "/var/lib/docker" and facts.user == "root"
    assert facts.disks["/"][0] == 264212084 and 22 in facts.listening and 80 not in facts.listening
    assert facts.proxy_state is None and facts.registry == "ok"
    checks = judged(facts)
    assert {name: c.verdict for name, c in checks.items()} == {
        "docker": OK,
        "disk /": OK,
        "disk /var/lib/docker": OK,
        "port 80": OK,
        "port 443": OK,
        "registry": OK,
        "clock": OK,
        "kamal-proxy": OK,
    }


def test_port_80_taken_by_another_container_names_it() -> None:
    facts = captured("port80_taken.txt")
    assert facts.published == {80: ["squatter"]} and 80 in facts.listening
    checks = judged(facts)
    assert checks["port 80"].verdict == FAIL and "squatter" in checks["port 80"].detail
    assert checks["port 80"].fix is not None and "docker rm -f squatter" in checks["port 80"].fix
    assert checks["port 443"].verdict == OK


def test_ports_held_by_kamal_proxy_or_another_process() -> None:
    facts = captured("healthy.txt")
    facts.published = {80: ["kamal-proxy"], 443: ["kamal-proxy"]}
    facts.proxy_state, facts.proxy_image = "running", "basecamp/kamal-proxy:v0.9.2"
    checks = judged(facts)
    assert checks["port 80"].detail == "held by kamal-proxy" and checks["kamal-proxy"].verdict == OK
    facts = captured("healthy.txt")
    facts.listening.add(443)
    assert "outside Docker" in judged(facts)["port 443"].detail
    assert "port 80" not in judged(facts, dataclasses.replace(PLAN, runs_proxy=False))


def test_docker_stopped_missing_or_forbidden() -> None:
    down = probe.parse(
        (FIXTURES / "healthy.txt")
        .read_text()
        .replace(
            "@pykamal docker ok 20.10.24+dfsg1|/var/lib/docker",
            "@pykamal docker error Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
            "Is the docker daemon running?",
        )
    )
    checks = judged(down)
    assert checks["docker"].verdict == FAIL and "does not answer" in checks["docker"].detail
    assert checks["registry"].verdict == SKIP and checks["kamal-proxy"].verdict == SKIP
    assert checks["disk /var/lib/docker"].verdict == OK  # the default root is still measured
    forbidden = dataclasses.replace(
        down, user="deploy", docker_error="permission denied while trying to connect to the Docker daemon"
    )
    check = judged(forbidden)["docker"]
    assert "deploy may not use Docker" in check.detail and "usermod -aG docker deploy" in (check.fix or "")
    missing = probe.parse("@pykamal now 5\n@pykamal user root root\n@pykamal docker missing\n")
    assert "server bootstrap" in (judged(missing)["docker"].fix or "")


def test_a_nearly_full_docker_root_fails_and_a_small_margin_warns() -> None:
    facts = captured("healthy.txt")
    facts.docker_root = "/mnt/small"
    facts.disks["/mnt/small"] = (262144, 8192)  # 256 MiB, 8 MiB free
    check = judged(facts)["disk /mnt/small"]
    assert check.verdict == FAIL and check.detail == "8 MiB free of 256 MiB (97% used)"
    facts.disks["/mnt/small"] = (100 * 1024 * 1024, 3 * 1024 * 1024)
    assert judged(facts)["disk /mnt/small"].verdict == WARN


def test_registry_login_failures_are_told_apart() -> None:
    facts = captured("healthy.txt")
    facts.registry = "error"
    facts.registry_error = (
        'Error response from daemon: Get "http://127.0.2.10:5001/v2/": unauthorized: authentication required'
    )
    check = judged(facts)["registry"]
    assert check.verdict == FAIL and "refused the credentials" in check.detail
    facts.registry_error = (
        'Error response from daemon: Get "http://x:5999/v2/": dial tcp x:5999: connect: connection refused'
    )
    assert "cannot reach" in judged(facts)["registry"].detail
    local = dataclasses.replace(PLAN, local_registry=True)
    assert judged(facts, local)["registry"].verdict == SKIP


def test_clock_skew() -> None:
    facts = captured("healthy.txt")
    assert judged(facts, skew=2)["clock"].verdict == OK
    assert judged(facts, skew=30)["clock"].verdict == WARN
    late = judged(facts, skew=-600)["clock"]
    assert late.verdict == FAIL and late.detail == "600s behind this machine"


def test_an_old_kamal_proxy_fails() -> None:
    facts = captured("healthy.txt")
    facts.proxy_state, facts.proxy_image = "running", "basecamp/kamal-proxy:v0.8.7"
    check = judged(facts)["kamal-proxy"]
    assert check.verdict == FAIL and check.fix == "pykamal proxy reboot"


@pytest.mark.parametrize(
    ("reason", "fix_has"),
    [
        ("timed out after 10 s connecting to root@10.0.0.9:22 (is the host up?)", "host is up"),
        ("could not connect to root@h:22: connection refused (is sshd running there?)", "start sshd"),
        ("authentication failed for root@h (check ssh/user, ssh/keys and your ssh agent)", "authorized_keys"),
        ("host key for h has CHANGED (server offered ...)", "ssh-keygen -R"),
        ("could not resolve h: Name or service not known (is the name in servers right?)", "host name"),
    ],
)
def test_ssh_failures_come_with_their_fix(reason: str, fix_has: str) -> None:
    check = ssh_failure("h", reason, "root")
    assert check.verdict == FAIL and check.detail == reason and fix_has in (check.fix or "")


def test_dns_pointing_elsewhere_or_nowhere_is_a_warning() -> None:
    answers: dict[str, tuple[str, ...] | str] = {
        "app.example.com": ("203.0.113.5",),
        "cdn.example.com": ("198.51.100.7",),
        "web1.internal": ("203.0.113.5",),
        "gone.example.com": "Name or service not known",
    }
    hosts = ("web1.internal", "203.0.113.9")
    assert dns_verdict("app.example.com", "web", hosts, answers).verdict == OK
    elsewhere = dns_verdict("cdn.example.com", "web", hosts, answers)
    assert elsewhere.verdict == WARN and "CDN" in elsewhere.detail
    nowhere = dns_verdict("gone.example.com", "web", hosts, answers)
    assert nowhere.verdict == WARN and "does not resolve" in nowhere.detail
    assert dns_verdict("*.example.com", "web", hosts, answers).verdict == SKIP


def test_json_form_and_verdict() -> None:
    report = config_failed("config/deploy.yml: servers/web/hosts: should be an array")
    data = report.to_json()
    assert data["schema"] == 1 and data["ok"] is False and data["service"] is None
    assert data["summary"] == {"ok": 0, "warn": 0, "fail": 1, "skip": 0}
    [check] = data["checks"]
    assert set(check) == {"scope", "target", "check", "verdict", "detail", "fix"}
    assert check["check"] == "config" and check["verdict"] == "fail"
    warned = DoctorReport("hello", report.checked_at, (Check("dns", "a", "dns", WARN, "x"),))
    assert warned.ok


@pytest.mark.project(config="service: app\nimage: app\nservers:\n  web:\n    hosts: 3\n")
def test_cli_a_broken_config_is_one_failed_check(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pykamal.cli import run

    assert run(["doctor"]) == 3
    out = capsys.readouterr().out
    assert "FAIL  config  " in out and "servers/web/hosts" in out and "Traceback" not in out
    assert run(["doctor", "--json"]) == 3
    assert '"verdict": "fail"' in capsys.readouterr().out


@pytest.mark.project(
    config="service: app\nimage: app\nservers: ['127.0.0.1:1']\nbuilder:\n  arch: amd64\n"
    "registry:\n  server: registry.example\n  username: kamal\n"
    "  password:\n    - KAMAL_REGISTRY_PASSWORD\nenv:\n  secret: [DB_URL]\n",
    secrets="KAMAL_REGISTRY_PASSWORD=abcdef\n",
)
def test_cli_missing_secret_and_an_unreachable_host(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from pykamal.cli import run

    assert run(["doctor", "--json", "--skip-push", "--version", "v1"]) == 3
    data = json.loads(capsys.readouterr().out)
    checks = {(c["target"], c["check"]): c for c in data["checks"]}
    secrets = checks[(None, "secrets")]
    assert secrets["verdict"] == "fail" and "DB_URL (env/secret)" in secrets["detail"]
    assert checks[(None, "docker")]["verdict"] == "skip" and checks[(None, "git")]["verdict"] == "ok"
    ssh = checks[("127.0.0.1:1", "ssh")]
    assert ssh["verdict"] == "fail" and "refused" in ssh["detail"] and "start sshd" in ssh["fix"]
