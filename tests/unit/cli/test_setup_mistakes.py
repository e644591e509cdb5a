"""Common setup mistakes end in one line that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_files import write_project

from pykamal.cli import run


def test_an_empty_registry_password_names_the_secret_to_set(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_project(
        project_dir,
        "service: app\nimage: app\nservers: [10.0.0.1]\nbuilder:\n  arch: amd64\n"
        "registry:\n  server: registry.example\n  username: kamal\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\n",
        secrets="KAMAL_REGISTRY_PASSWORD=\n",  # as init leaves it
    )
    assert run(["registry", "login", "--skip-remote"]) == 1
    error = capsys.readouterr().err
    assert error == (
        "  ERROR registry/password: the secret KAMAL_REGISTRY_PASSWORD is empty: set it in .kamal/secrets "
        "(the password or an access token for registry.example)\n"
    )


def test_a_missing_env_secret_is_one_line_not_one_per_role_that_waited(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The web boot fails on the secret; the workers, held back by it, are not a second error."""
    write_project(
        project_dir,
        "service: app\nimage: app\nservers:\n  web: [10.0.0.1, 10.0.0.2]\n  workers: [10.0.0.3]\n"
        "registry: {username: u, password: p}\nbuilder: {arch: amd64}\nenv:\n  secret: [A]\n",
    )
    assert run(["deploy", "--plan", "--skip-push", "--version", "v1"]) == 1
    error = capsys.readouterr().err
    assert error.splitlines() == [
        "  ERROR Secret 'A' not found, no secret files (.kamal/secrets-common, .kamal/secrets) provided"
    ]
