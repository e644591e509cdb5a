#!/usr/bin/env python3
"""Full deploy benchmark: ``deploy`` that builds the example app with buildx, pushes it to the
sandbox registry and deploys it to 3 sandbox hosts, pykamal against ``kamal deploy``.

Both tools deploy the same project (examples/hello as it is: its Dockerfile, its builder settings
``arch: amd64, driver: docker``, a web role behind kamal-proxy on two hosts and a worker on the
third) to the same hosts in the same run, taking turns (alternating which goes first), after one
unmeasured deploy each. Before every measured deploy one source file (``app/build-note``) is
changed and committed, so each deploy builds, pushes and rolls out a new version:

* **warm**: the build cache holds the previous build, so only the changed layer is built;
* **cold**: the same, after the build cache records this benchmark created are pruned.
  The Docker daemon is shared, so its other records are left alone; the changed file makes
  sure none of them can serve this build.

Per deploy: wall time (process start to exit) and CPU time of the tool and its children (the
docker CLI calls included). The machine's load average is recorded at the start and the end.
In the same rotation, the bare ``docker buildx build --output=type=registry`` both tools run
(same tags, label, platform and context) is timed alone after the same kind of change: the part
of a deploy that is Docker's build and push, which neither tool can shorten.

    python bench/full_deploy.py                     # 3 deploys per tool and cache state
    python bench/full_deploy.py --update-report docs/benchmarks.md   # and replace its section
    python bench/full_deploy.py --repeat 2 --json /tmp/full.json

Runs on its own sandbox (``pykamal-bench-build``, 127.0.82.x), removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from benchlib import ROOT, kamal_available, measure, median, replace_section, tool_command

from pykamal.sandbox.core import Sandbox, SandboxSpec

SANDBOX_NAME = "pykamal-bench-build"
BASE_ADDRESS = "127.0.82.10"
HOSTS = 3
EXAMPLE = ROOT / "examples" / "hello"
GOAL = 0.5
HEADING = "## Full deploy: build, push, deploy"
STATES = ("cold", "warm")
BARE = "docker build+push"
GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.test"]


def revision() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


def load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def cache_ids() -> set[str]:
    listing = subprocess.run(
        ["docker", "buildx", "du", "--verbose"], capture_output=True, text=True, check=True
    ).stdout
    return {line.split(":", 1)[1].strip() for line in listing.splitlines() if line.startswith("ID:")}


def prune_own_cache(before: set[str]) -> None:
    """Remove every build cache record created since ``before`` (children before their parents)."""
    for _ in range(5):
        own = cache_ids() - before
        if not own:
            return
        for record in own:
            subprocess.run(
                ["docker", "buildx", "prune", "-af", "--filter", f"id={record}"],
                capture_output=True,
                check=False,
            )
    left = cache_ids() - before
    if left:
        raise SystemExit(f"could not prune build cache records {sorted(left)}")


def make_project(folder: Path) -> Path:
    """A git repository holding examples/hello (Dockerfile, app, config, secrets)."""
    shutil.copytree(EXAMPLE, folder)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    commit(folder, "start")
    return folder


def change_one_file(project: Path, label: str) -> None:
    (project / "app" / "build-note").write_text(f"{label} {uuid.uuid4().hex}\n")
    commit(project, label)


def commit(project: Path, message: str) -> None:
    subprocess.run([*GIT, "-C", str(project), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(project), "commit", "-q", "-m", message], check=True)


def head(project: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def registry_tags(registry: str) -> list[str]:
    with urllib.request.urlopen(f"http://{registry}/v2/hello/tags/list", timeout=30) as response:
        return list(json.loads(response.read())["tags"] or [])


def bare_build(registry: str, project: Path) -> list[str]:
    image = f"{registry}/hello"
    return [
        "docker", "buildx", "build", "--output=type=registry", "--platform", "linux/amd64",
        "-t", f"{image}:{head(project)}", "-t", f"{image}:latest", "--label", "service=hello",
        "--file", "Dockerfile", ".",
    ]  # fmt: skip


def deploy_once(sandbox: Sandbox, project: Path, tool: str, label: str) -> dict[str, Any]:
    env = {**sandbox.make_ssh_env(), "PYTHONPATH": str(ROOT / "src")}
    env.pop("VERSION", None)
    change_one_file(project, label)
    if tool == BARE:
        argv = bare_build(sandbox.registry, project)
    else:
        prefix, extra = tool_command(tool)
        argv = [*prefix, "deploy"]
        env.update(extra)
    run = measure(argv, cwd=project, env=env, timeout=600)
    if run.returncode != 0:
        raise SystemExit(f"{tool} deploy ({label}) failed:\n{run.output[-4000:]}")
    if head(project) not in registry_tags(sandbox.registry):
        raise SystemExit(f"{tool} deploy ({label}) pushed no image tagged {head(project)}")
    print(f"  {label:>16}: {run.wall:6.2f} s wall, {run.cpu:5.2f} s CPU", flush=True)
    return {"tool": tool, "label": label, "wall": run.wall, "cpu": run.cpu}


def measure_all(repeat: int, keep: bool = False) -> dict[str, Any]:
    tools = ["pykamal", "kamal"] if kamal_available() else ["pykamal"]
    tools.append(BARE)
    sandbox = Sandbox(
        SandboxSpec(name=SANDBOX_NAME, hosts=HOSTS, base_address=BASE_ADDRESS),
        log=lambda line: print(f"[sandbox] {line}", flush=True),
    )
    started_load = load()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    stamp = datetime.now(UTC).strftime("%H%M%S")
    workdir = Path("/tmp") / f"pykamal-bench-build-{stamp}"
    before = cache_ids()
    runs: list[dict[str, Any]] = []
    try:
        sandbox.up()
        sandbox.reset_hosts()
        project = make_project(workdir / "hello")
        for tool in tools:
            deploy_once(sandbox, project, tool, f"{tool} warm-up")
        for r in range(repeat):
            for state in STATES:
                order = tools if (r + STATES.index(state)) % 2 == 0 else list(reversed(tools))
                for tool in order:
                    if state == "cold":
                        prune_own_cache(before)
                    run = deploy_once(sandbox, project, tool, f"{tool} {state} {r + 1}")
                    runs.append({**run, "state": state})
    finally:
        prune_own_cache(before)
        if not keep:
            sandbox.down()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "when": when,
        "pykamal": revision(),
        "repeat": repeat,
        "hosts": HOSTS,
        "tools": tools,
        "runs": runs,
        "rows": summarize(runs, tools),
        "load_start": started_load,
        "load_end": load(),
    }


def summarize(runs: list[dict[str, Any]], tools: list[str]) -> list[dict[str, Any]]:
    rows = []
    for state in STATES:
        row: dict[str, Any] = {"state": state}
        for tool in tools:
            mine = [run for run in runs if run["tool"] == tool and run["state"] == state]
            row[f"{tool}_wall"] = median([run["wall"] for run in mine])
            row[f"{tool}_cpu"] = median([run["cpu"] for run in mine])
            row[f"{tool}_walls"] = [round(run["wall"], 2) for run in mine]
        if "kamal" in tools:
            row["ratio"] = row["pykamal_wall"] / row["kamal_wall"]
            floor = row[f"{BARE}_wall"]
            row["ratio_beyond_build"] = (row["pykamal_wall"] - floor) / (row["kamal_wall"] - floor)
        rows.append(row)
    return rows


def section(figures: dict[str, Any]) -> list[str]:
    tools = [tool for tool in figures["tools"] if tool != BARE]
    start, end = figures["load_start"], figures["load_end"]
    lines = [
        HEADING,
        "",
        "`deploy` of the example app (examples/hello as it is) to 3 sandbox hosts: build with",
        "`docker buildx build` (its Dockerfile and builder settings, `arch: amd64`, `driver: docker`),",
        "push to the sandbox registry, pull, boot, health check, switch, prune; pykamal against",
        "`kamal deploy` on the same hosts in the same run, taking turns (alternating which goes first)",
        f"after one unmeasured deploy each (`bench/full_deploy.py`, {figures['when']},"
        f" pykamal {figures.get('pykamal', '?')}).",
        "Each measured deploy follows a one-file source change (a file under `app/`, committed), so it",
        "builds, pushes and rolls out a new version. **warm**: the build cache holds the previous build,",
        "only the changed layer is rebuilt. **cold**: the build cache records the benchmark created are",
        "pruned first (the Docker daemon is shared, so other records stay; the changed file keeps them",
        "from serving this build).",
        f"Medians of {figures['repeat']} deploys per tool and cache state; CPU is the tool's and its",
        "children's (the docker CLI included). Load average (1, 5, 15 min) at the start "
        f"{', '.join(f'{v:.1f}' for v in start)} and at the end {', '.join(f'{v:.1f}' for v in end)}:",
        "the machine was shared, so absolute times are noisy; the ratios come from one run side by side.",
        f"Goal: pykamal ≤ {GOAL}× kamal.",
        "",
        "| build cache | "
        + " | ".join(f"{tool} wall s | {tool} CPU s" for tool in tools)
        + " | pykamal / kamal | goal | runs (wall s) |",
        "|---|" + "---:|---:|" * len(tools) + "---:|---|---|",
    ]
    for row in figures["rows"]:
        cells = [f"{row[f'{tool}_wall']:.2f} | {row[f'{tool}_cpu']:.2f}" for tool in tools]
        ratio = row.get("ratio")
        verdict = "–" if ratio is None else ("met" if ratio <= GOAL else "missed")
        runs = "; ".join(f"{tool} {', '.join(f'{w:.1f}' for w in row[f'{tool}_walls'])}" for tool in tools)
        lines.append(
            f"| {row['state']} | "
            + " | ".join(cells)
            + f" | {'–' if ratio is None else f'{ratio:.2f}'} | {verdict} | {runs} |"
        )
    lines.append("")
    return lines + floor_lines(figures)


def floor_lines(figures: dict[str, Any]) -> list[str]:
    """Docker's own build and push, timed alone in the same rotation, and the ratio beyond it."""
    rows = [row for row in figures["rows"] if f"{BARE}_wall" in row and "ratio_beyond_build" in row]
    if not rows:
        return []
    alone = ", ".join(f"{row['state']} {row[f'{BARE}_wall']:.2f} s" for row in rows)
    beyond = ", ".join(f"{row['state']} {row['ratio_beyond_build']:.2f}" for row in rows)
    return [
        "The same `docker buildx build --output=type=registry` both tools run (tags, label, platform,",
        "context), timed alone in the same rotation after the same kind of change, is the part of a",
        f"deploy that is Docker's build and push, which no tool can shorten: {alone} (medians).",
        f"Beyond it, (pykamal − it) / (kamal − it): {beyond}.",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="measured deploys per tool and cache state")
    parser.add_argument("--keep", action="store_true", help="keep the sandbox afterwards")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--update-report", type=Path, help="replace this section in that report")
    options = parser.parse_args()
    figures = measure_all(options.repeat, options.keep)
    lines = section(figures)
    print("\n".join(lines))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
    if options.update_report:
        replace_section(options.update_report, HEADING, lines)
        print(f"updated {options.update_report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
