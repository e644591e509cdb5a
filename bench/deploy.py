#!/usr/bin/env python3
"""Deploy benchmark: ``deploy --skip-push`` of a version change to 2 and 5 hosts, pykamal vs kamal.

Both tools deploy the example app (examples/hello: a web role behind kamal-proxy and a worker role
without it, both on every host) to the same sandbox hosts in one run, taking turns. Before each
measured deploy the hosts run an earlier version, so the deploy is a version change: pull (a new
tag of an image whose layers are already there), proxy check, stale containers, boot, switch,
stop the old containers, prune.

Per deploy it reports:
* wall time of the whole command;
* health wait: the time during which at least one host's kamal-proxy was waiting for a new web
  container to become healthy (the union of every host's ``Deploying``→``Deployed`` interval in
  kamal-proxy's own log). No tool can make this shorter; "outside" = wall − health wait;
* SSH commands per host, from the command log sshd keeps on every sandbox host (each exec
  channel and each file upload): on the primary host and the mean over hosts.

    python bench/deploy.py                    # 2 and 5 hosts
    python bench/deploy.py --sizes 2 --keep   # keep the sandbox (pykamal-bench-deploy) afterwards
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello"
SANDBOX_NAME = "pykamal-bench-deploy"
BASE_ADDRESS = "127.0.70.10"


def kamal_argv() -> list[str]:
    beside = Path(sys.executable).parent / "kamal"
    return [str(beside)] if beside.exists() else ["kamal"]


TOOLS = {"kamal": kamal_argv(), "pykamal": [sys.executable, "-m", "pykamal"]}


@dataclass
class Result:
    tool: str
    hosts: int
    wall: float
    health_wait: float
    outside: float
    commands_primary: int
    commands_mean: float
    commands_per_host: dict[str, int]


def config_text(registry: str, hosts: list[str], ssh_config: Path) -> str:
    listed = "".join(f"      - {h}\n" for h in hosts)
    return (
        "service: hello\nimage: hello\n"
        f"servers:\n  web:\n    hosts:\n{listed}  worker:\n    hosts:\n{listed}    cmd: /app/worker\n"
        "proxy:\n  app_port: 80\n  healthcheck:\n    path: /up\n    interval: 1\n"
        f"registry:\n  server: {registry}\n  username: sandbox\n  password:\n    - REGISTRY_PASSWORD\n"
        "builder:\n  arch: amd64\n"
        "env:\n  clear:\n    WORKER_INTERVAL: 5\n  secret:\n    - DB_PASSWORD\n"
        f"ssh:\n  config: {ssh_config}\n"
        "deploy_timeout: 20\ndrain_timeout: 2\nreadiness_delay: 0\n"
    )


def make_project(folder: Path, registry: str, hosts: list[str], ssh_config: Path) -> Path:
    (folder / "config").mkdir(parents=True)
    (folder / ".kamal").mkdir()
    (folder / "config" / "deploy.yml").write_text(config_text(registry, hosts, ssh_config))
    (folder / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=sandbox\nDB_PASSWORD=bench-secret\n")
    git = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.test", "-C", str(folder)]
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], check=True)
    return folder


def push_versions(registry: str, versions: list[str]) -> None:
    from pykamal.sandbox.docker import Docker

    docker = Docker()
    base = "pykamal-bench/hello:base"
    docker.run(["build", "--quiet", "--label", "service=hello", "--tag", base, str(EXAMPLE)], timeout=300)
    for version in versions:
        image = f"{registry}/hello:{version}"
        docker.run(["tag", base, image])
        docker.run(["push", image], timeout=180)
        docker.run(["rmi", image], check=False)


def run_tool(tool: str, project: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [*TOOLS[tool], *args], cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{tool} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, done.stdout + done.stderr


def proxy_intervals(sandbox, host: str, since: float) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """[Deploying, Deployed] times of the web service in kamal-proxy's log since ``since``."""
    logs = sandbox.run_on_host(host, f"docker logs kamal-proxy --since {int(since) - 1} 2>&1").stdout
    intervals: list[tuple[float, float]] = []
    started: float | None = None
    for line in logs.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("service") != "hello-web":
            continue
        at = parse_time(entry.get("time", ""))
        if at < since:
            continue
        if entry.get("msg") == "Deploying":
            started = at
        elif entry.get("msg") == "Deployed" and started is not None:
            intervals.append((started, at))
            started = None
    return intervals


