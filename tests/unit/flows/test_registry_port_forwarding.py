"""Reverse tunnels for a local registry: opened in parallel, bounded by a timeout, always closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from pykamal.errors import RemoteError
from pykamal.flows.port_forwarding import forward_local_port
from pykamal.remote.output import Output
from pykamal.remote.result import ConnectError


class FakeForwarder:
    def __init__(self, *, hang: set[str] = frozenset(), fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.output = Output()
        self.hang, self.fail = hang, fail
        self.open: set[str] = set()
        self.started: list[str] = []
        self.max_concurrent = 0

    @contextlib.asynccontextmanager
    async def forward_remote_port(
        self, host: str, remote_port: int, local_port: int, **_: object
    ) -> AsyncIterator[int]:
        self.started.append(host)
        await asyncio.sleep(0.05)  # all hosts start before any finishes when run in parallel
        self.max_concurrent = max(self.max_concurrent, len(self.started) - len(self.open))
        if host in self.hang:
            await asyncio.sleep(3600)
        if host in self.fail:
            raise ConnectError(host, "could not forward port 127.0.0.1:5555: administratively prohibited")
        self.open.add(host)
        try:
            yield remote_port
        finally:
            self.open.discard(host)


def run_block(forwarder: FakeForwarder, hosts: list[str], timeout: float = 5.0) -> set[str]:
    seen: set[str] = set()

    async def main() -> None:
        async with forward_local_port(forwarder, hosts, 5555, timeout=timeout):  # type: ignore[arg-type]
            seen.update(forwarder.open)

    asyncio.run(main())
    return seen


def test_all_tunnels_are_open_during_the_block_and_closed_after() -> None:
    forwarder = FakeForwarder()
    assert run_block(forwarder, ["h1", "h2", "h3"]) == {"h1", "h2", "h3"}
    assert forwarder.open == set()
    assert forwarder.max_concurrent == 3  # opened in parallel


def test_a_hanging_host_times_out_and_the_others_are_closed() -> None:
    forwarder = FakeForwarder(hang={"h2"})
    with pytest.raises(RemoteError, match=r"Timed out after 0\.3 s waiting for port forwarding .* on h2$"):
        run_block(forwarder, ["h1", "h2", "h3"], timeout=0.3)
    assert forwarder.open == set()


def test_a_failing_host_is_named_and_the_others_are_closed() -> None:
    forwarder = FakeForwarder(fail={"h3"})
    with pytest.raises(
        RemoteError, match=r"Error setting up port forwarding to h3: .*administratively prohibited"
    ):
        run_block(forwarder, ["h1", "h2", "h3"])
    assert forwarder.open == set()
