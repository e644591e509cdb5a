from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
from remote_helpers import Captured, make_config

from pykamal.commands.base import cmd
from pykamal.errors import LockError
from pykamal.remote import lock as remote_lock
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.lock import DeployLock, deploy_lock, describe, format_age, parse_duration, stale_after


@pytest.fixture(autouse=True)
def _no_inherited_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAMAL_LOCK", raising=False)
    monkeypatch.delenv("PYKAMAL_STALE_LOCK_AGE", raising=False)
    monkeypatch.setattr(remote_lock, "git_user_name", lambda: "Jane Doe")


def details(at: datetime, who: str = "Bob") -> str:
    return f"Locked by: {who} at {at.strftime('%Y-%m-%dT%H:%M:%SZ')}\nVersion: v9\nMessage: hotfix\n"


def test_deploy_lock_acquires_then_releases_in_kamal_order() -> None:
    config = make_config()
    executor = RecordingExecutor(Captured("info").output)

    async def main() -> None:
        async with deploy_lock(config, executor, hosts=["h1", "h2"]) as held:
            assert held is not None
            assert remote_lock.lock_held()
            await executor.run("h1", remote_lock.lock_commands.status(config), check=False)
        assert not remote_lock.lock_held()

    asyncio.run(main())
    commands = executor.commands()
    assert commands[:2] == ["mkdir -p .kamal", "mkdir -p .kamal"]
    assert executor.calls[0].host == "h1" and executor.calls[1].host == "h2"
    assert commands[2].startswith("mkdir .kamal/lock-app && echo ")
    assert commands[-1] == "rm .kamal/lock-app/details && rm -r .kamal/lock-app"
    encoded = commands[2].split('"')[1]
    decoded = base64.b64decode(encoded).decode()
    assert decoded.startswith("Locked by: Jane Doe at ")
    assert decoded.endswith("\nVersion: abc1234\nMessage: Automatic deploy lock")


def test_lock_is_released_when_the_block_fails() -> None:
    executor = RecordingExecutor(Captured("info").output)

    async def main() -> None:
        async with deploy_lock(make_config(), executor):
            raise RuntimeError("deploy broke")

    with pytest.raises(RuntimeError, match="deploy broke"):
        asyncio.run(main())
    assert executor.commands()[-1].startswith("rm .kamal/lock-app/details")


def test_lock_is_released_when_the_run_is_cancelled() -> None:
    """Ctrl-C / SIGTERM cancel the main task: the release still happens before it ends."""
    executor = RecordingExecutor(Captured("info").output)
    executor.respond(r"^sleep", delay=30)

    async def locked_operation() -> None:
        async with deploy_lock(make_config(), executor):
            await executor.run("h1", cmd("sleep", "30"))

    async def main() -> None:
        task = asyncio.ensure_future(locked_operation())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert executor.commands()[-2:] == ["sleep 30", "rm .kamal/lock-app/details && rm -r .kamal/lock-app"]


def test_nested_and_inherited_locks_are_not_taken_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    executor = RecordingExecutor(Captured("info").output)

    async def main() -> None:
        async with deploy_lock(make_config(), executor), deploy_lock(make_config(), executor) as inner:
            assert inner is None

    asyncio.run(main())
    assert sum(c.startswith("mkdir .kamal/lock-app") for c in executor.commands()) == 1

    monkeypatch.setenv("KAMAL_LOCK", "true")
    executor = RecordingExecutor(Captured("info").output)

    async def child() -> None:
        async with deploy_lock(make_config(), executor) as held:
            assert held is None

    asyncio.run(child())
    assert executor.commands() == []


def test_contention_reports_holder_age_and_staleness() -> None:
    captured = Captured("info")
    executor = RecordingExecutor(captured.output)
    executor.respond(
        r"^mkdir \.kamal/lock-app ",
        exit_status=1,
        stderr="mkdir: cannot create directory '.kamal/lock-app': File exists\n",
    )
    old = datetime.now(UTC) - timedelta(hours=3, minutes=5)
    executor.respond(r"^stat ", stdout=details(old))

    with pytest.raises(LockError) as info:
        asyncio.run(DeployLock(make_config(), executor).acquire("mine"))
    message = str(info.value)
    assert "held by Bob for 3h 5m (STALE: older than 1h 0m)" in message
    assert "message: hotfix" in message
    assert "pykamal lock release" in message
    assert "Deploy lock already in place!" in captured.text
    assert "Locked by: Bob" in captured.text


