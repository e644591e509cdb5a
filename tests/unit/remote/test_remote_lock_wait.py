"""--lock-wait: a lock held by another deploy is waited for, polling, up to a timeout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from remote_helpers import Captured, make_config

from pykamal.errors import LockError
from pykamal.remote import lock as remote_lock
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.lock import LockWait, deploy_lock

ACQUIRE = r"^mkdir \.kamal/lock-app "
HELD = "mkdir: cannot create directory '.kamal/lock-app': File exists\n"


@pytest.fixture(autouse=True)
def _no_inherited_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAMAL_LOCK", raising=False)
    monkeypatch.setattr(remote_lock, "git_user_name", lambda: "Jane Doe")


def holder(message: str = "Automatic deploy lock") -> str:
    at = datetime.now(UTC) - timedelta(seconds=40)
    return f"Locked by: Bob at {at.strftime('%Y-%m-%dT%H:%M:%SZ')}\nVersion: v9\nMessage: {message}\n"


def locked_block(executor: RecordingExecutor, wait: LockWait) -> None:
    async def main() -> None:
        async with deploy_lock(make_config(), executor, wait=wait) as held:
            assert held is not None

    asyncio.run(main())


def test_waits_while_another_deploy_holds_the_lock_then_takes_it() -> None:
    captured = Captured("info")
    executor = RecordingExecutor(captured.output)
    executor.respond(ACQUIRE, exit_status=1, stderr=HELD, times=2)  # free on the third try
    executor.respond(r"^stat ", stdout=holder())
    locked_block(executor, LockWait(timeout=5, interval=0.05))
    attempts = [c for c in executor.commands() if c.startswith("mkdir .kamal/lock-app ")]
    assert len(attempts) == 3
    assert sum(c.startswith("stat ") for c in executor.commands()) == 1  # holder shown once
    assert executor.commands()[-1].startswith("rm .kamal/lock-app/details")
    text = captured.text
    assert "Acquiring the deploy lock (waiting up to 5s)..." in text
    assert "Deploy lock is held by:" in text and "Locked by: Bob" in text
    assert text.count("Retrying in 0.05s (") == 2


def test_gives_up_after_the_timeout_naming_the_holder() -> None:
    captured = Captured("info")
    executor = RecordingExecutor(captured.output)
    executor.respond(ACQUIRE, exit_status=1, stderr=HELD)
    executor.respond(r"^stat ", stdout=holder())
    with pytest.raises(LockError) as info:
        locked_block(executor, LockWait(timeout=0.3, interval=0.1))
    message = str(info.value)
    assert message.startswith("Timed out waiting for the deploy lock on h1: held by Bob for 4")
    assert "Timed out after 0.3s waiting for the deploy lock" in captured.text
    attempts = [c for c in executor.commands() if c.startswith("mkdir .kamal/lock-app ")]
    assert 3 <= len(attempts) <= 6
    assert not any(c.startswith("rm .kamal/lock-app") for c in executor.commands())  # not ours


def test_a_lock_taken_by_hand_is_not_waited_for() -> None:
    executor = RecordingExecutor(Captured("info").output)
    executor.respond(ACQUIRE, exit_status=1, stderr=HELD)
    executor.respond(r"^stat ", stdout=holder("db migration, do not deploy"))
    with pytest.raises(LockError) as info:
        locked_block(executor, LockWait(timeout=60, interval=0.05))
    assert "taken by hand, not waiting" in str(info.value)
    assert "message: db migration, do not deploy" in str(info.value)
    assert sum(c.startswith("mkdir .kamal/lock-app ") for c in executor.commands()) == 1


def test_without_wait_a_held_lock_fails_at_once() -> None:
    executor = RecordingExecutor(Captured("info").output)
    executor.respond(ACQUIRE, exit_status=1, stderr=HELD)
    executor.respond(r"^stat ", stdout=holder())

    async def main() -> None:
        async with deploy_lock(make_config(), executor):
            pass

    with pytest.raises(LockError, match="Deploy lock found on h1"):
        asyncio.run(main())
    assert sum(c.startswith("mkdir .kamal/lock-app ") for c in executor.commands()) == 1
