#!/usr/bin/env python3
"""Fan-out benchmark: wall time of ``server exec 'true'`` on 1, 10 and 50 hosts, pykamal vs kamal.

Hosts are lightweight: one ``sshd`` per loopback address (127.0.79.x) on this machine (see
tests/integration/remote/sshd_farm.py), so the hosts' own work shares this machine's CPUs with the
tools being measured: on a small machine the hosts' sshd work dominates the wall time of large
fan-outs, so the tool's own CPU time (user + system, of its process and children) is reported too.
Needs root and openssh-server. Each measurement is the median (or --stat min) of --repeat runs
of the whole command (process start, config load, connections, audit line, command, output).

    python bench/fanout.py                     # 1,10,50 hosts, both tools, 3 runs each
    python bench/fanout.py --sizes 1,50 --tools pykamal --repeat 5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration" / "remote"))

from sshd_farm import SshdFarm, available  # noqa: E402


def _kamal() -> list[str]:
    """The reference kamal installed next to this interpreter (not through a version-manager shim)."""
    beside = Path(sys.executable).parent / "kamal"
    return [str(beside)] if beside.exists() else ["kamal"]


TOOLS = {"pykamal": [sys.executable, "-m", "pykamal"], "kamal": _kamal()}


def write_project(directory: Path, hosts: list[str], farm: SshdFarm) -> Path:
    (directory / "config").mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"    - {host}" for host in hosts)
    (directory / "config" / "deploy.yml").write_text(
        "service: bench\n"
        "image: bench\n"
        f"servers:\n  web:\n{servers}\n"
        "registry:\n  server: localhost:5555\n"
        "builder:\n  arch: amd64\n"
        f"ssh:\n  user: {farm.user}\n  config: {farm.ssh_config_path}\n"
    )
    return directory


def hosts_cpu(farm: SshdFarm) -> float:
    """CPU seconds used so far by the farm's sshd processes and their finished children."""
    ticks = 0
    for host in farm.hosts:
        if host.process is None:
            continue
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{host.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def run_once(tool: str, project: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the tool's process and its children)."""
    env = dict(os.environ, VERSION="bench")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [*TOOLS[tool], "server", "exec", "-q", "--", "true"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(f"{tool} failed on {project}: {completed.stderr.strip()[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,10,50", help="comma separated host counts")
    parser.add_argument("--tools", default="pykamal,kamal", help="comma separated: pykamal, kamal")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument(
        "--stat", choices=("median", "min"), default="median", help="summary of the runs (min: least noise)"
    )
    parser.add_argument(
        "--isolated", action="store_true", help="per-host homes and command logs (slower hosts)"
    )
    args = parser.parse_args()

    reason = available()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    tools = [t for t in args.tools.split(",") if t]
    for tool in tools:
        if tool not in TOOLS:
            parser.error(f"unknown tool {tool}")
        if tool == "kamal" and not shutil.which(TOOLS["kamal"][0]):
            print("kamal not installed: skipping it", file=sys.stderr)
            tools.remove(tool)

    workdir = Path(tempfile.mkdtemp(prefix="pykamal-bench-"))
    workdir.chmod(0o755)  # sshd reads the farm's authorized_keys as the farm user
    farm = SshdFarm(workdir / "farm", max(sizes), net=79, isolated=args.isolated)
    print(f"starting {max(sizes)} sshd hosts on 127.0.79.x ...", flush=True)
    farm.start()
    results: dict[tuple[str, int], float] = {}
    cpu: dict[tuple[str, int], float] = {}
    host_cpu: dict[tuple[str, int], float] = {}
    try:
        projects = {n: write_project(workdir / f"project-{n}", farm.addresses[:n], farm) for n in sizes}
        for tool in tools:
            run_once(tool, projects[sizes[0]])  # warm-up: file caches, first host key checks
            for n in sizes:
                runs = []
                spent = []
                for _ in range(args.repeat):
                    before = hosts_cpu(farm)
                    runs.append(run_once(tool, projects[n]))
                    time.sleep(0.3)  # let sshd reap the sessions so their CPU is counted
                    spent.append(hosts_cpu(farm) - before)
                summary = statistics.median if args.stat == "median" else min
                results[(tool, n)] = summary(wall for wall, _ in runs)
                cpu[(tool, n)] = summary(used for _, used in runs)
                host_cpu[(tool, n)] = statistics.median(spent)
                walls = ", ".join(f"{wall:.3f}" for wall, _ in runs)
                print(
                    f"  {tool:8} {n:3} hosts: {results[(tool, n)]:.3f} s wall, {cpu[(tool, n)]:.3f} s CPU,"
                    f" hosts' sshd {host_cpu[(tool, n)]:.3f} s CPU  (walls: {walls})",
                    flush=True,
                )
    finally:
        farm.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    base = sizes[0]
    print()
    print(
        f"{'tool':8} {'hosts':>5} {'wall s':>8} {'vs ' + str(base):>8} {'CPU s':>7} {'vs ' + str(base):>8}"
        f" {'hosts CPU s':>12}"
    )
    for tool in tools:
        for n in sizes:
            wall, used = results[(tool, n)], cpu[(tool, n)]
            print(
                f"{tool:8} {n:5} {wall:8.3f} {wall / results[(tool, base)]:7.2f}x"
                f" {used:7.3f} {used / cpu[(tool, base)]:7.2f}x {host_cpu[(tool, n)]:12.3f}"
            )
    if "pykamal" in tools and "kamal" in tools:
        print()
        for n in sizes:
            print(f"{n:3} hosts: kamal / pykamal = {results[('kamal', n)] / results[('pykamal', n)]:.2f}x")
    if "pykamal" in tools and len(sizes) > 1:
        ratio = results[("pykamal", sizes[-1])] / results[("pykamal", base)]
        verdict = "meets" if ratio <= 1.5 else "misses"
        print(f"\npykamal {sizes[-1]} hosts / {base} host = {ratio:.2f}x ({verdict} the 1.5x goal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
