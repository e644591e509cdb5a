#!/usr/bin/env python3
"""Startup benchmark: wall time of ``version`` and ``config``, pykamal vs the reference kamal.

Each command runs --repeat times (after one warm-up run) and the median is reported, with the
ratio pykamal/kamal (the goal is at most 0.15). pykamal is started as ``<this python> -m pykamal``,
never through a shim. The config is a copy of a fixture with two roles, tags and env.

Python writes no bytecode cache when PYTHONDONTWRITEBYTECODE is set (as in some sandboxes), so every
run recompiles pykamal from source; an installed package has its bytecode compiled at install time.
By default the benchmark lets the warm-up run write the cache (--bytecode on); use
--bytecode env to keep the environment as it is.

    python bench/startup.py
    python bench/startup.py --repeat 15 --bytecode env
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "config" / "valid" / "02-roles-tags-env" / "deploy.yml"
VERSION = "0123456789abcdef0123456789abcdef01234567"


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def medians(commands: dict[str, list[str]], cwd: Path, env: dict[str, str], repeat: int) -> dict[str, float]:
    """Runs the commands round-robin (so a busy moment hits all of them alike); median per command."""
    for argv in commands.values():
        run_once(argv, cwd, env)  # warm-up: bytecode cache, file system cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            times[name].append(run_once(argv, cwd, env))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--bytecode", choices=("on", "env"), default="on", help="see above (default on)")
    args = parser.parse_args()

    kamal = shutil.which("kamal")
    env = dict(os.environ)
    env.pop("VERSION", None)
    if args.bytecode == "on":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    pykamal = [sys.executable, "-m", "pykamal"]

    with tempfile.TemporaryDirectory(prefix="pykamal-bench-") as tmp:
        project = Path(tmp)
        (project / "config").mkdir()
        shutil.copy(FIXTURE, project / "config" / "deploy.yml")
        config_args = ["config", "--version", VERSION]
        commands = {
            "baseline": [sys.executable, "-c", "pass"],
            "pykamal version": [*pykamal, "version"],
            "pykamal config": [*pykamal, *config_args],
        }
        if kamal:
            commands["kamal version"] = [kamal, "version"]
            commands["kamal config"] = [kamal, *config_args]
        result = medians(commands, project, env, args.repeat)

    rows = [("python -c pass (baseline)", result["baseline"], None)]
    for label in ("version", "config"):
        rows.append((label, result[f"pykamal {label}"], result.get(f"kamal {label}")))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"median of {args.repeat} runs, bytecode cache {args.bytecode}, load average {load:.2f}")
    print(f"{'command':28} {'pykamal':>10} {'kamal':>10} {'ratio':>8}")
    for label, ours, theirs in rows:
        if theirs is None:
            kamal_text = "-" if label.startswith("python") else "(no kamal)"
            print(f"{label:28} {ours * 1000:8.0f}ms {kamal_text:>10} {'':>8}")
        else:
            print(f"{label:28} {ours * 1000:8.0f}ms {theirs * 1000:8.0f}ms {ours / theirs:8.3f}")


if __name__ == "__main__":
    main()