def test_contention_with_fresh_lock_is_not_called_stale() -> None:
    executor = RecordingExecutor(Captured("info").output)
    executor.respond(r"^mkdir \.kamal/lock-app ", exit_status=1, stderr="mkdir: cannot create directory\n")
    executor.respond(r"^stat ", stdout=details(datetime.now(UTC) - timedelta(seconds=30)))
    with pytest.raises(LockError) as info:
        asyncio.run(DeployLock(make_config(), executor).acquire("mine"))
    assert "STALE" not in str(info.value)
    assert "held by Bob for 3" in str(info.value)


def test_other_acquire_failures_are_not_mistaken_for_contention() -> None:
    executor = RecordingExecutor(Captured("info").output)
    executor.respond(r"^mkdir \.kamal/lock-app ", exit_status=1, stderr="mkdir: Permission denied\n")
    with pytest.raises(Exception) as info:
        asyncio.run(DeployLock(make_config(), executor).acquire("mine"))
    assert not isinstance(info.value, LockError)
    assert "Permission denied" in str(info.value)


def test_status_and_release_without_a_lock() -> None:
    executor = RecordingExecutor(Captured("info").output)
    missing = "stat: cannot statx '.kamal/lock-app': No such file or directory\n"
    executor.respond(r"^stat ", exit_status=1, stderr=missing)
    executor.respond(
        r"^rm ",
        exit_status=1,
        stderr="rm: cannot remove '.kamal/lock-app/details': No such file or directory\n",
    )
    lock = DeployLock(make_config(), executor)
    assert asyncio.run(lock.status()) is None
    assert asyncio.run(lock.release()) is False


def test_durations_and_ages(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_duration("90m", "X") == 5400
    assert parse_duration("2h", "X") == 7200
    assert parse_duration("45", "X") == 45
    with pytest.raises(Exception, match="not a duration"):
        parse_duration("soon", "X")
    assert stale_after() == 3600
    monkeypatch.setenv("PYKAMAL_STALE_LOCK_AGE", "10m")
    assert stale_after() == 600
    assert format_age(59) == "59s"
    assert format_age(3 * 3600 + 65) == "3h 1m"
    assert format_age(2 * 86400 + 7200) == "2d 2h"
    now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    parsed = remote_lock.parse_details(details(now - timedelta(minutes=20)))
    assert describe(parsed, now=now, stale_seconds=600) == (
        "held by Bob for 20m 0s (STALE: older than 10m 0s), message: hotfix"
    )


def test_interrupted_acquire_releases_the_lock_it_may_have_taken() -> None:
    """Cancelled while the acquire command runs: if the lock on the host is ours, it goes."""
    executor = RecordingExecutor(Captured("info").output)
    written: dict[str, str] = {}

    def acquire_command(text: str) -> bool:
        if not text.startswith("mkdir .kamal/lock-app "):
            return False
        written["details"] = base64.b64decode(text.split('"')[1]).decode()
        return True

    executor.respond(acquire_command, delay=5)

    async def main() -> None:
        task = asyncio.ensure_future(deploy_lock(make_config(), executor).__aenter__())
        await asyncio.sleep(0.05)
        executor.respond(r"^stat ", stdout=written["details"] + "\n")  # the mkdir did happen on the host
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert executor.commands()[-1] == "rm .kamal/lock-app/details && rm -r .kamal/lock-app"


def test_interrupted_acquire_leaves_someone_elses_lock_alone() -> None:
    executor = RecordingExecutor(Captured("info").output)
    executor.respond(r"^mkdir \.kamal/lock-app ", delay=5)
    executor.respond(r"^stat ", stdout=details(datetime.now(UTC)))

    async def main() -> None:
        task = asyncio.ensure_future(deploy_lock(make_config(), executor).__aenter__())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert not any(c.startswith("rm ") for c in executor.commands())
