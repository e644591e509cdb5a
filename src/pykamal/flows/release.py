"""Release commands (``x-pykamal.release``): run once per deploy, before anything boots.

The command runs in a one-off container of the new version on the release role's primary host,
with that role's env file (uploaded first), volumes and network, under the deploy lock. Its
output is shown as it comes. A non-zero exit or a timeout stops the deploy before any container
boots or any traffic moves.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

from pykamal.commands import app, env_file
from pykamal.commands import release as release_commands
from pykamal.commands.base import combine
from pykamal.errors import RemoteError
from pykamal.flows.common import audit

if TYPE_CHECKING:
    from pykamal.config.extensions import Release
    from pykamal.config.model import Config
    from pykamal.flows.context import Run

OUTPUT_TAIL = 5  # lines of the release's output repeated in its error


class ReleaseFailed(RemoteError):
    """The release command exited non-zero or ran past its timeout."""


def skipped_note(run: Run) -> str | None:
    release = run.config.extensions.release
    return None if release is None else f"Release command '{release.cmd}' is not run by {run.command}"


async def run_release(run: Run, config: Config | None = None) -> None:
    """Run the configured release command for ``config.version`` (default: the run's); no-op if none."""
    config = config or run.config
    release = config.extensions.release
    if release is None:
        return
    role = config.role(release.role)
    host = role.hosts[0]
    output = run.output
    output.say(f"Run release command '{release.cmd}' with version {config.version} on {host}...")
    _, content = env_file.role_env_file(config, role, host, config.secrets)
    await run.executor.run(
        host,
        combine(
            app.ensure_env_directory(config),
            audit(run, config).record(
                f"Release command '{release.cmd}' on app version {config.version}", role
            ),
        ),
        log_level="debug",
    )
    await run.executor.upload(host, content, config.role_env_file(role))

    tail: deque[str] = deque(maxlen=OUTPUT_TAIL)

    def show(_stream: str, line: str) -> None:
        tail.append(line)
        output.stream_line(host, line)

    command = release_commands.run(config, role, host, release.cmd)
    try:
        with output.step(host, "release"):
            result = await run.executor.run(
                host, command, check=False, timeout=release.timeout, on_line=show, log_level="debug"
            )
            if not result.ok:
                if not tail:  # an executor that does not stream (or a failure before any output)
                    tail.extend((result.stderr or result.stdout).splitlines()[-OUTPUT_TAIL:])
                raise ReleaseFailed(_message(release, host, f"exit status {result.exit_status}", tail))
    except Exception as exc:
        from pykamal.remote.result import CommandTimeout

        if not isinstance(exc, CommandTimeout):
            raise
        await run.executor.run(host, release_commands.remove(config, role), check=False)
        raise ReleaseFailed(_message(release, host, f"timed out after {release.timeout} s", tail)) from None
    output.say(f"Release command finished on {host}")


def _message(release: Release, host: str, how: str, tail: deque[str]) -> str:
    last = " | ".join(line.strip() for line in tail if line.strip())
    text = f"Release command '{release.cmd}' failed on {host} ({how}); nothing was booted or switched"
    return f"{text}; last output: {last}" if last else text


async def release_alone(run: Run) -> None:
    """``pykamal release``: the release command for ``--version`` (default: the version running)."""
    from pykamal.errors import UsageError
    from pykamal.flows.common import locked
    from pykamal.flows.proxy import login

    release = run.config.extensions.release
    if release is None:
        raise UsageError(f"No release command configured (x-pykamal/release/cmd in {run.config.config_file})")
    role = run.config.role(release.role)
    host = role.hosts[0]
    await run.pre_connect()
    version = run.config.declared_version
    if not version:
        run.output.say("Get current version of running container...")
        found = await run.executor.run(host, app.current_running_version(run.config, role))
        version = found.stdout.strip()
        if not version and not run.plan:
            raise UsageError(f"No running {role.name} container on {host}; give one with --version")
    config = run.config.with_version(version or run.config.version)
    run = replace(run, config=config)  # the lock names the version released
    async with locked(run):
        login_command = login(run)
        if login_command is not None:
            await run.executor.run(host, login_command)
        await run_release(run, config)
