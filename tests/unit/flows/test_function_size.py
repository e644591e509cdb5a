"""The boot flow stays made of short functions (each one step that can be read at once)."""

from __future__ import annotations

import ast
from pathlib import Path

from pykamal.flows import app_boot

LIMIT = 40


def test_every_function_of_the_boot_flow_is_short() -> None:
    tree = ast.parse(Path(app_boot.__file__).read_text(encoding="utf-8"))
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LIMIT
    ]
    assert long == []
