"""The version being deployed: ``--version`` › ``VERSION`` env var › git HEAD.

A dirty working tree adds ``_uncommitted_<16 random hex>`` to the HEAD sha, unless the image is
built from a clean clone of HEAD (``builder.context`` unset), in which case local changes do not
end up in the image and the plain sha is right.
"""

from __future__ import annotations

import os
import secrets
import subprocess

from pykamal.config.names import tag_problem
from pykamal.errors import ConfigError


def resolve_version(declared: str | None, builder_context: str | None) -> str:
    if declared:
        return declared
    from_env = os.environ.get("VERSION")
    if from_env is not None:
        problem = tag_problem(from_env)
        if problem:
            raise ConfigError(f"VERSION: {problem}")
        return from_env
    return git_version(clone_build=builder_context is None)


def git_version(clone_build: bool) -> str:
    if not _git_ok("rev-parse"):
        raise ConfigError(f"Can't use commit hash as version, no git repository found in {os.getcwd()}")
    revision = _git_output("rev-parse", "HEAD")
    if not clone_build and _git_output("status", "--porcelain"):
        return f"{revision}_uncommitted_{secrets.token_hex(8)}"
    return revision


def _git_ok(*args: str) -> bool:
    try:
        result = subprocess.run(["git", *args], capture_output=True, check=False)
    except OSError:
        return False
    return result.returncode == 0


def _git_output(*args: str) -> str:
    try:
        result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return result.stdout.strip()
