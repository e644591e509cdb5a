"""Deploy notifications (x-pykamal.notify) on real hosts, posted to a local HTTP receiver: the events
in order for a good deploy, a failed one and an automatic switch back; a receiver that hangs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_project import Project, tag_version

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "flows"))
from webhook_receiver import Receiver

pytestmark = pytest.mark.integration

NOTIFY = (
    "  notify:\n"
    "    - url_secret: HOOK\n"
    "      timeout: {timeout}\n"
    "    - {{url_secret: SLACK, format: slack}}\n"
)


def kamal_accepts(project: Project) -> None:
    """The reference Kamal reads the same file (it skips x- keys)."""
    result = subprocess.run(
        ["kamal", "config", "--version", "check"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def with_webhooks(
    project: Project, hook: Receiver, slack: Receiver, *, timeout: float = 3, release: str = ""
) -> None:
    project.write(extra="x-pykamal:\n" + release + NOTIFY.format(timeout=timeout))
    secrets = project.root / ".kamal" / "secrets"
    secrets.write_text(f"KAMAL_REGISTRY_PASSWORD=sandbox\nHOOK={hook.url}\nSLACK={slack.url}\n")


def broken_second_web_host(project: Project) -> None:
    """The second web host gets a tag that makes the app fail its health check; a short deploy timeout."""
    path = project.root / "config" / "deploy.yml"
    second = project.web[1]
    text = path.read_text()
    text = text.replace(f"      - {second}\n", f"      - {second}: broken\n", 1)
    text = text.replace("  clear:\n", '  tags:\n    broken:\n      APP_UNHEALTHY: "1"\n  clear:\n', 1)
    path.write_text(text.replace("deploy_timeout: 20", "deploy_timeout: 5"))


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    with Receiver() as hook, Receiver() as slack:
        yield hook, slack


def test_good_failed_and_switched_back_deploys_are_posted_in_order(
    project: Project, receivers: tuple[Receiver, Receiver]
) -> None:
    hook, slack = receivers
    with_webhooks(project, hook, slack)
    kamal_accepts(project)
    project.deploy("note-1")
    project.deploy("note-2")
    bodies = [r.body for r in hook.wait_for(4)]
    assert [b["event"] for b in bodies] == ["start", "success", "start", "success"]
    second_start, second_success = bodies[2], bodies[3]
    assert second_start["version"] == "note-2" and second_start["previous_version"] == "note-1"
    assert second_start["service"] == "hello" and second_start["hosts"] == project.sandbox.hosts
    assert second_success["duration"] > 0 and second_success["error"] is None
    assert bodies[0]["previous_version"] is None  # nothing ran before the first deploy
    assert len(slack.wait_for(4)) == 4 and slack.received[3].body["text"].startswith(":white_check_mark:")

    # a failed release: nothing booted, so nothing switched back
    with_webhooks(project, hook, slack, release="  release:\n    cmd: sh -c 'echo no database; exit 4'\n")
    kamal_accepts(project)
    failed = project.deploy("note-3", check=False)
    assert failed.returncode != 0
    bodies = [r.body for r in hook.wait_for(6)][4:]
    assert [b["event"] for b in bodies] == ["start", "failure"]
    assert bodies[1]["version"] == "note-3" and bodies[1]["previous_version"] == "note-2"
    assert "Release command" in bodies[1]["error"] and "exit status 4" in bodies[1]["error"]
    project.assert_settled("note-2")

    # one web host fails its health check after the other switched: switched back automatically
    with_webhooks(project, hook, slack)
    broken_second_web_host(project)
    kamal_accepts(project)
    switched = project.deploy("note-4", check=False)
    assert switched.returncode != 0
    bodies = [r.body for r in hook.wait_for(9)][6:]
    assert [b["event"] for b in bodies] == ["start", "rollback", "failure"]
    rollback, failure = bodies[1], bodies[2]
    assert project.primary in rollback["hosts"] and project.web[1] not in rollback["hosts"]
    assert rollback["version"] == "note-4" and rollback["previous_version"] == "note-2"
    assert project.web[1] in failure["error"]
    assert [r.body["text"].split()[0] for r in slack.wait_for(9)][6:] == [
        ":rocket:",
        ":leftwards_arrow_with_hook:",
        ":x:",
    ]
    project.assert_settled("note-2")

    # a rollback someone runs: start and success, with command "rollback"
    with_webhooks(project, hook, slack)
    project.pykamal("rollback", "note-1")
    bodies = [r.body for r in hook.wait_for(11)][9:]
    assert [(b["event"], b["command"]) for b in bodies] == [("start", "rollback"), ("success", "rollback")]
    assert (bodies[0]["version"], bodies[0]["previous_version"]) == ("note-1", "note-2")
    project.assert_settled("note-1")
    print("events:", hook.events)


def timed_deploy(project: Project, version: str) -> tuple[list[tuple[float, str]], float, int]:
    """A deploy whose output lines are stamped (time.monotonic()) as they come; and when it exited."""
    tag_version(project.sandbox, version)
    process = subprocess.Popen(
        [sys.executable, "-m", "pykamal", "deploy", "--skip-push", "--version", version],
        cwd=project.root,
        env={**project.env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = [(time.monotonic(), line.rstrip("\n")) for line in process.stdout]
    code = process.wait(timeout=180)
    return lines, time.monotonic(), code


def test_a_hanging_webhook_costs_at_most_its_timeout(project: Project) -> None:
    lock_at_success: list[bool] = []

    def check_lock(body: dict[str, object]) -> None:
        if body["event"] == "success":
            lock_at_success.append(project.lock_present())

    with Receiver(answer="hang", hang_on=("success",)) as hook, Receiver() as slack:
        hook.on_receive = check_lock
        with_webhooks(project, hook, slack, timeout=2)
        lines, exited, code = timed_deploy(project, "hang-1")
        assert code == 0, "\n".join(line for _, line in lines)
        success = next(r for r in hook.received if r.body["event"] == "success")
        warnings = [(at, line) for at, line in lines if "WARN" in line]
        assert [line for _, line in warnings] == [
            "  WARN notification success to x-pykamal/notify/0 (HOOK): no answer within 2s"
        ]
        waited = warnings[0][0] - success.at
        after = exited - success.at
        print(
            f"hanging webhook (timeout 2s): waited {waited:.2f}s; pykamal exited {after:.2f}s after the post"
        )
        assert 1.8 <= waited < 2 + 0.75, waited
        assert lock_at_success == [False]  # posted after the lock was released
        assert len(slack.received) == 2
        project.assert_settled("hang-1")

    # a webhook that hangs on everything: the start post runs alongside the deploy
    with Receiver(answer="hang") as hanging, Receiver() as slack:
        with_webhooks(project, hanging, slack, timeout=2)
        began = time.monotonic()
        project.deploy("hang-2")
        took = time.monotonic() - began
    assert hanging.events == ["start"]  # given up after its timeout: success is not tried
    with Receiver() as hook, Receiver() as slack:
        with_webhooks(project, hook, slack, timeout=2)
        began = time.monotonic()
        _, exited, code = timed_deploy(project, "hang-3")
        baseline = exited - began
        teardown = exited - hook.received[-1].at
    assert code == 0
    print(f"deploy with a webhook hanging on every post: {took:.1f}s; with one answering: {baseline:.1f}s")
    print(f"with webhooks that answer, pykamal exits {teardown:.2f}s after the success post")
    assert hook.events == ["start", "success"]
    assert took < baseline + 2 + 3, (took, baseline)
