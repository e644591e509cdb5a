"""Builds from a clean git clone of the repository (shared with Kamal: same clone directory)."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from pykamal.commands.base import Command
from pykamal.commands.git import git


def clone_directory(service: str, cwd: str, tmpdir: str) -> str:
    """``<tmpdir>/kamal-clones/<service>-<13 hex of sha256(cwd)>`` (shared with Kamal)."""
    digest = hashlib.sha256(cwd.encode()).hexdigest()[:13]
    return f"{tmpdir.rstrip('/')}/kamal-clones/{service}-{digest}"


def build_directory(clone_dir: str, git_root: str, cwd: str) -> str:
    """The clone's counterpart of ``cwd`` (the same subdirectory of the repository)."""
    relative = cwd.removeprefix(git_root).lstrip("/")
    return "/".join([clone_dir.rstrip("/"), PurePosixPath(git_root).name, relative])


def clone(clone_dir: str, git_root: str) -> Command:
    return git("clone", git_root, "--recurse-submodules", path=clone_dir)


def clone_reset_steps(build_dir: str, git_root: str, revision: str) -> list[Command]:
    """Bring an existing clone to ``revision`` with nothing else in it."""
    return [
        git("remote", "set-url", "origin", git_root, path=build_dir),
        git("fetch", "origin", path=build_dir),
        git("reset", "--hard", revision, path=build_dir),
        git("clean", "-fdx", path=build_dir),
        git("submodule", "update", "--init", path=build_dir),
    ]


def clone_status(build_dir: str) -> Command:
    return git("status", "--porcelain", path=build_dir)


def clone_revision(build_dir: str) -> Command:
    return git("rev-parse", "HEAD", path=build_dir)


def clone_already_exists(error_output: str) -> bool:
    return "already exists and is not an empty directory" in error_output
