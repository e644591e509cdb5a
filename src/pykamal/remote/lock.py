"""Taking, inspecting and releasing the deploy lock, and ``deploy_lock`` for flows.

``deploy_lock`` releases the lock however the block ends: normally, on an error, or when the run
is cancelled (Ctrl-C / SIGTERM cancel the main task, see ``runtime.run_async``). A lock whose
details are older than ``PYKAMAL_STALE_LOCK_AGE`` (default 1 h; plain seconds or ``90m``, ``2h``,
``1d``) is reported as stale, with its holder and age.

With ``--lock-wait`` (Kamal 2.12) a lock held by another deploy is waited for: the holder is shown
once, then the lock is tried again every interval until the timeout. A lock taken by hand
(``lock acquire``, any message but the automatic one) is not waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from pykamal.commands import lock as lock_commands
from pykamal.commands import server as server_commands
from pykamal.commands.lock import AUTOMATIC_MESSAGE, LockDetails, parse_details
from pykamal.config.model import Config
from pykamal.errors import ConfigError, LockError
from pykamal.remote.executor import Executor, run_on
from pykamal.remote.identity import git_user_name
from pykamal.remote.output import Output
from pykamal.remote.result import CommandFailed

STALE_ENV = "PYKAMAL_STALE_LOCK_AGE"
DEFAULT_STALE_AFTER = 3600.0
_NO_LOCK = "No such file or directory"

_held: contextvars.ContextVar[bool] = contextvars.ContextVar("pykamal_lock_held", default=False)


def lock_held(environ: Mapping[str, str] | None = None) -> bool:
    """True inside ``deploy_lock``, or when a parent Kamal/pykamal holds it (``KAMAL_LOCK=true``)."""
    env = os.environ if environ is None else environ
    return _held.get() or env.get("KAMAL_LOCK") == "true"


def stale_after(environ: Mapping[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    raw = env.get(STALE_ENV, "").strip()
    return parse_duration(raw, STALE_ENV) if raw else DEFAULT_STALE_AFTER


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")


def parse_duration(text: str, name: str) -> float:
    match = _DURATION.match(text.lower())
    if not match:
        raise ConfigError(f"{name}: {text!r} is not a duration (e.g. 3600, 90m, 2h, 1d)")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


def format_age(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def describe(details: LockDetails, *, now: datetime | None = None, stale_seconds: float | None = None) -> str:
    """``held by NAME for AGE`` plus a stale notice when older than the stale age."""
    now = now or datetime.now(UTC)
    limit = DEFAULT_STALE_AFTER if stale_seconds is None else stale_seconds
    age = details.age(now)
    who = details.locked_by or "unknown"
    text = f"held by {who}"
    if age is not None:
        text += f" for {format_age(age)}"
        if age > limit:
            text += f" (STALE: older than {format_age(limit)})"
    if details.message:
        text += f", message: {details.message}"
    return text


def is_stale(
    details: LockDetails, *, now: datetime | None = None, stale_seconds: float | None = None
) -> bool:
    age = details.age(now or datetime.now(UTC))
    return age is not None and age > (DEFAULT_STALE_AFTER if stale_seconds is None else stale_seconds)


@dataclass(frozen=True)
class LockWait:
    """How long to wait for a lock held by another deploy, and how often to try again."""

    timeout: float = 900.0
    interval: float = 15.0


def _seconds(value: float) -> str:
    return f"{value:g}s"


class DeployLock:
    """The lock of one configuration (service and destination) on its primary host."""

    def __init__(
        self,
        config: Config,
        executor: Executor,
        *,
        primary_host: str | None = None,
        hosts: Sequence[str] | None = None,
    ) -> None:
        self.config = config
        self.executor = executor
        self.primary_host = primary_host or config.primary_host
        self.hosts = tuple(hosts) if hosts else (self.primary_host,)
        self._written: str | None = None  # the details text of our last acquire attempt

    @property
    def output(self) -> Output:
        return self.executor.output

    async def ensure_run_directory(self) -> None:
        await run_on(self.hosts, lambda h: self.executor.run(h, server_commands.ensure_run_directory()))

    async def acquire(self, message: str = AUTOMATIC_MESSAGE, version: str | None = None) -> None:
        """Take the lock; raises LockError (naming holder and age) when someone else holds it."""
        await self.ensure_run_directory()
        if not await self._try_acquire(message, version):
            await self._raise_locked()

    async def acquire_waiting(
        self, wait: LockWait, message: str = AUTOMATIC_MESSAGE, version: str | None = None
    ) -> None:
        """Take the lock, waiting up to ``wait.timeout`` seconds while another deploy holds it."""
        await self.ensure_run_directory()
        deadline = time.monotonic() + wait.timeout
        holder: LockDetails | None = None
        while not await self._try_acquire(message, version):
            if holder is None:
                holder = await self.status()
                if holder is None:  # released in between: try again at once
                    continue
                self._show_holder(holder)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                waited = _seconds(wait.timeout)
                self.output.say(f"Timed out after {waited} waiting for the deploy lock", "red")
                summary = describe(holder, stale_seconds=stale_after())
                raise LockError(f"Timed out waiting for the deploy lock on {self.primary_host}: {summary}")
            self.output.say(f"Retrying in {_seconds(wait.interval)} ({int(remaining)}s remaining)...")
            await asyncio.sleep(min(wait.interval, remaining))

    def _show_holder(self, holder: LockDetails) -> None:
        self.output.say("Deploy lock is held by:")
        self.output.puts(holder.text)
        if AUTOMATIC_MESSAGE not in holder.text:
            raise LockError(
                f"Deploy lock on {self.primary_host} was taken by hand, not waiting for it: "
                f"{describe(holder, stale_seconds=stale_after())}. "
                "Run 'pykamal lock --help' for more information"
            )

    async def _try_acquire(self, message: str, version: str | None) -> bool:
        """One attempt: True when taken, False when someone else holds the lock."""
        version = version or self.config.version
        at = datetime.now(UTC)
        self._written = lock_commands.details_text(git_user_name(), version, message, at)
        command = lock_commands.acquire(self.config, message, version, git_user_name(), at)
        try:
            await self.executor.run(self.primary_host, command, log_level="debug")
        except CommandFailed as exc:
            if "cannot create directory" not in exc.result.stderr:
                raise
            return False
        return True

    async def _raise_locked(self) -> None:
        self.output.say("Deploy lock already in place!", "red")
        details = await self.status()
        if details is None:  # released in the meantime
            raise LockError("Deploy lock found, but it was gone when read: try again")
        self.output.puts(details.text)
        limit = stale_after()
        summary = describe(details, stale_seconds=limit)
        hint = (
            " If nobody is deploying, run 'pykamal lock release'."
            if is_stale(details, stale_seconds=limit)
            else " Run 'pykamal lock --help' for more information"
        )
        raise LockError(f"Deploy lock found on {self.primary_host}: {summary}.{hint}")

    async def release_if_ours(self) -> bool:
        """Release the lock only if it holds the details we wrote (an interrupted acquire may or may
        not have taken it)."""
        if self._written is None:
            return False
        details = await self.status()
        if details is None or details.text != self._written.strip():
            return False
        return await self.release()

    async def release(self) -> bool:
        """Remove the lock; False if there was none."""
        try:
            await self.executor.run(self.primary_host, lock_commands.release(self.config), log_level="debug")
        except CommandFailed as exc:
            if _NO_LOCK in exc.result.stderr:
                return False
            raise
        return True

    async def status(self) -> LockDetails | None:
        result = await self.executor.run(
            self.primary_host, lock_commands.status(self.config), check=False, log_level="debug"
        )
        if result.ok:
            return parse_details(result.stdout)
        if _NO_LOCK in result.stderr:
            return None
        raise CommandFailed(result, self.output.redactor)


@asynccontextmanager
async def deploy_lock(
    config: Config,
    executor: Executor,
    message: str = AUTOMATIC_MESSAGE,
    *,
    primary_host: str | None = None,
    hosts: Sequence[str] | None = None,
    wait: LockWait | None = None,
) -> AsyncIterator[DeployLock | None]:
    """Hold the deploy lock for the block (re-entrant; a no-op when a parent already holds it).

    With ``wait``, a lock held by another deploy is waited for (see ``DeployLock.acquire_waiting``).
    The lock is released when the block ends in any way, including cancellation by Ctrl-C or
    SIGTERM, before the exception propagates.
    """
    if lock_held():
        yield None
        return
    lock = DeployLock(config, executor, primary_host=primary_host, hosts=hosts)
    try:
        if wait is None:
            executor.output.say("Acquiring the deploy lock...")
            await lock.acquire(message)
        else:
            executor.output.say(f"Acquiring the deploy lock (waiting up to {_seconds(wait.timeout)})...")
            await lock.acquire_waiting(wait, message)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(lock.release_if_ours())
        raise
    token = _held.set(True)
    try:
        yield lock
    except BaseException:
        executor.output.say("Releasing the deploy lock...")
        try:
            await asyncio.shield(lock.release())
        except asyncio.CancelledError:
            executor.output.error("Interrupted again while releasing the deploy lock; it may still be held")
        except Exception as exc:
            executor.output.error(f"Error releasing the deploy lock: {exc}")
        raise
    else:
        executor.output.say("Releasing the deploy lock...")
        await lock.release()
    finally:
        _held.reset(token)
