"""``pykamal init``: starter files for a new project, copied from ``pykamal/templates``."""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# `init --bundle`: the gem goes into the Gemfile, then bundler writes its binstub.
BINSTUB = "bin/kamal"
BUNDLE_COMMANDS = (("bundle", "add", "kamal"), ("bundle", "binstubs", "kamal"))


def create_stubs(root: str) -> list[str]:
    """Create missing starter files under ``root``; returns one line per file (created or skipped)."""
    plan: list[tuple[Path, Path, int]] = [
        (TEMPLATES / "deploy.yml", Path("config/deploy.yml"), 0o644),
        (TEMPLATES / "secrets", Path(".kamal/secrets"), 0o600),
    ]
    for sample in sorted((TEMPLATES / "hooks").glob("*.sample")):
        plan.append((sample, Path(".kamal/hooks") / sample.name, 0o755))
    report = []
    for source, relative, mode in plan:
        target = Path(root) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "xb") as handle:  # exclusive: an existing file is never replaced
                handle.write(source.read_bytes())
        except FileExistsError:
            report.append(f"Skipped {relative} (already exists)")
            continue
        os.chmod(target, mode)
        report.append(f"Created {relative}")
    return report
