#!/usr/bin/env python3
"""Live view benchmark: what the live terminal view costs a deploy, in wall time and CPU.

The same ``deploy --skip-push`` (a version change of the example app on N sandbox hosts) runs on a
pseudo-terminal, taking turns: once with the live view (TERM=xterm-256color) and once with plain
step lines (TERM=dumb), which is the same run without the view. Per deploy it records the wall time
and the CPU time (user + system) of the pykamal process; the report gives the medians and the
ratio with/without (goal: at most 3 % more).

    python bench/live_view.py                  # 3 hosts, 5 deploys each way
    python bench/live_view.py --hosts 5 --repeat 9 --json out.json
    python bench/live_view.py --update-report docs/benchmarks.md   # and replace its section there
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import PYKAMAL, replace_section
from deploy import make_project, push_versions

SANDBOX_NAME = "pykamal-bench-live"
BASE_ADDRESS = "127.0.80.10"
VIEWS = {"live": "xterm-256color", "plain": "dumb"}
HEADING = "## Live view"


@dataclass
class Run:
    view: str
    wall: float
    cpu: float
    ok: bool


def deploy_on_a_terminal(project: Path, env: dict[str, str], term: str, version: str) -> Run:
    """One deploy with its stdout and stderr on a pseudo-terminal that is read (and thrown away)."""
    primary, secondary = pty.openpty()
    os.set_blocking(primary, False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        [*PYKAMAL, "deploy", "-P", "--version", version],
        cwd=project,
        env={**env, "TERM": term, "COLUMNS": "120", "LINES": "40"},
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    while process.poll() is None:
        ready, _, _ = select.select([primary], [], [], 0.1)
        if ready:
            try:
                os.read(primary, 65536)
            except OSError:
                break
    process.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.close(primary)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    view = next(name for name, value in VIEWS.items() if value == term)
    return Run(view, wall, cpu, process.returncode == 0)


def measure(hosts: int, repeat: int, keep: bool = False) -> dict[str, object]:
    """Every run and the medians per view, as data (bench/run_all.py renders them)."""
    from pykamal.sandbox.core import Sandbox, SandboxSpec

    sandbox = Sandbox(
        SandboxSpec(name=SANDBOX_NAME, hosts=hosts, base_address=BASE_ADDRESS),
        log=lambda line: print(f"[sandbox] {line}", file=sys.stderr),
    )
    runs: list[Run] = []
    load_start = [round(value, 2) for value in os.getloadavg()]
    try:
        sandbox.up()
        sandbox.reset_hosts()
        versions = [f"{view}-{i}" for i in range(repeat) for view in VIEWS]
        push_versions(sandbox.registry, ["prime", *versions])
        with tempfile.TemporaryDirectory() as folder:
            project = make_project(
                Path(folder) / "hello", sandbox.registry, sandbox.hosts, sandbox.ssh_config_path
            )
            env = sandbox.make_ssh_env()
            subprocess.run([*PYKAMAL, "setup", "-P", "--version", "prime"], cwd=project, env=env, check=True,
                           capture_output=True)  # fmt: skip
            for i in range(repeat):
                for view, term in VIEWS.items():  # taking turns, so drift on the machine hits both
                    runs.append(deploy_on_a_terminal(project, env, term, f"{view}-{i}"))
                    last = runs[-1]
                    print(
                        f"{view:>5}: wall {last.wall:.2f} s, cpu {last.cpu:.3f} s, ok={last.ok}",
                        file=sys.stderr,
                    )
    finally:
        if not keep:
            sandbox.down()

    def med(view: str, field: str) -> float:
        return statistics.median(getattr(r, field) for r in runs if r.view == view and r.ok)

    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "hosts": hosts,
        "repeat": repeat,
        "runs": [asdict(r) for r in runs],
        "medians": {view: {"wall": med(view, "wall"), "cpu": med(view, "cpu")} for view in VIEWS},
        "load_start": load_start,
        "load_end": [round(value, 2) for value in os.getloadavg()],
    }


def section(figures: dict[str, Any]) -> list[str]:
    """The report's section: medians per view and the ratio live / plain."""
    medians = figures["medians"]
    live, plain = medians["live"], medians["plain"]
    wall, cpu = live["wall"] / plain["wall"], live["cpu"] / plain["cpu"]
    return [
        HEADING,
        "",
        f"`deploy -P` of a version change to {figures['hosts']} hosts on a pseudo-terminal, "
        f"{figures['repeat']} deploys each way taking turns (`bench/live_view.py`): with the live view "
        "(`TERM=xterm-256color`) and with plain step lines (`TERM=dumb`). CPU is the pykamal process's "
        "user + system time. Goal: the live view costs at most 3 %.",
        *load_line(figures),
        "",
        "| view | wall (median) | CPU of pykamal (median) |",
        "|---|---:|---:|",
        f"| live | {live['wall']:.2f} s | {live['cpu']:.3f} s |",
        f"| plain lines | {plain['wall']:.2f} s | {plain['cpu']:.3f} s |",
        f"| live / plain | {wall:.3f} | {cpu:.3f} |",
        "",
    ]


def load_line(figures: dict[str, Any]) -> list[str]:
    if "load_start" not in figures:
        return []
    start, end = (", ".join(f"{v:.1f}" for v in figures[key]) for key in ("load_start", "load_end"))
    return [
        f"Measured {figures['when']}; load average (1, 5, 15 min) at the start {start} and at the end "
        f"{end}: the machine was shared, so the ratios (same run, taking turns) are the figures to read."
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="deploys per view (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the sandbox afterwards")
    parser.add_argument("--json", type=Path, help="also write every run here")
    parser.add_argument("--update-report", type=Path, help="replace this section in that report")
    options = parser.parse_args()
    figures = measure(options.hosts, options.repeat, options.keep)
    lines = section(figures)
    print("\n".join(lines))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
    if options.update_report:
        replace_section(options.update_report, HEADING, lines)
        print(f"updated {options.update_report}")


if __name__ == "__main__":
    main()
