"""Glue for running a command: its SSH executor, and running the async main.

``run_async`` runs a coroutine in a fresh event loop. Ctrl-C (SIGINT) and SIGTERM cancel the main
task, so ``finally`` blocks and ``deploy_lock`` clean up (release the lock, kill remote commands)
before the process exits: SIGINT then ends as ``KeyboardInterrupt`` (exit 130), SIGTERM as exit 143.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.remote.output import Output
    from pykamal.remote.ssh import SshExecutor

T = TypeVar("T")
TERMINATED_EXIT_CODE = 128 + signal.SIGTERM
INTERRUPTED_EXIT_CODE = 128 + signal.SIGINT


def ssh_executor(config: Config, output: Output) -> SshExecutor:
    """An SSH executor for the configuration's ``ssh``/``sshkit`` settings."""
    from pykamal.remote.ssh import SshExecutor
    from pykamal.remote.ssh_settings import SshSettings

    secret = None
    if config.ssh.key_data_secrets:
        secrets = config.secrets

        def secret(name: str) -> str | None:
            return secrets.get(name) if name in secrets else None

    return SshExecutor(SshSettings.from_config(config, secret=secret), output)


def run_async(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    terminated = False

    async def guarded() -> T:
        nonlocal terminated
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()

        with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        try:
            return await main()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        with asyncio.Runner() as runner:
            return runner.run(guarded())
    except asyncio.CancelledError:
        if terminated:
            print("Terminated", file=sys.stderr)
            raise SystemExit(TERMINATED_EXIT_CODE) from None
        raise
    except KeyboardInterrupt:
        # exit here with the shell's code for SIGINT (click would turn the interrupt into "Aborted!", 1)
        print("Interrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED_EXIT_CODE) from None