def parse_time(text: str) -> float:
    text = text.replace("Z", "+00:00")
    head, _, tail = text.partition(".")
    if tail:  # trim nanoseconds to microseconds, keep the offset
        digits = "".join(ch for ch in tail if ch.isdigit())
        offset = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{offset}"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


def union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def measure(tool: str, sandbox, project: Path, hosts: list[str], version: str) -> Result:  # type: ignore[no-untyped-def]
    env = sandbox.make_ssh_env()
    for host in hosts:
        sandbox.clear_command_log(host)
    since = time.time()
    wall, _ = run_tool(tool, project, env, "deploy", "-P", "--version", version)
    counts = {host: len(sandbox.command_log(host)) for host in hosts}
    intervals = [i for host in hosts for i in proxy_intervals(sandbox, host, since)]
    health = union(intervals)
    return Result(
        tool=tool,
        hosts=len(hosts),
        wall=wall,
        health_wait=health,
        outside=wall - health,
        commands_primary=counts[hosts[0]],
        commands_mean=sum(counts.values()) / len(counts),
        commands_per_host=counts,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,5", help="host counts, comma separated (default 2,5)")
    parser.add_argument("--keep", action="store_true", help="keep the sandbox afterwards")
    parser.add_argument(
        "--repeat", type=int, default=1, help="deploys per tool and size, taking turns (default 1)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]

    from pykamal.sandbox.core import Sandbox, SandboxSpec

    sandbox = Sandbox(
        SandboxSpec(name=SANDBOX_NAME, hosts=max(sizes), base_address=BASE_ADDRESS),
        log=lambda line: print(f"[sandbox] {line}", file=sys.stderr),
    )
    results: list[Result] = []
    try:
        sandbox.up()
        rounds = range(1, options.repeat + 1)
        versions = [f"prime-{n}" for n in sizes]
        versions += [f"{tool}-{n}-{i}" for n in sizes for tool in TOOLS for i in rounds]
        push_versions(sandbox.registry, versions)
        for n in sizes:
            hosts = sandbox.hosts[:n]
            sandbox.reset_hosts()
            with tempfile.TemporaryDirectory() as folder:
                project = make_project(
                    Path(folder) / "hello", sandbox.registry, hosts, sandbox.ssh_config_path
                )
                env = sandbox.make_ssh_env()
                run_tool("pykamal", project, env, "setup", "-P", "--version", f"prime-{n}")
                for i in rounds:
                    for tool in TOOLS:  # each measured deploy changes the version the hosts run
                        results.append(measure(tool, sandbox, project, hosts, f"{tool}-{n}-{i}"))
                        print(format_row(results[-1]), file=sys.stderr)
    finally:
        if not options.keep:
            sandbox.down()
    report(results, sizes)
    if options.json:
        options.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")


def format_row(r: Result) -> str:
    return (
        f"{r.hosts:>5} {r.tool:<8} {r.wall:>7.2f} {r.health_wait:>8.2f} {r.outside:>8.2f} "
        f"{r.commands_primary:>9} {r.commands_mean:>9.1f}"
    )


def median_result(runs: list[Result]) -> Result:
    """The run with the median time outside health waits."""
    ordered = sorted(runs, key=lambda r: r.outside)
    return ordered[(len(ordered) - 1) // 2]


def report(results: list[Result], sizes: list[int]) -> None:
    print("hosts tool        wall   health  outside  cmds@1st  cmds/host   (median run)")
    for n in sizes:
        by_tool = {}
        for tool in TOOLS:
            runs = [r for r in results if r.hosts == n and r.tool == tool]
            if runs:
                by_tool[tool] = median_result(runs)
                print(format_row(by_tool[tool]))
        if {"kamal", "pykamal"} <= set(by_tool):
            k, p = by_tool["kamal"], by_tool["pykamal"]
            print(
                f"{n} hosts: pykamal/kamal wall {p.wall / k.wall:.2f}, outside health wait "
                f"{p.outside / k.outside:.2f}, SSH commands per host {p.commands_mean / k.commands_mean:.2f}"
            )


if __name__ == "__main__":
    main()
