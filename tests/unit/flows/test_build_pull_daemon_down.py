"""build pull on a host whose Docker daemon does not answer: the error says so and names the host."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from build_flow_helpers import BASE, load
from flow_runs import MakeRun

from pykamal.commands import builder
from pykamal.errors import PykamalError
from pykamal.flows import build


@pytest.mark.recorded(command="build", skip_hooks=True)
def test_mirror_query_on_a_host_without_a_running_daemon_names_host_and_daemon(
    project_dir: Path, make_run: MakeRun
) -> None:
    # the mirror is read only for images on Docker Hub (the one registry Docker's mirrors serve)
    on_hub = BASE.replace("  server: registry.example.test:5000\n", "")
    run, ex, _ = make_run(load(project_dir, on_hub))
    ex.respond(
        r"RegistryConfig\.Mirrors",
        host="h2",
        exit_status=builder.MIRROR_UNREADABLE,  # the pull script's status when the mirror read fails
        stderr='template: :1:23: executing "" at <.RegistryConfig.Mirrors>: reflect: '
        "indirection through nil pointer to embedded struct field Info",
    )
    with pytest.raises(PykamalError) as raised:
        asyncio.run(build.pull(run))
    message = str(raised.value)
    assert "h2" in message
    assert "cannot connect to the Docker daemon" in message
    assert "nil pointer" not in message
