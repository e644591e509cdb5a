"""Configs and runs for unit tests of the deploy, app, proxy and prune flows (nothing runs remotely)."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any

from flow_runs import recorded_run
from project_files import write_project

from pykamal.config import load_config
from pykamal.flows.context import Run
from pykamal.remote.fake import RecordingExecutor
from pykamal.remote.output import Output

SECRET = "db-Pa55-3f9a1c"
REGISTRY_PASSWORD = "reg-Pa55-77b2e0"

CONFIG = """
service: app
image: team/app
servers:
  web:
    hosts: [h1, h2]
  worker:
    hosts: [h2, h3]
    cmd: bin/work
registry:
  server: registry.example.test
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
env:
  clear:
    MODE: production
  secret:
    - DB_PASSWORD
proxy:
  app_port: 3000
  healthcheck:
    path: /up
readiness_delay: 2
deploy_timeout: 9
drain_timeout: 4
"""

HOOK = """#!/bin/sh
env | grep -E '^(KAMAL_|DB_PASSWORD)' | sort > "{folder}/$(basename "$0").$(date +%s%N).env"
"""


class Project:
    """A project folder with config/deploy.yml, .kamal/secrets and optional hooks."""

    def __init__(self, root: Path, config: str = CONFIG) -> None:
        self.root = write_project(
            root, config, f"KAMAL_REGISTRY_PASSWORD={REGISTRY_PASSWORD}\nDB_PASSWORD={SECRET}\n"
        )
        self.hook_output = root / "hook-output"
        self.hook_output.mkdir(exist_ok=True)

    def add_hooks(self, *names: str, script: str = HOOK) -> None:
        hooks = self.root / ".kamal" / "hooks"
        hooks.mkdir(exist_ok=True)
        for name in names:
            path = hooks / name
            path.write_text(script.format(folder=self.hook_output))
            path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def hook_runs(self) -> list[tuple[str, dict[str, str]]]:
        """(hook name, environment) of every hook run, in order."""
        runs = []
        for path in sorted(self.hook_output.iterdir(), key=lambda p: int(p.name.rsplit(".", 2)[1])):
            env = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
            runs.append((path.name.rsplit(".", 2)[0], env))
        return runs

    def run(
        self,
        *,
        version: str = "v2",
        hosts: str | None = None,
        roles: str | None = None,
        command: str = "deploy",
        subcommand: str | None = None,
        executor: RecordingExecutor | None = None,
    ) -> Run:
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            config = load_config("config/deploy.yml", version=version)
            config.secrets.all()  # read while in the project folder
        finally:
            os.chdir(cwd)
        config = _absolute_paths(config, self.root)
        output = Output("debug", stream=io.StringIO(), err_stream=io.StringIO(), color=False)
        run, _, _ = recorded_run(
            config,
            command=command,
            subcommand=subcommand,
            output=output,
            executor=executor,
            hosts=hosts,
            roles=roles,
        )
        return run


def _absolute_paths(config: Any, root: Path) -> Any:
    from dataclasses import replace

    return replace(  # the same secrets store
        config,
        hooks_path=str(root / config.hooks_path),
        secrets_path=str(root / config.secrets_path),
        error_pages_path=str(root / config.error_pages_path) if config.error_pages_path else None,
    )


def printed(run: Run) -> str:
    out = run.output.stream.getvalue()  # type: ignore[attr-defined]
    err = run.output.err_stream.getvalue()  # type: ignore[attr-defined]
    return out + err


def scripted(executor: RecordingExecutor, states: dict[str, str] | None = None) -> RecordingExecutor:
    """Probe answers per host (``@pykamal`` lines); everything else succeeds with no output."""
    for host, text in (states or {}).items():
        executor.respond(r"@pykamal container", host=host, stdout=text)
    return executor


REPOSITORY = "registry.example.test/team/app"


def host_state(
    containers: list[tuple[str, str, str, str]] = (),  # type: ignore[assignment]
    *,
    proxy: str | None = "basecamp/kamal-proxy:v0.9.2 true",
    latest: str | None = None,
) -> str:
    """A probe's output: (name, role, state, tag) per container (newest first), image tags, proxy."""
    lines = [f"@pykamal proxy {proxy}"] if proxy else []
    tags = {tag for *_, tag in containers}
    ids = {tag: f"{abs(hash(tag)) % 16**12:012x}" for tag in sorted(tags)}
    for name, role, state, tag in containers:
        lines.append(f"@pykamal container {name} {role} {state} {REPOSITORY}:{tag}")
    for tag, image_id in ids.items():
        lines.append(f"@pykamal image {image_id} {tag}")
    if latest:
        lines.append(f"@pykamal image {ids[latest]} latest")
    return "\n".join(lines) + "\n"
