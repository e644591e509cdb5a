"""Commands on the deploying machine, for flows.

In a dry run, or when a flow runs on a recording executor (unit tests), local commands go to that
same recorder under the host name ``localhost``, so they are printed or recorded next to the remote
ones and nothing really runs here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykamal.remote.local import LOCALHOST

if TYPE_CHECKING:
    from pykamal.flows.context import Run
    from pykamal.remote.executor import Executor

__all__ = ["LOCALHOST", "ensure_local_docker", "is_recording", "local_executor"]


def is_recording(run: Run) -> bool:
    from pykamal.remote.fake import RecordingExecutor

    return run.plan or isinstance(run.executor, RecordingExecutor)


def local_executor(run: Run, cwd: str | None = None) -> Executor:
    """An executor for this machine, running in ``cwd`` (default: the current directory)."""
    if is_recording(run):
        return run.executor
    from pykamal.remote.local import LocalExecutor

    return LocalExecutor(run.output, cwd=cwd)


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
