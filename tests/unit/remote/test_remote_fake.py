from __future__ import annotations

import asyncio

import pytest
from remote_helpers import Captured

from pykamal.commands.base import Sensitive, cmd
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.result import CommandFailed, CommandTimeout, ConnectError


def test_records_commands_uploads_and_forwards_per_host() -> None:
    executor = RecordingExecutor(Captured("info").output)

    async def main() -> None:
        await executor.run("h1", cmd("docker", "login", "-p", Sensitive("pw12345")))
        await executor.run("h2", cmd("true"))
        await executor.upload("h1", "A=1", ".kamal/x.env")
        async with executor.forward_remote_port("h2", 5000, 5000) as port:
            assert port == 5000
        await executor.close()

    asyncio.run(main())
    assert executor.commands("h1") == ["docker login -p [REDACTED]"]
    assert executor.calls[0].shell == "docker login -p pw12345"
    assert executor.commands() == ["docker login -p [REDACTED]", "true"]
    assert executor.uploads("h1")[0].data == b"A=1" and executor.uploads("h1")[0].mode == 0o600
    assert executor.calls[-1].ports == (5000, 5000)
    assert executor.closed


def test_scripted_responses_latest_first_with_host_and_times() -> None:
    executor = RecordingExecutor()
    executor.respond(r"^cat", stdout="general\n")
    executor.respond(r"^cat", host="h2", stdout="for h2\n", times=1)

    async def main() -> list[str]:
        return [
            (await executor.run("h1", cmd("cat", "f"))).stdout,
            (await executor.run("h2", cmd("cat", "f"))).stdout,
            (await executor.run("h2", cmd("cat", "f"))).stdout,
        ]

    assert asyncio.run(main()) == ["general\n", "for h2\n", "general\n"]


def test_scripted_failures_timeouts_and_exceptions() -> None:
    executor = RecordingExecutor()
    executor.respond("false", exit_status=1, stderr="bad\n")
    executor.respond("slow", delay=1.0)
    executor.respond(lambda text: text.startswith("boom"), raises=ConnectError("h1", "refused"))

    async def main() -> None:
        with pytest.raises(CommandFailed):
            await executor.run("h1", cmd("false"))
        assert not (await executor.run("h1", cmd("false"), check=False)).ok
        with pytest.raises(CommandTimeout):
            await executor.run("h1", cmd("slow"), timeout=0.01)
        with pytest.raises(ConnectError):
            await executor.run("h1", cmd("boom"))

    asyncio.run(main())
    assert executor.hosts_for("false") == ["h1", "h1"]
