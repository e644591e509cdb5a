"""Builds from a clean clone of HEAD (when ``builder.context`` is not set, inside a git repository).

The clone lives in ``<tmpdir>/kamal-clones/<service>-<hash of cwd>`` (the same place Kamal uses),
is reset to the local HEAD before each build, and must come out clean and on that revision;
if anything about it is wrong it is deleted and cloned again once.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykamal.commands import builder as commands
from pykamal.commands import git
from pykamal.errors import PykamalError
from pykamal.flows.local import LOCALHOST, local_executor
from pykamal.remote.result import CommandFailed, HostError

if TYPE_CHECKING:
    from pykamal.flows.context import Run


class CloneError(PykamalError):
    pass


@dataclass(frozen=True)
class GitState:
    """What the build needs to know about the repository around the current directory."""

    root: str
    revision: str
    uncommitted_changes: str  # ``git status --porcelain``


async def git_state(run: Run) -> GitState | None:
    """None outside a git repository (or without git)."""
    local = local_executor(run)
    try:
        if not (await local.run(LOCALHOST, git.is_repository(), check=False, log_level="debug")).ok:
            return None
        root = await local.run(LOCALHOST, git.root(), log_level="debug")
        revision = await local.run(LOCALHOST, git.revision(), log_level="debug")
        status = await local.run(LOCALHOST, git.uncommitted_changes(), log_level="debug")
    except HostError:
        return None
    return GitState(root.stdout.strip(), revision.stdout.strip(), status.stdout.strip())


def clone_directory(run: Run) -> str:
    return commands.clone_directory(run.config.service, os.getcwd(), tempfile.gettempdir())


def clone_build_directory(run: Run, state: GitState) -> str:
    return commands.build_directory(clone_directory(run), state.root, os.getcwd())


async def prepare_clone(run: Run, state: GitState) -> str:
    """Make the clone match HEAD; returns the directory to build in."""
    clone_dir = clone_directory(run)
    build_dir = clone_build_directory(run, state)
    try:
        try:
            await _clone(run, clone_dir, build_dir, state)
        except CommandFailed as exc:
            if not commands.clone_already_exists(exc.result.stderr + exc.result.stdout):
                raise CloneError(f"Failed to clone repo: {_detail(exc)}") from None
            await _reset(run, build_dir, state)
        await _validate(run, build_dir, state)
    except CloneError as exc:
        run.output.error(f"Error preparing clone: {exc}, deleting and retrying...")
        run.local.workspace.remove_directory(clone_dir)
        try:
            await _clone(run, clone_dir, build_dir, state)
        except CommandFailed as again:
            raise CloneError(f"Failed to clone repo: {_detail(again)}") from None
        await _validate(run, build_dir, state)
    return build_dir


async def _clone(run: Run, clone_dir: str, build_dir: str, state: GitState) -> None:
    run.output.log("info", f"Cloning repo into build directory `{build_dir}`...")
    run.local.workspace.make_directory(clone_dir)
    await local_executor(run).run(LOCALHOST, commands.clone(clone_dir, state.root))


async def _reset(run: Run, build_dir: str, state: GitState) -> None:
    run.output.log("info", f"Resetting local clone as `{build_dir}` already exists...")
    local = local_executor(run)
    try:
        for step in commands.clone_reset_steps(build_dir, state.root, state.revision):
            await local.run(LOCALHOST, step)
    except (CommandFailed, HostError) as exc:
        raise CloneError(f"Failed to clone repo: {_detail(exc)}") from None


async def _validate(run: Run, build_dir: str, state: GitState) -> None:
    local = local_executor(run)
    try:
        status = (await local.run(LOCALHOST, commands.clone_status(build_dir))).stdout.strip()
        if status:
            raise CloneError(f"Clone in {build_dir} is dirty, {status}")
        revision = (await local.run(LOCALHOST, commands.clone_revision(build_dir))).stdout.strip()
    except (CommandFailed, HostError) as exc:
        raise CloneError(f"Failed to validate clone: {_detail(exc)}") from None
    if revision != state.revision:
        raise CloneError(
            f"Clone in {build_dir} is not on the correct revision, "
            f"expected `{state.revision}` but got `{revision}`"
        )


def _detail(exc: HostError) -> str:
    if isinstance(exc, CommandFailed):
        text = (exc.result.stderr or exc.result.stdout).strip()
        if text:
            return text.splitlines()[-1]
    return exc.reason
