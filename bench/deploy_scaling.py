#!/usr/bin/env python3
"""Deploy scaling benchmark: ``deploy --skip-push`` of a version change to 1, 2, 5 and 10 hosts.

Both tools deploy the example app (examples/hello: a web role behind kamal-proxy and a worker
role, both on every host) to the same sandbox hosts in the same run, taking turns, each deploy a
version change (a fresh tag of the same image, so every pull is a manifest-only pull for both).
The web container becomes healthy ``--boot-delay`` seconds after it starts (a short app boot), and
kamal-proxy checks its health every second.

Per deploy it records:
* wall time of the whole command (process start to exit);
* health wait: the time during which at least one host's kamal-proxy was waiting for the new web
  container to become healthy, i.e. the union of every host's [``Deploying``, ``Deployed``] interval
  read from kamal-proxy's own log (JSON lines with nanosecond timestamps) within the run's window.
  The tool cannot make this shorter; "outside health" = wall time minus this union. The worker role
  has no health check and ``readiness_delay: 0``, so its readiness check does not wait in either tool;
* SSH commands per host: lines sshd's ForceCommand wrapper logged on each host during the run
  (every exec channel and every file upload), mean over the hosts and on the first (primary) host;
* peak memory: the kernel's high-water RSS of the tool's largest process (wait4 ``ru_maxrss`` of
  the tool and the children it waited for: exact, no sampling); as a cross-check, the highest PSS
  sum over its process tree sampled every 20 ms (both tools run as one process plus short helpers
  such as ``git config``);
* CPU time (user + system) of the tool and its children;
* the hosts' CPU time: every sandbox host container's cgroup (its sshd, dockerd, docker CLI calls,
  kamal-proxy and app containers). The hosts share this machine's CPUs with the tool, so on a small
  machine their work bounds the wall time of larger deploys for both tools alike.
Medians over ``--repeat`` deploys per (tool, host count) are reported, with pykamal / kamal ratios.

    python bench/deploy_scaling.py                      # 1,2,5,10 hosts, 3 deploys each per tool
    python bench/deploy_scaling.py --sizes 1,2 --repeat 1 --json /tmp/deploy.json

The project, kamal-proxy log reading and interval union come from bench/deploy.py (the 2- and
5-host comparison); this script adds 1 and 10 hosts, memory and CPU, the reference kamal started as
its own binary, and JSON for bench/run_all.py. New versions are tags added through the registry API
(no image push per version). Runs on its own sandbox (name ``pykamal-bench``, addresses 127.0.60.x),
removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from benchlib import ROOT, container_cpu_seconds, kamal_available, measure, median, tool_command
from deploy import make_project, proxy_intervals, union

from pykamal.sandbox.core import Sandbox, SandboxSpec
from pykamal.sandbox.docker import Docker

EXAMPLE = ROOT / "examples" / "hello"
SERVICE = "hello"
SANDBOX_NAME = "pykamal-bench"
BASE_ADDRESS = "127.0.60.10"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)


@dataclass(frozen=True)
class DeployRun:
    tool: str
    hosts: int
    version: str
    wall: float
    health_wait: float
    outside_health: float
    commands_mean: float
    commands_primary: int
    peak_rss_mb: float
    tree_pss_mb: float
    cpu: float
    hosts_cpu: float


def write_project(directory: Path, sandbox: Sandbox, hosts: list[str], boot_delay: float) -> Path:
    """bench/deploy.py's project, with the web app becoming healthy ``boot_delay`` s after it starts."""
    project = make_project(directory, sandbox.registry, hosts, sandbox.ssh_config_path)
    deploy_yml = project / "config" / "deploy.yml"
    text = deploy_yml.read_text()
    anchor = "  clear:\n"
    if anchor not in text:
        raise SystemExit(f"bench/deploy.py's config has no env/clear section for APP_BOOT_DELAY:\n{text}")
    deploy_yml.write_text(text.replace(anchor, f"{anchor}    APP_BOOT_DELAY: {boot_delay:g}\n", 1))
    return project


def push_base_image(sandbox: Sandbox) -> str:
    """Build the example app (labelled for the service, as both tools' builds do) and push it once."""
    image = f"{sandbox.registry}/{SERVICE}:bench-base"
    docker = Docker()
    docker.run(
        ["build", "--quiet", "--label", f"service={SERVICE}", "--tag", image, str(EXAMPLE)], timeout=300
    )
    docker.run(["push", image], timeout=300)
    return image


