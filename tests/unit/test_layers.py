"""The packages of pykamal import one way only: config, secrets -> commands -> remote -> flows -> cli.

Every import in src/pykamal is read (including those inside functions and under TYPE_CHECKING) and
a module may import only from its own layer or a lower one. ``errors``, ``sensitive`` and
``printable`` are leaves below everything; ``sandbox`` (the local test hosts) sits beside
``flows``: it may use anything below, and only the CLI uses it. ``docs`` and ``templates`` hold
data files, no imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pykamal

SRC = Path(pykamal.__file__).parent

LAYERS: dict[str, int] = {
    "errors": 0,
    "sensitive": 0,
    "printable": 0,
    "config": 1,
    "secrets": 1,
    "commands": 2,
    "remote": 3,
    "flows": 4,
    "sandbox": 4,
    "cli": 5,
    "__main__": 6,
}


def _part(module: str) -> str | None:
    """The top-level part of pykamal a dotted module name belongs to (None: not pykamal)."""
    parts = module.split(".")
    if parts[0] != "pykamal":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] if base == "pykamal" else [base]
            found.extend((node.lineno, name) for name in names)
    return found


def upward_imports(root: Path = SRC) -> list[str]:
    """One line per import of a higher layer: ``file:line: layer imports higher.module``."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent)
        module = ".".join(relative.with_suffix("").parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        own = _part(module)
        if own not in LAYERS:
            continue
        for line, name in _imported(ast.parse(path.read_text(encoding="utf-8")), package):
            other = _part(name)
            if other in LAYERS and LAYERS[other] > LAYERS[own]:
                problems.append(f"{relative}:{line}: {own} imports {name} (a higher layer: {other})")
    return problems


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {path.stem if path.is_file() else path.name for path in SRC.iterdir()}
    code = {part for part in parts if (SRC / part).is_dir() or (SRC / f"{part}.py").exists()}
    data_only = {"docs", "templates", "__pycache__", "__init__"}
    assert code - data_only - set(LAYERS) == set()


def test_no_layer_imports_a_higher_one() -> None:
    problems = upward_imports()
    assert not problems, "imports against the layering:\n" + "\n".join(problems)


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pykamal"
    (package / "remote").mkdir(parents=True)
    (package / "remote" / "x.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pykamal.cli.context import Globals\n"
        "def f():\n    from ..flows import plan\n"
    )
    assert upward_imports(package) == [
        "pykamal/remote/x.py:3: remote imports pykamal.cli.context (a higher layer: cli)",
        "pykamal/remote/x.py:5: remote imports pykamal.flows (a higher layer: flows)",
    ]
