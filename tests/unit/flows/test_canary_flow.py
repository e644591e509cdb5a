"""Canary rollouts: the verdict (pure), the request log read, and the order of the rollout on a
recording executor (nothing runs remotely)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from deploy_flow_helpers import CONFIG, Project, host_state, printed, scripted
from flow_runs import go, index_of

from pykamal.commands.canary import Request, parse_request_log
from pykamal.config.extensions import Canary
from pykamal.errors import UsageError
from pykamal.flows import canary, deploy
from pykamal.flows.canary import CanaryFailed, Tally, judge, tally
from pykamal.remote import events

SETTINGS = Canary(hosts=1, watch=10, max_error_rate=0.05, min_requests=20, enabled=True)


def requests(ok: int, failed: int, path: str = "/orders") -> list[Request]:
    made = [Request(200, "/", f"ok {i}") for i in range(ok)]
    return made + [Request(500 + i % 3, path, f"failed {i}") for i in range(failed)]


# --- the verdict ---------------------------------------------------------------------------------


def test_tally_counts_5xx_and_names_the_failing_paths_most_frequent_first() -> None:
    numbers = tally([*requests(6, 0), Request(404, "/x", "a"), *requests(0, 1, "/a"), *requests(0, 3, "/b")])
    assert (numbers.requests, numbers.errors) == (11, 4)
    assert numbers.statuses == {200: 6, 404: 1, 500: 2, 501: 1, 502: 1}
    assert numbers.failing_paths == ("/b", "/a")
    assert numbers.error_rate == pytest.approx(4 / 11)
    assert Tally().error_rate == 0.0


def test_too_many_errors_fail_as_soon_as_enough_requests_are_in() -> None:
    assert judge(tally(requests(15, 4)), SETTINGS, elapsed=1).outcome == "watching"  # 19 < 20 requests
    verdict = judge(tally(requests(16, 4)), SETTINGS, elapsed=1)
    assert verdict.outcome == "fail"
    assert verdict.reason == "20.0 % 5xx (4 of 20), above the limit of 5 %"


def test_a_good_canary_passes_only_at_the_end_of_the_watch() -> None:
    good = tally(requests(99, 1))
    assert judge(good, SETTINGS, elapsed=9.9).outcome == "watching"
    verdict = judge(good, SETTINGS, elapsed=10)
    assert verdict.outcome == "pass"
    assert verdict.reason == "1.0 % 5xx (1 of 100), within the limit of 5 %"


def test_the_limit_itself_passes() -> None:
    assert judge(tally(requests(95, 5)), SETTINGS, elapsed=10).outcome == "pass"
    assert judge(tally(requests(94, 6)), SETTINGS, elapsed=10).outcome == "fail"


def test_too_few_requests_fail_unless_failing_open() -> None:
    few = tally(requests(19, 0))
    verdict = judge(few, SETTINGS, elapsed=10)
    assert verdict.outcome == "fail"
    assert "only 19 requests reached the new version in 10 s, fewer than min_requests (20)" in verdict.reason
    assert "--canary-fail-open" in verdict.reason
    opened = Canary(hosts=1, watch=10, max_error_rate=0.05, min_requests=20, fail_open=True)
    assert judge(few, opened, elapsed=10).outcome == "pass"
    # a few failures are not judged early, only at the end (and then fail for too few requests)
    assert judge(tally(requests(1, 5)), opened, elapsed=3).outcome == "watching"


def test_min_requests_zero_accepts_a_quiet_canary() -> None:
    quiet = Canary(hosts=1, watch=10, max_error_rate=0.05, min_requests=0)
    assert judge(Tally(), quiet, elapsed=10).outcome == "pass"


def test_the_command_line_overrides_the_settings() -> None:
    configured = Canary(hosts=2, watch=30)
    assert canary.with_hosts(configured, None, False) == configured
    assert canary.with_hosts(configured, 0, False) == Canary(hosts=2, watch=30, enabled=True)  # bare --canary
    assert canary.with_hosts(configured, 3, True) == Canary(hosts=3, watch=30, enabled=True, fail_open=True)


# --- the log read ----------------------------------------------------------------------------------


def proxy_line(status: int, target: str, path: str = "/", request_id: str = "r") -> str:
    return json.dumps(
        {
            "time": "2026-01-01T00:00:00.1Z",
            "level": "INFO",
            "msg": "Request",
            "path": path,
            "request_id": request_id,
            "status": status,
            "service": "app-web",
            "target": target,
        }
    )


def test_the_log_read_keeps_only_the_new_targets_requests() -> None:
    stdout = "\n".join(
        [
            "@pykamal canary-now 1700000000",
            "@pykamal canary-target abcdef123456",
            proxy_line(500, "abcdef123456:3000", "/boom"),
            proxy_line(200, "999999999999:3000"),  # the old container
            '{"msg":"Healthcheck failed","target":"abcdef123456:3000"}',
            "not json",
            proxy_line(200, "abcdef123456:3000", "/ok"),
        ]
    )
    read = parse_request_log(stdout)
    assert read.now == 1700000000 and read.target == "abcdef123456"
    assert [(r.status, r.path) for r in read.requests] == [(500, "/boom"), (200, "/ok")]
    assert parse_request_log("@pykamal canary-target \n" + proxy_line(200, ":3000")).requests == ()


# --- the rollout -----------------------------------------------------------------------------------

WEB_ON_THREE = CONFIG.replace("hosts: [h1, h2]\n  worker", "hosts: [h1, h2, h3]\n  worker")
V1 = {
    "h1": host_state([("app-web-v1", "web", "running", "v1")], latest="v1"),
    "h2": host_state(
        [("app-worker-v1", "worker", "running", "v1"), ("app-web-v1", "web", "running", "v1")], latest="v1"
    ),
    "h3": host_state(
        [("app-worker-v1", "worker", "running", "v1"), ("app-web-v1", "web", "running", "v1")], latest="v1"
    ),
}
FAST = Canary(hosts=1, watch=1, max_error_rate=0.05, min_requests=5, enabled=True)


@pytest.fixture
def project(project_dir: Path) -> Project:
    return Project(project_dir, WEB_ON_THREE)


def proxy_log(ok: int, failed: int) -> str:
    lines = ["@pykamal canary-now 1700000000", "@pykamal canary-target abcdef123456"]
    lines += [proxy_line(200, "abcdef123456:3000", "/", f"ok{i}") for i in range(ok)]
    lines += [proxy_line(500, "abcdef123456:3000", "/checkout", f"bad{i}") for i in range(failed)]
    return "\n".join(lines) + "\n"


def recorded_events(run: object) -> list[events.Event]:
    seen: list[events.Event] = []
    output = run.output  # type: ignore[attr-defined]
    emit = output.emit
    output.emit = lambda event: (seen.append(event), emit(event))
    return seen


def test_a_bad_canary_is_switched_back_and_no_other_host_boots(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canary, "POLL_SECONDS", 0.05)
    run = project.run()
    seen = recorded_events(run)
    executor = scripted(run.executor, V1)  # type: ignore[arg-type]
    executor.respond(r"canary-now", host="h1", stdout=proxy_log(8, 2))
    with pytest.raises(CanaryFailed) as error:
        go(deploy.deploy(run, skip_push=True, canary=FAST))

    message = str(error.value)
    assert message.split("\n")[0] == (
        "Canary of version v2 failed: 20.0 % 5xx (2 of 10), above the limit of 5 %; "
        "status codes: 200 x8, 500 x2; failing paths: /checkout; no other host was deployed"
    )
    assert "Switched h1 (web) back to version v1" in message
    h1 = executor.commands("h1")
    boot = index_of(h1, "--name app-web-v2")
    mark = index_of(h1, "echo v2 > .kamal/apps/app/canary/web")
    read = index_of(h1, "canary-now")
    back = index_of(h1, "docker start app-web-v1")
    assert boot < mark < read < back < index_of(h1, "rm -f .kamal/apps/app/canary/web")
    assert "docker stop app-web-v2" in h1[back]
    for host in ("h2", "h3"):  # neither web nor worker ever ran v2 elsewhere
        assert not any("--name app-" in c and "-v2 " in c for c in executor.commands(host)), host
    assert not executor.hosts_for(r"docker tag ")  # latest still points at v1
    assert h1[-1].startswith("rm .kamal/lock-app")
    finished = next(e for e in seen if isinstance(e, events.CanaryFinished))
    assert (finished.passed, finished.requests, finished.errors) == (False, 10, 2)
    assert finished.statuses == {"200": 8, "500": 2} and finished.failing_paths == ["/checkout"]
    rollback = next(e for e in seen if isinstance(e, events.AutomaticRollback))
    assert rollback.hosts == {"h1": "v1"} and rollback.version == "v2"
    assert "failing paths: /checkout" in printed(run)
    assert "--no-rollback" not in printed(run)  # it does not keep a failed canary


def test_a_good_canary_lets_the_rest_follow_without_booting_the_canary_twice(
    project: Project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(canary, "POLL_SECONDS", 0.05)
    run = project.run()
    seen = recorded_events(run)
    executor = scripted(run.executor, V1)  # type: ignore[arg-type]
    executor.respond(r"canary-now", host="h1", stdout=proxy_log(30, 0))
    go(deploy.deploy(run, skip_push=True, canary=FAST))

    h1 = executor.commands("h1")
    assert sum("--name app-web-v2" in c for c in h1) == 1
    read = max(i for i, c in enumerate(h1) if "canary-now" in c)
    assert sorted(executor.hosts_for("--name app-web-v2")) == ["h1", "h2", "h3"]
    assert sorted(executor.hosts_for("--name app-worker-v2")) == ["h2", "h3"]
    for host in ("h2", "h3"):
        assert sum("--name app-web-v2" in c for c in executor.commands(host)) == 1
    order = [(c.host, c.display) for c in executor.calls if c.kind == "run"]
    last_read = max(i for i, (_, d) in enumerate(order) if "canary-now" in d)
    first_other = min(i for i, (h, d) in enumerate(order) if h != "h1" and "--name app-" in d)
    assert last_read < first_other  # the rest of the fleet boots only once the canary is judged
    assert not any("docker start app-web-v1" in c for c in executor.commands())
    unmark = index_of(h1, "rm -f .kamal/apps/app/canary/web")
    assert read < unmark
    assert sorted(executor.hosts_for(r"docker tag ")) == ["h1", "h2", "h3"]
    finished = next(e for e in seen if isinstance(e, events.CanaryFinished))
    assert finished.passed and finished.requests == 30
    assert not any(isinstance(e, events.AutomaticRollback) for e in seen)


def test_canary_hosts_are_the_first_of_each_proxied_role(tmp_path: Path) -> None:
    config = WEB_ON_THREE + "x-pykamal:\n  canary:\n    hosts: 2\n"
    run = Project(tmp_path, config).run()
    pairs = canary.canary_pairs(run, run.config.extensions.canary)
    assert [(h, r.name) for h, r in pairs] == [("h1", "web"), ("h2", "web")]  # the worker has no proxy


def test_a_canary_larger_than_a_role_is_refused_before_anything_runs(project: Project) -> None:
    run = project.run()
    with pytest.raises(UsageError) as error:
        go(deploy.deploy(run, skip_push=True, canary=Canary(hosts=4, enabled=True)))
    assert str(error.value) == "--canary: 4 canary hosts, but role web has only 3"
    assert run.executor.commands() == []  # type: ignore[attr-defined]


def test_the_first_deploy_skips_the_canary(project: Project) -> None:
    run = project.run()
    executor = scripted(run.executor, {})  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True, canary=FAST))
    assert "Canary skipped: nothing to go back to on h1 (web)" in printed(run)
    assert not executor.hosts_for("canary-now")
    assert len(executor.hosts_for("--name app-web-v2")) == 3


def test_an_interrupt_during_the_watch_switches_the_canary_back(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canary, "POLL_SECONDS", 0.05)
    run = project.run()
    executor = scripted(run.executor, V1)  # type: ignore[arg-type]
    executor.respond(r"canary-now", host="h1", stdout=proxy_log(1, 0))
    slow = Canary(hosts=1, watch=30, max_error_rate=0.05, min_requests=5, enabled=True)

    async def main() -> None:
        task = asyncio.ensure_future(deploy.deploy(run, skip_push=True, canary=slow))
        while "h1" not in executor.hosts_for("canary-now"):
            await asyncio.sleep(0.005)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        go(main())
    h1 = executor.commands("h1")
    assert index_of(h1, "canary-now") < index_of(h1, "docker start app-web-v1")
    assert index_of(h1, "docker start app-web-v1") < index_of(h1, "rm -f .kamal/apps/app/canary/web")
    assert h1[-1].startswith("rm .kamal/lock-app")
    assert not any("-v2 " in c for host in ("h2", "h3") for c in executor.commands(host))


def test_a_canary_on_every_host_of_the_primary_role_lets_the_other_roles_follow(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canary, "POLL_SECONDS", 0.05)
    run = project.run()
    executor = scripted(run.executor, V1)  # type: ignore[arg-type]
    executor.respond(r"canary-now", stdout=proxy_log(30, 0))
    every_web_host = Canary(hosts=3, watch=1, max_error_rate=0.05, min_requests=5, enabled=True)
    go(asyncio.wait_for(deploy.deploy(run, skip_push=True, canary=every_web_host), 20))
    assert sorted(set(executor.hosts_for("canary-now"))) == ["h1", "h2", "h3"]
    assert sorted(executor.hosts_for("--name app-worker-v2")) == ["h2", "h3"]