def tag_in_registry(registry: str, source: str, target: str) -> None:
    """Give the pushed manifest another tag through the registry API (no layer is uploaded again)."""
    base = f"http://{registry}/v2/{SERVICE}/manifests"
    request = urllib.request.Request(f"{base}/{source}", headers={"Accept": MANIFEST_TYPES})
    with urllib.request.urlopen(request, timeout=30) as response:
        body, content_type = response.read(), response.headers["Content-Type"]
    put = urllib.request.Request(
        f"{base}/{target}", data=body, method="PUT", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(put, timeout=30) as response:
        if response.status not in (200, 201):
            raise SystemExit(f"registry refused tag {target}: HTTP {response.status}")


def for_hosts(hosts: list[str], fn):  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(max_workers=min(10, len(hosts))) as pool:
        return list(pool.map(fn, hosts))


def deploy_once(
    sandbox: Sandbox, project: Path, tool: str, hosts: list[str], version: str, base_tag: str
) -> DeployRun:
    tag_in_registry(sandbox.registry, base_tag, version)
    for_hosts(hosts, sandbox.clear_command_log)
    argv, extra = tool_command(tool)
    env = sandbox.make_ssh_env()
    env.update(extra)
    env.pop("VERSION", None)
    containers = [sandbox.container(host) for host in hosts]
    ids = for_hosts(containers, container_id)
    cpu_before = hosts_cpu_seconds(ids)
    since = time.time()
    run = measure([*argv, "deploy", "--skip-push", "--version", version], cwd=project, env=env)
    cpu_after = hosts_cpu_seconds(ids)
    if run.returncode != 0:
        raise SystemExit(f"{tool} deploy of {version} to {len(hosts)} hosts failed:\n{run.output[-4000:]}")
    counts = for_hosts(hosts, lambda host: len(sandbox.command_log(host)))
    found = for_hosts(hosts, lambda host: proxy_intervals(sandbox, host, since))
    intervals = [interval for per_host in found for interval in per_host]
    if len(intervals) != len(hosts):
        raise SystemExit(f"{tool}: found {len(intervals)} proxy deploys for {len(hosts)} hosts ({version})")
    health = union(intervals)
    return DeployRun(
        tool=tool,
        hosts=len(hosts),
        version=version,
        wall=run.wall,
        health_wait=health,
        outside_health=run.wall - health,
        commands_mean=sum(counts) / len(counts),
        commands_primary=counts[0],
        peak_rss_mb=run.peak_rss_mb,
        tree_pss_mb=run.tree_pss_mb,
        cpu=run.cpu,
        hosts_cpu=cpu_after - cpu_before,
    )


def container_id(name: str) -> str:
    return Docker().run(["inspect", "--format", "{{.Id}}", name]).stdout.strip()


def hosts_cpu_seconds(ids: list[str]) -> float:
    """CPU seconds used so far by the host containers (NaN where cgroups cannot be read)."""
    total = 0.0
    for cid in ids:
        used = container_cpu_seconds(cid)
        if used is None:
            return float("nan")
        total += used
    return total


def summarize(runs: list[DeployRun], tools: list[str], sizes: list[int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n in sizes:
        row: dict[str, object] = {"hosts": n}
        for tool in tools:
            mine = [r for r in runs if r.tool == tool and r.hosts == n]
            for field in (
                "wall",
                "health_wait",
                "outside_health",
                "commands_mean",
                "peak_rss_mb",
                "tree_pss_mb",
                "cpu",
                "hosts_cpu",
            ):
                row[f"{tool}_{field}"] = median([float(getattr(r, field)) for r in mine])
            row[f"{tool}_commands_primary"] = median([float(r.commands_primary) for r in mine])
        if "pykamal" in tools and "kamal" in tools:
            for field in ("wall", "outside_health", "commands_mean", "peak_rss_mb", "cpu", "hosts_cpu"):
                row[f"ratio_{field}"] = float(row[f"pykamal_{field}"]) / float(row[f"kamal_{field}"])  # type: ignore[arg-type]
        rows.append(row)
    return rows


COLUMNS = (
    ("wall s", "wall", 7, 2),
    ("health s", "health_wait", 8, 2),
    ("outside s", "outside_health", 9, 2),
    ("cmds/host", "commands_mean", 9, 1),
    ("cmds 1st", "commands_primary", 8, 0),
    ("peak MB", "peak_rss_mb", 8, 1),
    ("CPU s", "cpu", 6, 2),
    ("hosts CPU s", "hosts_cpu", 11, 2),
)


def print_table(rows: list[dict[str, object]], tools: list[str]) -> None:
    print(f"{'hosts':>5} {'tool':8} " + " ".join(f"{title:>{width}}" for title, _, width, _ in COLUMNS))
    for row in rows:
        for tool in tools:
            cells = [f"{float(row[f'{tool}_{key}']):{width}.{digits}f}" for _, key, width, digits in COLUMNS]  # type: ignore[arg-type]
            print(f"{row['hosts']:>5} {tool:8} " + " ".join(cells))
        if "ratio_wall" in row:
            cells = [
                f"{float(row[f'ratio_{key}']):{width}.2f}" if f"ratio_{key}" in row else " " * width  # type: ignore[arg-type]
                for _, key, width, _ in COLUMNS
            ]
            print(f"{'':>5} {'ratio':8} " + " ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,2,5,10", help="comma separated host counts")
    parser.add_argument("--tools", default="pykamal,kamal", help="comma separated: pykamal, kamal")
    parser.add_argument("--repeat", type=int, default=3, help="measured deploys per tool and size")
    parser.add_argument("--boot-delay", type=float, default=1.0, help="seconds before the web app is healthy")
    parser.add_argument("--json", type=Path, help="write every run and the medians here")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark sandbox afterwards")
    args = parser.parse_args(argv)

    sizes = sorted({int(s) for s in args.sizes.split(",")})
    tools = [t for t in args.tools.split(",") if t]
    if "kamal" in tools and not kamal_available():
        print("kamal not installed: measuring pykamal only", file=sys.stderr)
        tools.remove("kamal")
    sandbox = Sandbox(
        SandboxSpec(name=SANDBOX_NAME, hosts=max(sizes), base_address=BASE_ADDRESS),
        log=lambda line: print(f"[sandbox] {line}", flush=True),
    )
    print(f"bringing up {max(sizes)} sandbox hosts ({SANDBOX_NAME}, {BASE_ADDRESS[:-3]}.x) ...", flush=True)
    sandbox.up()
    runs: list[DeployRun] = []
    stamp = datetime.now(UTC).strftime("%H%M%S")
    workdir = Path("/tmp") / f"pykamal-bench-deploy-{stamp}"
    try:
        sandbox.reset_hosts()
        push_base_image(sandbox)
        base_tag = "bench-base"
        counter = 0

        def next_version(tool: str, n: int) -> str:
            nonlocal counter
            counter += 1
            return f"b{stamp}-{n}h-{counter:02d}-{tool}"

        for n in sizes:
            hosts = sandbox.hosts[:n]
            project = write_project(workdir / f"hosts-{n}", sandbox, hosts, args.boot_delay)
            for tool in tools:  # warm-up: first deploy on new hosts boots kamal-proxy; caches
                deploy_once(sandbox, project, tool, hosts, next_version(tool, n), base_tag)
            for r in range(args.repeat):
                order = tools if r % 2 == 0 else list(reversed(tools))
                for tool in order:
                    result = deploy_once(sandbox, project, tool, hosts, next_version(tool, n), base_tag)
                    runs.append(result)
                    print(
                        f"  {n:2} hosts {tool:8} wall {result.wall:6.2f}s health {result.health_wait:5.2f}s "
                        f"outside {result.outside_health:6.2f}s cmds/host {result.commands_mean:5.1f} "
                        f"peak {result.peak_rss_mb:6.1f} MB cpu {result.cpu:5.2f}s "
                        f"hosts cpu {result.hosts_cpu:5.2f}s",
                        flush=True,
                    )
    finally:
        if not args.keep:
            sandbox.down()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)

    rows = summarize(runs, tools, sizes)
    print()
    print_table(rows, tools)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "repeat": args.repeat,
                    "boot_delay": args.boot_delay,
                    "cpus": os.cpu_count() or 1,
                    "tools": tools,
                    "sizes": sizes,
                    "runs": [asdict(r) for r in runs],
                    "medians": rows,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
