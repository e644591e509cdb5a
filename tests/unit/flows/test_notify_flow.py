"""Deploy notifications (x-pykamal.notify) around the deploy flow, on a recording executor, posted
to a local HTTP receiver: order, fields, formats, masking, failures and timeouts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_flow_helpers import CONFIG, SECRET, Project, host_state, printed, scripted
from flow_runs import go
from webhook_receiver import Receiver

from pykamal.errors import ConfigError, PykamalError, RemoteError
from pykamal.flows import deploy, notify
from pykamal.remote.webhook import WebhookError, post_json

RUNNING_V1 = {
    "h1": host_state([("app-web-v1", "web", "running", "v1")], latest="v1"),
    "h2": host_state(
        [("app-worker-v1", "worker", "running", "v1"), ("app-web-v1", "web", "running", "v1")], latest="v1"
    ),
    "h3": host_state([("app-worker-v1", "worker", "running", "v1")], proxy=None, latest="v1"),
}


def notify_section(*entries: str) -> str:
    return "x-pykamal:\n  notify:\n" + "".join(f"    - {entry}\n" for entry in entries)


def project_with(tmp_path: Path, section: str, **urls: str) -> Project:
    project = Project(tmp_path, CONFIG + section)
    with (project.root / ".kamal" / "secrets").open("a") as secrets:
        for name, url in urls.items():
            secrets.write(f"{name}={url}\n")
    return project


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def test_a_good_deploy_posts_start_then_success_with_its_fields(tmp_path: Path, receiver: Receiver) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=receiver.url)
    run = project.run()
    scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))

    bodies = [r.body for r in receiver.wait_for(2)]
    assert [b["event"] for b in bodies] == ["start", "success"]
    start, success = bodies
    assert start["schema"] == 1 and start["command"] == "deploy"
    assert (start["service"], start["destination"], start["version"]) == ("app", None, "v2")
    assert start["previous_version"] == "v1"
    assert start["hosts"] == ["h1", "h2", "h3"]
    assert start["duration"] is None and start["error"] is None
    assert isinstance(success["duration"], float) and success["performer"]
    assert receiver.received[0].headers["Content-Type"] == "application/json"
    assert "WARN" not in printed(run)


def test_a_switch_back_posts_start_rollback_failure_in_order(tmp_path: Path, receiver: Receiver) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=receiver.url)
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(
        r"kamal-proxy deploy app-web", host="h2", exit_status=1, stderr="Error: unhealthy", delay=0.05
    )
    with pytest.raises(RemoteError):
        go(deploy.deploy(run, skip_push=True))

    bodies = [r.body for r in receiver.wait_for(3)]
    assert [b["event"] for b in bodies] == ["start", "rollback", "failure"]
    rollback, failure = bodies[1], bodies[2]
    assert rollback["hosts"] == ["h1"] and rollback["previous_version"] == "v1"
    assert rollback["version"] == "v2" and "h2" in rollback["error"]
    assert failure["error"].startswith("Failed to boot web on h2")
    assert "\n" not in failure["error"]


def test_slack_format_is_an_incoming_webhook_message(tmp_path: Path, receiver: Receiver) -> None:
    section = notify_section("{url_secret: SLACK, format: slack, events: [success]}")
    project = project_with(tmp_path, section, SLACK=receiver.url)
    run = project.run()
    scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    go(deploy.deploy(run, skip_push=True))

    (message,) = [r.body for r in receiver.wait_for(1)]
    assert message["text"].startswith(":white_check_mark: ") and "app v2 to 3 hosts" in message["text"]
    assert message["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": message["text"]}}
    facts = [field["text"] for field in message["blocks"][1]["fields"]]
    assert "*Previous:* v1" in facts and "*Hosts:* h1, h2, h3" in facts


def test_secrets_never_reach_a_payload(tmp_path: Path, receiver: Receiver) -> None:
    section = notify_section("{url_secret: HOOK}", "{url_secret: HOOK, format: slack}")
    project = project_with(tmp_path, section)
    with (project.root / ".kamal" / "secrets").open("a") as secrets:
        secrets.write(f"HOOK={receiver.url}\n")
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    leak = f"Error: cannot connect with password {SECRET} to {receiver.url}"
    executor.respond(r"kamal-proxy deploy app-web", host="h2", exit_status=1, stderr=leak, delay=0.05)
    with pytest.raises(RemoteError):
        go(deploy.deploy(run, skip_push=True))

    bodies = receiver.wait_for(6)
    assert len(bodies) == 6
    texts = [str(r.body) for r in bodies]
    assert any("cannot connect with password" in text for text in texts)
    assert not any(SECRET in text or receiver.url in text for text in texts)


def test_a_hanging_webhook_costs_at_most_its_timeout_and_one_warning(tmp_path: Path) -> None:
    with Receiver(answer="hang") as hanging, Receiver() as good:
        section = notify_section("{url_secret: SLOW, timeout: 1}", "{url_secret: GOOD}")
        project = project_with(tmp_path, section, SLOW=hanging.url, GOOD=good.url)
        run = project.run()
        scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
        began = time.monotonic()
        go(deploy.deploy(run, skip_push=True))
        took = time.monotonic() - began

        assert took < 1.8, took  # the start post hangs for 1 s at most, while the deploy goes on
        assert hanging.events == ["start"]  # not tried again after it timed out
        assert good.events == ["start", "success"]
        warnings = [line for line in printed(run).splitlines() if "WARN" in line]
        assert warnings == ["  WARN notification start to x-pykamal/notify/0 (SLOW): no answer within 1s"]


def test_a_failing_webhook_is_a_warning_and_the_deploy_succeeds(tmp_path: Path) -> None:
    with Receiver(answer="fail") as failing:
        project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=failing.url)
        run = project.run()
        scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
        go(deploy.deploy(run, skip_push=True))
    assert failing.events == ["start", "success"]
    warnings = [line for line in printed(run).splitlines() if "WARN" in line]
    assert len(warnings) == 2 and "answered 500" in warnings[0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.test/hook", "secret HOOK does not hold an http(s) URL"),
        ("hooks.example.test/abc", "secret HOOK does not hold an http(s) URL"),
        ("http:///nohost", "secret HOOK does not hold an http(s) URL"),
    ],
)
def test_a_url_that_is_not_http_is_a_one_line_error_naming_key_and_secret(
    tmp_path: Path, url: str, message: str
) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: OTHER}", "{url_secret: HOOK}"), HOOK=url)
    with (project.root / ".kamal" / "secrets").open("a") as secrets:
        secrets.write("OTHER=https://example.test/ok\n")
    run = project.run()
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as error:
        go(deploy.deploy(run, skip_push=True))
    assert str(error.value) == f"x-pykamal/notify/1/url_secret: {message}"
    assert url not in str(error.value)
    assert executor.commands() == []  # checked before anything runs


def test_a_missing_secret_names_the_key(tmp_path: Path) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: NOPE}"))
    run = project.run()
    with pytest.raises(ConfigError) as error:
        go(deploy.deploy(run, skip_push=True))
    assert str(error.value).startswith("x-pykamal/notify/0/url_secret: Secret 'NOPE' not found")


def test_a_plan_posts_nothing(tmp_path: Path, receiver: Receiver) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=receiver.url)
    run = project.run()
    run.plan = True
    go(deploy.deploy(run, skip_push=True))
    time.sleep(0.2)
    assert receiver.received == []


def test_rolled_back_without_webhooks_does_nothing(tmp_path: Path) -> None:
    run = Project(tmp_path).run()
    notify.rolled_back(run, hosts=["h1"], to_version="v1", reason="5xx rate 20 %")


def test_post_json_reports_a_refused_connection_quickly() -> None:
    with Receiver() as receiver:
        url = receiver.url
    began = time.monotonic()
    with pytest.raises(WebhookError) as error:
        go(post_json(url, {"event": "start"}, timeout=5))
    assert time.monotonic() - began < 2
    assert "refused" in str(error.value) and url not in str(error.value)


def test_an_interrupted_deploy_posts_its_switch_back_and_failure(tmp_path: Path, receiver: Receiver) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=receiver.url)
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    executor.respond(r"kamal-proxy deploy app-web", host="h2", delay=30, times=1)  # h2's boot hangs

    async def main() -> None:
        task = asyncio.ensure_future(deploy.deploy(run, skip_push=True))
        while "h2" not in executor.hosts_for(r"kamal-proxy deploy app-web"):
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.1)  # h1's boot finishes meanwhile
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        go(main())
    bodies = [r.body for r in receiver.wait_for(3)]
    assert [(b["event"], b["error"]) for b in bodies] == [
        ("start", None),
        ("rollback", "interrupted"),
        ("failure", "interrupted"),
    ]
    assert bodies[1]["hosts"] == ["h1"]


def test_a_failed_canary_posts_start_rollback_failure(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pykamal.config.extensions import Canary
    from pykamal.flows import canary
    from pykamal.flows.canary import CanaryFailed

    monkeypatch.setattr(canary, "POLL_SECONDS", 0.05)
    project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=receiver.url)
    run = project.run(roles="web")
    executor = scripted(run.executor, RUNNING_V1)  # type: ignore[arg-type]
    log = ["@pykamal canary-now 1700000000", "@pykamal canary-target abcdef123456"]
    for number, status in enumerate([200] * 8 + [500] * 2):
        fields = {"msg": "Request", "path": "/", "request_id": f"r{number}", "status": status}
        log.append(json.dumps({**fields, "service": "app-web", "target": "abcdef123456:3000"}))
    executor.respond(r"canary-now", host="h1", stdout="\n".join(log) + "\n")
    settings = Canary(hosts=1, watch=1, max_error_rate=0.05, min_requests=5, enabled=True)
    with pytest.raises(CanaryFailed):
        go(deploy.deploy(run, skip_push=True, canary=settings))

    bodies = [r.body for r in receiver.wait_for(3)]
    assert [b["event"] for b in bodies] == ["start", "rollback", "failure"]
    assert bodies[1]["hosts"] == ["h1"] and bodies[1]["previous_version"] == "v1"
    assert "20.0 % 5xx (2 of 10)" in bodies[1]["error"]
    assert bodies[2]["error"].startswith("Canary of version v2 failed")


def test_a_rollback_someone_runs_posts_start_and_success(tmp_path: Path, receiver: Receiver) -> None:
    project = project_with(
        tmp_path, notify_section("{url_secret: HOOK}", "{url_secret: HOOK, format: slack}")
    )
    with (project.root / ".kamal" / "secrets").open("a") as secrets:
        secrets.write(f"HOOK={receiver.url}\n")
    run = project.run(roles="web", version="unused", command="rollback")
    for host in ("h1", "h2"):
        history = (
            "/app-web-v2 2030-01-01T10:00:00.0Z 0001-01-01T00:00:00Z true\n"
            "/app-web-v1 2029-12-31T09:00:00.0Z 2030-01-01T10:00:02.0Z false\n"
        )
        run.executor.respond(r"xargs -r docker inspect", host=host, stdout=history)  # type: ignore[attr-defined]
    go(deploy.rollback(run))

    bodies = [r.body for r in receiver.wait_for(4)]
    json_bodies = [b for b in bodies if "event" in b]
    assert [(b["event"], b["command"]) for b in json_bodies] == [
        ("start", "rollback"),
        ("success", "rollback"),
    ]
    assert (json_bodies[0]["version"], json_bodies[0]["previous_version"]) == ("v1", "v2")
    texts = [b["text"] for b in bodies if "text" in b]
    assert texts[0].endswith("is rolling back app to v1 (replacing v2) on 2 hosts")


def test_a_rollback_with_nothing_to_go_back_to_posts_a_failure(tmp_path: Path, receiver: Receiver) -> None:
    project = project_with(tmp_path, notify_section("{url_secret: HOOK}"), HOOK=receiver.url)
    run = project.run(roles="web", version="unused", command="rollback")
    with pytest.raises(PykamalError):
        go(deploy.rollback(run))
    (failure,) = [r.body for r in receiver.wait_for(1)]
    assert failure["event"] == "failure" and failure["command"] == "rollback"
    assert failure["error"].startswith("No previous version is available")
