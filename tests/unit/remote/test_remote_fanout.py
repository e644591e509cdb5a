from __future__ import annotations

import asyncio

import pytest

from pykamal.commands.base import cmd
from pykamal.remote.executor import run_command_on, run_on
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.result import CommandFailed, ConnectError, FanOutError, HostError, Result


def test_runs_hosts_in_parallel_and_returns_results_in_host_order() -> None:
    started: list[str] = []

    async def work(host: str) -> str:
        started.append(host)
        await asyncio.sleep(0.05 if host == "h1" else 0.01)
        return host.upper()

    async def main() -> tuple[dict[str, str], float]:
        loop = asyncio.get_running_loop()
        began = loop.time()
        results = await run_on(["h1", "h2", "h3", "h1"], work)
        return results, loop.time() - began

    results, elapsed = asyncio.run(main())
    assert list(results) == ["h1", "h2", "h3"]
    assert results["h2"] == "H2"
    assert started == ["h1", "h2", "h3"]
    assert elapsed < 0.1  # parallel: not 0.05 + 0.01 + 0.01 + ... sequentially


def test_waits_for_all_hosts_and_aggregates_failures() -> None:
    finished: list[str] = []

    async def work(host: str) -> str:
        if host == "h2":
            raise HostError(host, "connection refused")
        if host == "h4":
            raise RuntimeError("kaput")
        await asyncio.sleep(0.02)
        finished.append(host)
        return host

    with pytest.raises(FanOutError) as info:
        asyncio.run(run_on(["h1", "h2", "h3", "h4", "h5"], work))
    error = info.value
    assert str(error) == "failed on 2 of 5 hosts: h2: connection refused; h4: kaput"
    assert sorted(finished) == ["h1", "h3", "h5"]
    assert error.results == {"h1": "h1", "h3": "h3", "h5": "h5"}
    assert set(error.failures) == {"h2", "h4"}


def test_a_single_host_failure_keeps_its_own_message() -> None:
    async def work(host: str) -> None:
        raise ConnectError(
            host, "timed out after 5 s connecting to root@h1:22", "timed out after 5 s connecting"
        )

    with pytest.raises(FanOutError) as info:
        asyncio.run(run_on(["h1"], work))
    assert str(info.value) == "timed out after 5 s connecting"
    assert isinstance(info.value.only_failure, ConnectError)


def test_cancelling_the_caller_cancels_every_host() -> None:
    cancelled: list[str] = []

    async def work(host: str) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(host)
            raise

    async def main() -> None:
        task = asyncio.ensure_future(run_on(["a", "b", "c"], work))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert sorted(cancelled) == ["a", "b", "c"]


def test_empty_host_list() -> None:
    async def work(host: str) -> None:
        raise AssertionError("not called")

    assert asyncio.run(run_on([], work)) == {}


def test_run_command_on_with_failed_command_reports_exit_status(recorder: RecordingExecutor) -> None:
    recorder.respond(r"^docker -v$", host="h2", exit_status=127, stderr="sh: 1: docker: not found\n")

    with pytest.raises(FanOutError) as info:
        asyncio.run(run_command_on(recorder, ["h1", "h2"], cmd("docker", "-v")))
    assert str(info.value) == (
        "failed on 1 of 2 hosts: h2: `docker -v` failed with exit status 127: sh: 1: docker: not found; "
        "Docker is not installed on this host: run `pykamal server bootstrap`"
    )
    assert isinstance(info.value.results["h1"], Result)


def test_command_failed_message_names_host_and_last_error_line() -> None:
    error = CommandFailed(Result("h9", "false", 1, "", "first\nsecond\n\n"))
    assert str(error) == "`false` failed on h9 with exit status 1: second"
    assert error.reason == "`false` failed with exit status 1: second"


def test_failure_messages_never_carry_secret_values(recorder: RecordingExecutor) -> None:
    from pykamal.commands.base import Sensitive

    recorder.respond("login", exit_status=1, stderr="error: bad password hunter2-secret\n")

    with pytest.raises(CommandFailed) as info:
        asyncio.run(recorder.run("h1", cmd("login", "--password", Sensitive("hunter2-secret"))))
    assert "hunter2-secret" not in str(info.value)
    assert str(info.value).endswith("error: bad password [REDACTED]")
    assert info.value.result.stderr == "error: bad password hunter2-secret\n"  # raw result kept for callers
