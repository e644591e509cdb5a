#!/usr/bin/env python3
"""Fleet view benchmark: ``pykamal status`` against ``kamal details`` on 1, 5 and 10 hosts, and
``pykamal doctor``.

The example app (web behind kamal-proxy and a worker, on every host) is deployed once to 10 sandbox
hosts; then, per host count, both tools look at the same hosts in the same run, taking turns
(alternating which goes first) after one unmeasured warm-up each. Per run: wall time (process start
to exit), CPU time of the tool, and the SSH commands sshd ran on each host (its ForceCommand
wrapper's log). ``pykamal doctor -P`` (every check on every host) is measured the same way; Kamal
has no such command, so it has no ratio. ``pykamal server exec true`` is measured too: the floor
of any command that reaches every host. Goal: ``status`` ≤ 0.3× ``kamal details``, one SSH command
per host.

    python bench/fleet_status.py                          # 1, 5, 10 hosts, 5 runs each
    python bench/fleet_status.py --update-report docs/benchmarks.md   # and replace its section there
    python bench/fleet_status.py --sizes 1,2 --repeat 2 --json /tmp/status.json

Runs on its own sandbox (``pykamal-bench-status``, 127.0.81.x), removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from benchlib import PYKAMAL, kamal_available, measure, median, replace_section, tool_command
from deploy_scaling import for_hosts, push_base_image, tag_in_registry, write_project

from pykamal.sandbox.core import Sandbox, SandboxSpec

SANDBOX_NAME = "pykamal-bench-status"
BASE_ADDRESS = "127.0.81.10"
GOAL = 0.3
HEADING = "## Status and doctor"
COMMANDS = {
    "pykamal status": ("pykamal", ["status"]),
    "kamal details": ("kamal", ["details"]),
    "pykamal doctor": ("pykamal", ["doctor", "-P"]),
    # the floor: start, config, one connection and one trivial command per host (plus the audit line)
    "pykamal server exec true": ("pykamal", ["server", "exec", "-q", "--", "true"]),
}


def run_once(sandbox: Sandbox, project: Path, hosts: list[str], label: str) -> dict[str, float]:
    tool, args = COMMANDS[label]
    argv, extra = tool_command(tool)
    env = {**sandbox.make_ssh_env(), **extra}
    env.pop("VERSION", None)
    for_hosts(hosts, sandbox.clear_command_log)
    run = measure([*argv, *args], cwd=project, env=env, timeout=300)
    if run.returncode != 0:
        raise SystemExit(f"`{label}` on {len(hosts)} hosts exited {run.returncode}:\n{run.output[-3000:]}")
    counts = for_hosts(hosts, lambda host: len(sandbox.command_log(host)))
    return {"wall": run.wall, "cpu": run.cpu, "commands": sum(counts) / len(counts)}


def measure_all(sizes: list[int], repeat: int, keep: bool = False) -> dict[str, Any]:
    labels = [label for label in COMMANDS if COMMANDS[label][0] == "pykamal" or kamal_available()]
    sandbox = Sandbox(
        SandboxSpec(name=SANDBOX_NAME, hosts=max(sizes), base_address=BASE_ADDRESS),
        log=lambda line: print(f"[sandbox] {line}", flush=True),
    )
    sandbox.up()
    stamp = datetime.now(UTC).strftime("%H%M%S")
    workdir = Path("/tmp") / f"pykamal-bench-status-{stamp}"
    rows = []
    try:
        sandbox.reset_hosts()
        push_base_image(sandbox)
        tag_in_registry(sandbox.registry, "bench-base", "status-1")
        everywhere = write_project(workdir / "all", sandbox, sandbox.hosts, 0)
        deployed = measure(
            [*PYKAMAL, "deploy", "-P", "--version", "status-1"],
            cwd=everywhere,
            env=sandbox.make_ssh_env(),
            timeout=900,
        )
        if deployed.returncode != 0:
            raise SystemExit(f"deploy to {max(sizes)} hosts failed:\n{deployed.output[-3000:]}")
        for n in sizes:
            hosts = sandbox.hosts[:n]
            project = write_project(workdir / f"hosts-{n}", sandbox, hosts, 0)
            for label in labels:
                run_once(sandbox, project, hosts, label)  # warm-up
            runs: dict[str, list[dict[str, float]]] = {label: [] for label in labels}
            for r in range(repeat):
                for label in labels if r % 2 == 0 else list(reversed(labels)):
                    runs[label].append(run_once(sandbox, project, hosts, label))
            row: dict[str, Any] = {"hosts": n}
            for label, measured in runs.items():
                for key in ("wall", "cpu", "commands"):
                    row[f"{label}:{key}"] = median([m[key] for m in measured])
            if "kamal details" in runs:
                row["ratio"] = row["pykamal status:wall"] / row["kamal details:wall"]
            rows.append(row)
            print(
                f"  {n:2} hosts: "
                + ", ".join(f"{label} {row[f'{label}:wall']:.2f}s" for label in labels)
                + (f", status/details {row['ratio']:.2f}" if "ratio" in row else ""),
                flush=True,
            )
    finally:
        if not keep:
            sandbox.down()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "repeat": repeat,
        "labels": labels,
        "rows": rows,
        "load": os.getloadavg()[0],
    }


def section(figures: dict[str, Any]) -> list[str]:
    labels = figures["labels"]
    lines = [
        HEADING,
        "",
        "`pykamal status` against `kamal details` (each tool's view of the fleet) and `pykamal doctor -P`",
        "(every preflight check) on the example app deployed to the sandbox hosts (a web role behind",
        "kamal-proxy and a worker role on each host), same hosts, same run, taking turns after one warm-up",
        f"(`bench/fleet_status.py`, {figures['when']}, load average {figures['load']:.1f}).",
        f"Medians of {figures['repeat']} runs; **cmds/host**: commands sshd ran on each host per run.",
        f"Goal: status ≤ {GOAL}× kamal details, one command per host.",
        "`pykamal server exec true` (connect and run `true` on every host) is pykamal's floor for any",
        "command that reaches the hosts, measured in the same run for reference.",
        "",
        "| hosts | "
        + " | ".join(f"{label} s | cmds/host" for label in labels)
        + " | status / details | goal |",
        "|---:|" + "---:|---:|" * len(labels) + "---:|---|",
    ]
    for row in figures["rows"]:
        cells = [f"{row[f'{label}:wall']:.2f} | {row[f'{label}:commands']:.0f}" for label in labels]
        ratio = row.get("ratio")
        verdict = "–" if ratio is None else ("met" if ratio <= GOAL else "missed")
        lines.append(
            f"| {row['hosts']} | "
            + " | ".join(cells)
            + f" | {'–' if ratio is None else f'{ratio:.2f}'} | {verdict} |"
        )
    lines.append("")
    floor = "pykamal server exec true"
    if floor in labels and "kamal details" in labels:
        pairs = ", ".join(
            f"{row['hosts']} hosts {row[f'{floor}:wall'] / row['kamal details:wall']:.2f}"
            for row in figures["rows"]
        )
        lines += [f"The floor against kamal details: {pairs}.", ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,10", help="comma separated host counts")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per command and size")
    parser.add_argument("--keep", action="store_true", help="keep the sandbox afterwards")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--update-report", type=Path, help="replace this section in that report")
    options = parser.parse_args()
    sizes = sorted({int(s) for s in options.sizes.split(",")})
    figures = measure_all(sizes, options.repeat, options.keep)
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
