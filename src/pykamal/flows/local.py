"""This machine, as flows see it: commands run here, the few files builds touch, more SSH connections.

A run gets its ``Machine`` when it is made: the real one, or (``--plan`` and unit tests) one that
sends local commands to the run's recorder under the host name ``localhost``, so they are printed
or recorded next to the remote ones and nothing really runs or changes here.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pykamal.remote.local import LOCALHOST

if TYPE_CHECKING:
    from pykamal.flows.context import Run
    from pykamal.remote.executor import Executor
    from pykamal.remote.output import Output
    from pykamal.remote.ssh_settings import SshSettings

__all__ = [
    "LOCALHOST",
    "DiskWorkspace",
    "Machine",
    "RecordingWorkspace",
    "Workspace",
    "ensure_local_docker",
    "local_executor",
]

# Opens one more SSH connection (a remote builder) with the settings the callable works out.
SshConnector = Callable[[Callable[[], "SshSettings"]], AbstractAsyncContextManager["Executor"]]


class Workspace(Protocol):
    """The files on this machine that builds look at or change."""

    def exists(self, path: str) -> bool: ...

    def make_directory(self, path: str) -> None: ...

    def remove_directory(self, path: str) -> None: ...

    def context_files(self, context: str) -> list[str]:
        """The files of a build context that Docker would receive (``.dockerignore`` applied)."""
        ...


class DiskWorkspace:
    def exists(self, path: str) -> bool:
        return Path(path).expanduser().exists()

    def make_directory(self, path: str) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def remove_directory(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def context_files(self, context: str) -> list[str]:
        from pykamal.flows.build_context import context_files

        return context_files(context)


@dataclass
class RecordingWorkspace:
    """Answers as a checkout where every named file exists and there is nothing to list; records
    the changes it is asked for as ``(operation, path)``."""

    changes: list[tuple[str, str]] = field(default_factory=list)

    def exists(self, path: str) -> bool:
        return True

    def make_directory(self, path: str) -> None:
        self.changes.append(("make_directory", path))

    def remove_directory(self, path: str) -> None:
        self.changes.append(("remove_directory", path))

    def context_files(self, context: str) -> list[str]:
        return []


@dataclass(frozen=True)
class Machine:
    """The deploying machine: ``executor(cwd)`` runs commands here, ``workspace`` holds its files,
    ``connect`` opens another SSH connection."""

    executor: Callable[[str | None], Executor]
    workspace: Workspace
    connect: SshConnector

    @classmethod
    def real(cls, output: Output) -> Machine:
        from pykamal.remote.local import LocalExecutor

        def executor(cwd: str | None) -> Executor:
            return LocalExecutor(output, cwd=cwd)

        @contextlib.asynccontextmanager
        async def connect(settings: Callable[[], SshSettings]) -> AsyncIterator[Executor]:
            from pykamal.remote.ssh import SshExecutor

            ssh = SshExecutor(settings(), output)
            try:
                yield ssh
            finally:
                await ssh.close()

        return cls(executor, DiskWorkspace(), connect)

    @classmethod
    def recording(cls, recorder: Executor, workspace: Workspace | None = None) -> Machine:
        """Everything goes to ``recorder`` (its connection included); files are only recorded."""

        @contextlib.asynccontextmanager
        async def connect(_settings: Callable[[], SshSettings]) -> AsyncIterator[Executor]:
            yield recorder

        return cls(lambda _cwd: recorder, workspace or RecordingWorkspace(), connect)


def local_executor(run: Run, cwd: str | None = None) -> Executor:
    """An executor for this machine, running in ``cwd`` (default: the current directory)."""
    return run.local.executor(cwd)


async def ensure_local_docker(run: Run) -> None:
    """Fail clearly when the docker client is missing here (only steps that need it call this)."""
    from pykamal.commands import docker
    from pykamal.errors import PykamalError
    from pykamal.remote.result import HostError

    try:
        result = await local_executor(run).run(
            LOCALHOST, docker.local_docker_version(), check=False, log_level="debug"
        )
    except HostError:
        raise PykamalError("Docker is not installed locally") from None
    if not result.ok:
        raise PykamalError("Docker is not installed locally")
