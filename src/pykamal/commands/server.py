"""Host preparation: the run directory (Docker's own checks and installation are in ``commands.docker``)."""

from __future__ import annotations

from pykamal.commands.base import Command, cmd

RUN_DIRECTORY = ".kamal"


def ensure_run_directory() -> Command:
    return cmd("mkdir", "-p", RUN_DIRECTORY)
