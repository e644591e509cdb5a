"""The files a build context holds after .dockerignore (used by build dev's warnings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykamal.flows.build_context import context_files, is_excluded, parse_dockerignore


def make_tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def test_dockerignore_rules(tmp_path: Path) -> None:
    make_tree(tmp_path, [
        "Dockerfile", "app/main.py", "app/cache/a.tmp", "log/dev.log", "log/keep.log",
        "node_modules/x/index.js", "src/deep/er/file.tmp", "README.md", ".git/HEAD",
    ])  # fmt: skip
    (tmp_path / ".dockerignore").write_text(
        "# comment\n/log\n!log/keep.log\nnode_modules\n**/*.tmp\n.git\n*.md\n"
    )
    assert context_files(str(tmp_path)) == [
        ".dockerignore", "Dockerfile", "app/main.py", "log/keep.log",
    ]  # fmt: skip


def test_without_dockerignore_everything_is_sent(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a", "b/c"])
    assert context_files(str(tmp_path)) == ["a", "b/c"]


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("*.log", "x.log", True),
        ("*.log", "dir/x.log", False),  # * stays within one component
        ("**/*.log", "dir/sub/x.log", True),
        ("**/*.log", "x.log", True),
        ("dir/?.txt", "dir/a.txt", True),
        ("dir/?.txt", "dir/ab.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "b.txt", False),
        ("./build/../tmp", "tmp/x", True),  # cleaned like a path
        ("secret", "secret/deep/file", True),  # a directory excludes what is below it
    ],
)
def test_pattern(pattern: str, path: str, excluded: bool) -> None:
    assert is_excluded(path, parse_dockerignore(pattern)) is excluded
