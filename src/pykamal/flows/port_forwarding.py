"""SSH reverse port forwards to a registry on this machine (``registry.server: localhost:PORT``).

While the block runs, ``127.0.0.1:<port>`` on every host reaches ``127.0.0.1:<port>`` here, so
``docker pull localhost:<port>/<image>`` on a host pulls from the local registry. The forwards
are opened on all hosts in parallel; if any of them fails or they are not all up within the
timeout, the ones already open are closed and the error names the hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager

from pykamal.errors import RemoteError
from pykamal.remote.executor import Executor
from pykamal.remote.output import Output
from pykamal.remote.result import describe_failure

DEFAULT_TIMEOUT = 30.0


@contextlib.asynccontextmanager
async def forward_local_port(
    executor: Executor,
    hosts: Iterable[str],
    port: int,
    *,
    output: Output | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AsyncIterator[None]:
    """Reverse-forward ``port`` from each host to this machine for the duration of the block."""
    hosts = tuple(dict.fromkeys(hosts))
    if output is not None and hosts:
        output.say(f"Setting up local registry port forwarding to {', '.join(hosts)}...", color=None)
    opened: list[AbstractAsyncContextManager[int]] = []
    failures: dict[str, BaseException] = {}

    async def open_one(host: str) -> None:
        forward = executor.forward_remote_port(host, port, port)
        try:
            await forward.__aenter__()
        except Exception as exc:
            failures[host] = exc
            return
        opened.append(forward)

    tasks = [asyncio.ensure_future(open_one(host)) for host in hosts]
    try:
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if pending:
                waiting = [h for h, t in zip(hosts, tasks, strict=True) if t in pending]
                raise RemoteError(
                    f"Timed out after {timeout:g} s waiting for port forwarding to be established "
                    f"on {', '.join(waiting)}"
                )
        if failures:
            details = "; ".join(f"{host}: {describe_failure(exc)}" for host, exc in failures.items())
            raise RemoteError(f"Error setting up port forwarding to {', '.join(failures)}: {details}")
        yield
    finally:
        for task in tasks:
            task.cancel()
        for forward in reversed(opened):
            with contextlib.suppress(Exception):
                await forward.__aexit__(None, None, None)
