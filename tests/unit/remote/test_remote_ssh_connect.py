"""Connection management of the SSH executor, with asyncssh.connect replaced by a stand-in."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import asyncssh
import pytest
from remote_helpers import Captured

from pykamal.remote import ssh as ssh_module
from pykamal.remote.result import ConnectError
from pykamal.remote.ssh import SshExecutor
from pykamal.remote.ssh_settings import SshSettings


class FakeConnection:
    def __init__(self, host: str) -> None:
        self.host = host
        self.closed = False

    def close(self) -> None:
        self.closed = True

    async def wait_closed(self) -> None:
        return None


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, *args: Any) -> None:
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(ssh_module.asyncio, "sleep", fake_sleep)
    return delays


def settings(**changes: Any) -> SshSettings:
    return SshSettings(config_files=None, host_key_checking="off", **changes)


def test_dns_failures_are_retried_with_backoff(
    monkeypatch: pytest.MonkeyPatch, no_backoff: list[float]
) -> None:
    attempts: list[str] = []

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        attempts.append(host)
        if len(attempts) < 3:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return FakeConnection(host)

    monkeypatch.setattr(asyncssh, "connect", connect)
    captured = Captured("info")
    executor = SshExecutor(settings(dns_retries=3), captured.output)
    conn = asyncio.run(executor.connection("web.example"))
    assert conn.ssh.host == "web.example" and len(attempts) == 3
    assert len(no_backoff) == 2 and no_backoff[0] < no_backoff[1] <= 2.1
    assert "Retrying DNS for web.example (attempt 1/3)" in captured.errors
    assert "Temporary failure in name resolution" in captured.errors


def test_dns_failure_after_the_last_retry_is_a_connect_error(
    monkeypatch: pytest.MonkeyPatch, no_backoff: list[float]
) -> None:
    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncssh, "connect", connect)
    executor = SshExecutor(settings(dns_retries=2), Captured("info").output)
    with pytest.raises(ConnectError, match=r"^could not resolve nowhere\.example: Name or service not known"):
        asyncio.run(executor.connection("nowhere.example"))
    assert len(no_backoff) == 2


def test_connection_starts_are_bounded_and_connections_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    active = 0
    peak = 0
    opened: list[str] = []

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        opened.append(host)
        return FakeConnection(host)

    monkeypatch.setattr(asyncssh, "connect", connect)
    executor = SshExecutor(settings(max_concurrent_starts=3), Captured("info").output)
    hosts = [f"10.0.0.{i}" for i in range(10)]

    async def main() -> None:
        await asyncio.gather(*(executor.connection(h) for h in hosts + hosts))
        await asyncio.gather(*(executor.connection(h) for h in hosts))
        await executor.close()

    asyncio.run(main())
    assert peak == 3
    assert sorted(opened) == sorted(hosts)  # one connection per host, however often it is asked for


def test_connecting_ahead_opens_the_pooled_connection_once(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        opened.append(host)
        await asyncio.sleep(0.01)
        return FakeConnection(host)

    monkeypatch.setattr(asyncssh, "connect", connect)
    executor = SshExecutor(settings(), Captured("info").output)

    async def main() -> None:
        ahead = asyncio.ensure_future(executor.connect("h1"))
        await asyncio.sleep(0)  # the connection is on its way when the command asks for it
        await executor.connection("h1")
        await ahead
        await executor.close()

    asyncio.run(main())
    assert opened == ["h1"]


def test_a_command_waiting_for_a_failing_connection_ahead_gets_its_failure_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[str] = []

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        attempts.append(host)
        await asyncio.sleep(0.01)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(asyncssh, "connect", connect)
    executor = SshExecutor(settings(), Captured("info").output)

    async def main() -> str:
        ahead = asyncio.ensure_future(executor.connect("h1"))
        await asyncio.sleep(0)  # the attempt is under way when the command asks for the host
        with pytest.raises(ConnectError) as caught:
            await executor.connection("h1")
        await ahead  # never raises
        return str(caught.value)

    assert "refused" in asyncio.run(main())
    assert attempts == ["h1"]  # the command waited for that attempt instead of making its own


def test_a_command_after_a_failed_connection_ahead_tries_again(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        attempts.append(host)
        if len(attempts) == 1:  # down when the build starts, back by the time the pull comes
            raise ConnectionRefusedError(111, "Connection refused")
        return FakeConnection(host)

    monkeypatch.setattr(asyncssh, "connect", connect)
    executor = SshExecutor(settings(), Captured("info").output)

    async def main() -> None:
        await executor.connect("h1")
        await asyncio.sleep(0.01)
        await executor.connection("h1")
        await executor.close()

    asyncio.run(main())
    assert attempts == ["h1", "h1"]


def test_connect_options_follow_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    seen: dict[str, Any] = {}

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        seen.update(kwargs, host=host)
        return FakeConnection(host)

    key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id"
    key_file.write_bytes(key.export_private_key())
    monkeypatch.setattr(asyncssh, "connect", connect)
    chosen = settings(user="deploy", port=2222, keys=(str(key_file),), keys_only=True, connect_timeout=9)
    asyncio.run(SshExecutor(chosen, Captured("info").output).connection("h1"))
    assert seen["host"] == "h1" and seen["port"] == 2222 and seen["username"] == "deploy"
    assert seen["keepalive_interval"] == 30 and seen["connect_timeout"] == 9
    assert seen["agent_path"] is None  # keys_only: no agent keys
    assert [k.get_fingerprint() for k in seen["client_keys"]] == [key.get_fingerprint()]
    assert seen["known_hosts"] is None  # host_key_checking off
    assert seen["config"] == []


@pytest.mark.parametrize(("forward_agent", "expected"), [(True, True), (False, False), (None, "unset")])
def test_forward_agent_is_passed_only_when_set(
    monkeypatch: pytest.MonkeyPatch, forward_agent: bool | None, expected: Any
) -> None:
    seen: dict[str, Any] = {}

    async def connect(host: str, **kwargs: Any) -> FakeConnection:
        seen.update(kwargs)
        return FakeConnection(host)

    monkeypatch.setattr(asyncssh, "connect", connect)
    chosen = settings(forward_agent=forward_agent)
    asyncio.run(SshExecutor(chosen, Captured("info").output).connection("h1"))
    assert seen.get("agent_forwarding", "unset") == expected  # unset: the OpenSSH config decides
