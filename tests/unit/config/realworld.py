"""The public Kamal projects in ../shared/realworld-configs, run through `kamal config` and `pykamal config`.

Every variable their ERB names gets a dummy value, and `git` (the only command their backticks run
besides a script shipped with the data) is a stub on PATH, so both tools see the same world.
``kamal config`` results are cached on disk by the content of everything that can change them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
_NAMED_VARIABLE = re.compile(r"""ENV(?:\[|\.fetch\(\s*)["']([A-Za-z0-9_]+)["']""")
GIT_STUB = "#!/bin/sh\n# stands in for git in the configs' backticks\necho 0123abc\n"


@dataclass(frozen=True)
class Target:
    project: Path
    destination: str | None

    @property
    def name(self) -> str:
        return self.project.name + (f"@{self.destination}" if self.destination else "")

    def args(self) -> list[str]:
        return ["config", "--version", "v1", *(["-d", self.destination] if self.destination else [])]


def shared_configs() -> Path | None:
    """../shared/realworld-configs next to the repository (or next to the main checkout of a worktree)."""
    roots = [REPO]
    dot_git = REPO / ".git"
    if dot_git.is_file():  # a worktree: `gitdir: <main>/.git/worktrees/<name>`
        gitdir = Path(dot_git.read_text().split(":", 1)[1].strip())
        roots.append(gitdir.parents[2])
    for root in roots:
        candidate = root.parent / "shared" / "realworld-configs"
        if candidate.is_dir():
            return candidate
    return None


def targets(configs: Path) -> list[Target]:
    found = []
    for project in sorted(path for path in configs.iterdir() if (path / "config" / "deploy.yml").is_file()):
        found.append(Target(project, None))
        for extra in sorted((project / "config").glob("deploy.*.yml")):
            found.append(Target(project, extra.name[len("deploy.") : -len(".yml")]))
    return found


def dummy(name: str) -> str:
    upper = name.upper()
    if "PORT" in upper:
        return "3000"
    if re.search(r"(^|_)(IP|HOST|HOSTNAME)(_|$)", upper):
        return "192.0.2.10"
    return "dummy-" + name.lower().replace("_", "-")


@cache
def environment(configs: Path, stub_dir: str) -> dict[str, str]:
    """A small fixed environment (so results can be cached) with a dummy for each variable the ERB names."""
    names: set[str] = set()
    for path in configs.rglob("*.yml"):
        names.update(_NAMED_VARIABLE.findall(path.read_text(errors="replace")))
    names -= {"RBENV_VERSION", "rvm_ruby_string"}  # left unset, as on a machine without those tools
    env = {name: dummy(name) for name in sorted(names)}
    env["PATH"] = f"{stub_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    env["HOME"] = "/home/deployer"
    env["LANG"] = "C.UTF-8"
    return env


def stub_dir() -> str:
    directory = Path(tempfile.gettempdir()) / "pykamal-realworld-stubs"
    directory.mkdir(exist_ok=True)
    git = directory / "git"
    if not git.exists() or git.read_text() != GIT_STUB:
        git.write_text(GIT_STUB)
        git.chmod(0o755)
    return str(directory)


def _cache_key(target: Target, env: dict[str, str], binary: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(target.project.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target.project)).encode() + b"\0" + path.read_bytes() + b"\0")
    # PATH is left out (it differs between shells); the stub it leads to is in
    variables = sorted((key, value) for key, value in env.items() if key != "PATH")
    digest.update(json.dumps([target.args(), variables, GIT_STUB, binary, os.path.getsize(binary)]).encode())
    return digest.hexdigest()


def run_kamal(binary: str, target: Target, env: dict[str, str]) -> tuple[int, str]:
    cache_dir = Path(tempfile.gettempdir()) / "pykamal-kamal-config-cache"
    cache_dir.mkdir(exist_ok=True)
    cached = cache_dir / (_cache_key(target, env, binary) + ".json")
    if cached.exists():
        code, out = json.loads(cached.read_text())
        return code, out
    result = subprocess.run(
        [binary, *target.args()], cwd=target.project, env=env, capture_output=True, text=True, timeout=120
    )
    output = result.stdout if result.returncode == 0 else result.stdout + result.stderr
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps([result.returncode, output]))
    partial.replace(cached)  # whole or absent, for runs reading the cache at the same time
    return result.returncode, output


def kamal_results(
    binary: str, all_targets: list[Target], env: dict[str, str]
) -> dict[Target, tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda target: run_kamal(binary, target, env), all_targets)
        return dict(zip(all_targets, results, strict=True))
