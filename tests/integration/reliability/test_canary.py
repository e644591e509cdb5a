"""Canary rollouts on three web hosts under continuous load: a faulty version stops at the canary."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from reliability_project import SERVICE, Load, Project, http_get, tag_version

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "output"))
from terminal import Terminal

pytestmark = pytest.mark.integration

WATCH = 4  # seconds: short, so the suite stays fast
CANARY = f"x-pykamal:\n  canary:\n    watch: {WATCH}\n    max_error_rate: 0.05\n    min_requests: 15\n"
FAILING_PATH = "/cgi-bin/version"


def write_three_web_hosts(project: Project, error_percent: int, extra: str = CANARY) -> None:
    """Every sandbox host in the web role; the app answers 500 to about ``error_percent`` % of
    requests to ``/cgi-bin/version``."""
    hosts = "".join(f"      - {h}\n" for h in project.sandbox.hosts[:3])
    (project.root / "config" / "deploy.yml").write_text(
        f"service: {SERVICE}\nimage: {SERVICE}\nservers:\n  web:\n    hosts:\n{hosts}"
        "proxy:\n  app_port: 80\n  healthcheck:\n    path: /up\n    interval: 1\n    timeout: 2\n"
        f"registry:\n  server: {project.sandbox.registry}\n  username: sandbox\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"
        "builder:\n  arch: amd64\n  driver: docker\n  context: .\n"
        f"env:\n  clear:\n    APP_ERROR_PERCENT: {error_percent}\n"
        f"ssh:\n  config: {project.sandbox.ssh_config_path}\n"
        "drain_timeout: 2\ndeploy_timeout: 20\nreadiness_delay: 0\n" + extra
    )


def kamal_accepts(project: Project) -> None:
    result = subprocess.run(
        ["kamal", "config", "--version", "check"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def json_events(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def one(events: list[dict[str, object]], name: str) -> dict[str, object]:
    found = [e for e in events if e["event"] == name]
    assert len(found) == 1, (name, [e["event"] for e in events])
    return found[0]


def ever_created(project: Project, host: str, version: str) -> bool:
    return f"{SERVICE}-web-{version}" in project.containers(host, all_states=True)


def canary_marker(project: Project, host: str) -> str:
    return project.sandbox.run_on_host(host, f"cat /root/.kamal/apps/{SERVICE}/canary/web 2>/dev/null").stdout


def test_a_faulty_version_stops_at_the_canary_and_a_good_one_goes_through(project: Project) -> None:
    hosts = project.sandbox.hosts[:3]
    canary, others = hosts[0], hosts[1:]
    write_three_web_hosts(project, error_percent=0)
    kamal_accepts(project)
    first = project.deploy("can-1")
    assert "Canary skipped: nothing to go back to" in first.stdout  # the first deploy has no fallback
    assert all(http_get(h) == (200, "can-1\n") for h in hosts)

    # a version answering 500 to about 20 % of requests
    write_three_web_hosts(project, error_percent=20)
    with Load(hosts, path=FAILING_PATH) as load:
        time.sleep(1)
        started = time.monotonic()
        bad = project.deploy("can-bad", "--output", "json", check=False)
        took = time.monotonic() - started
        time.sleep(1)
    per_host = {h: dict(c) for h, c in load.by_host.items()}
    print(f"faulty version: requests per host {per_host}; deploy took {took:.1f}s")
    assert bad.returncode != 0, bad.stdout + bad.stderr
    events = json_events(bad.stdout)
    finished = one(events, "canary_finished")
    print(f"faulty canary: {finished}")
    assert finished["passed"] is False
    assert float(finished["seconds"]) <= WATCH + 2.5  # type: ignore[arg-type]
    assert finished["errors"] and finished["statuses"].get("500")  # type: ignore[union-attr]
    assert FAILING_PATH in finished["failing_paths"]  # type: ignore[operator]
    rollback = one(events, "automatic_rollback")
    assert rollback["hosts"] == {canary: "can-1"}
    result = one(events, "result")
    assert result["ok"] is False and "Canary of version can-bad failed" in str(result["error"])
    assert result["canary"]["phase"] == "failed"  # type: ignore[index]

    # the canary host is back on the previous version; no other host ever ran the faulty one
    assert http_get(canary) == (200, "can-1\n")
    assert project.proxy_target(canary) == f"{SERVICE}-web-can-1"
    assert project.running_versions(canary, "web") == ["can-1"]
    for host in others:
        assert not ever_created(project, host, "can-bad"), project.containers(host, all_states=True)
        assert project.running_versions(host, "web") == ["can-1"]
        assert set(load.by_host[host]) == {"200"}, (host, load.by_host[host])  # not one failed request
    assert load.by_host[canary].get("500", 0) > 0  # the canary did fail requests while watched
    assert not project.lock_present()
    assert canary_marker(project, canary) == ""

    # a good version goes through, every host follows
    write_three_web_hosts(project, error_percent=0)
    with Load(hosts, path=FAILING_PATH) as load:
        good = project.deploy("can-2", "--output", "json")
    print(f"good version: requests per host { ({h: dict(c) for h, c in load.by_host.items()}) }")
    finished = one(json_events(good.stdout), "canary_finished")
    print(f"good canary: {finished}")
    assert finished["passed"] is True and finished["errors"] == 0
    assert int(finished["requests"]) >= 15  # type: ignore[call-overload]
    assert load.failures == [], load.failures[:10]
    for host in hosts:
        assert http_get(host) == (200, "can-2\n")
        assert project.running_versions(host, "web") == ["can-2"]
        assert canary_marker(project, host) == ""
    assert not project.lock_present()


def test_too_few_requests_stop_the_canary_unless_failing_open(project: Project) -> None:
    hosts = project.sandbox.hosts[:3]
    write_three_web_hosts(project, error_percent=0)
    project.deploy("quiet-1")

    stopped = project.deploy("quiet-2", check=False)  # no traffic at all
    assert stopped.returncode != 0
    assert "fewer than min_requests (15)" in stopped.stdout + stopped.stderr
    assert all(http_get(h) == (200, "quiet-1\n") for h in hosts)
    assert not any(ever_created(project, h, "quiet-2") for h in hosts[1:])

    project.deploy("quiet-2", "--canary-fail-open")
    assert all(http_get(h) == (200, "quiet-2\n") for h in hosts)


def test_a_canary_larger_than_the_role_is_refused(project: Project) -> None:
    write_three_web_hosts(project, error_percent=0, extra="")
    result = project.deploy("big-1", "--canary", "4", check=False)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == ["  ERROR --canary: 4 canary hosts, but role web has only 3"], lines


def test_the_live_view_and_status_show_the_canary(project: Project) -> None:
    """In a real terminal: the canary host's live line carries its numbers while watched, `status`
    (run meanwhile) marks that host's version as a canary, and the verdict ends the run."""
    hosts = project.sandbox.hosts[:3]
    canary = hosts[0]
    write_three_web_hosts(project, error_percent=0, extra=CANARY.replace(f"watch: {WATCH}", "watch: 20"))
    project.deploy("live-1")
    tag_version(project.sandbox, "live-2")
    env = {
        k: v for k, v in project.env.items() if k.startswith("PYKAMAL") or k in ("PATH", "HOME", "PYTHONPATH")
    }
    terminal = Terminal(project.root, env, width=120, height=40)
    try:
        with Load(hosts, path=FAILING_PATH) as load:
            terminal.send(
                f"{sys.executable} -m pykamal deploy --skip-push --version live-2; echo __EXIT_$?__"
            )
            screen = terminal.wait_for(r"/20s +\d+ requests, 0 5xx \(0\.0 %\)", timeout=120)
            print(f"live view during the watch:\n{screen.rstrip()}")
            row = next(line for line in screen.splitlines() if canary in line and "requests" in line)
            assert "canary" in row, screen
            for host in hosts[1:]:  # the others wait, on the old version
                assert "wait for canary" in next(line for line in screen.splitlines() if host in line), screen
            with ThreadPoolExecutor(2) as pool:  # both while the canary is watched
                as_json = pool.submit(project.pykamal, "status", "--json", check=False)
                as_text = pool.submit(project.pykamal, "status", check=False)
                status, text = as_json.result(), as_text.result().stdout
            code, shown = terminal.wait_for_exit(120)
        assert load.failures == [], load.failures[:10]
    finally:
        terminal.close()
    roles = {(r["host"], r["role"]): r for r in json.loads(status.stdout)["roles"]}
    assert roles[canary, "web"]["version"] == "live-2" and roles[canary, "web"]["canary"] is True
    assert all(roles[h, "web"]["version"] == "live-1" and not roles[h, "web"]["canary"] for h in hosts[1:])
    assert code == 0, shown
    print(f"end of the run:\n{shown.rstrip()[-1500:]}")
    assert "Canary passed: 0.0 % 5xx" in shown
    assert all(http_get(h) == (200, "live-2\n") for h in hosts)
    assert "live-2 (canary)" in next(line for line in text.splitlines() if canary in line), text
    after = json.loads(project.pykamal("status", "--json", check=False).stdout)
    assert not any(r["canary"] for r in after["roles"])
