"""Every golden fixture: the builder's display() line(s) match, and no secret ever shows in them."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cmd_fixtures import Case, invoke, load_cases

from pykamal.commands.base import Command, Sensitive

CASES = load_cases()


def _display(result: Any) -> Any:
    """A builder's result as fixtures state it: commands as display lines, secrets as their redaction."""
    if isinstance(result, Sensitive):
        return result.redaction
    if isinstance(result, Command):
        return result.display()
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: _display(getattr(result, f.name)) for f in dataclasses.fields(result)}
    if isinstance(result, list | tuple):
        return [_display(r) for r in result]
    if isinstance(result, dict):
        return {k: _display(v) for k, v in result.items()}
    return result


def _commands(result: Any) -> list[Command]:
    if isinstance(result, Command):
        return [result]
    if isinstance(result, list | tuple):
        return [r for r in result if isinstance(r, Command)]
    return []


def test_there_are_fixtures_for_every_builder_module() -> None:
    modules = {case.data["call"].rpartition(".")[0] for case in CASES}
    expected = {
        "app", "app_proxy", "accessory", "builder", "docker", "env_file",
        "hook", "proxy", "prune", "registry", "ssh", "git",
    }  # fmt: skip
    assert expected <= modules


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case) -> None:
    data = case.data
    if "raises" in data:
        with pytest.raises(Exception, match=data["raises"]):
            invoke(data)
        return
    result, _ = invoke(data)
    key = "expected" if "expected" in data else "expected_value"
    assert _display(result) == data[key]

    for command in _commands(result):
        for value in command.sensitive_values():
            assert value not in command.display(), f"secret shown in {command.display()}"
        if "expected_stdin" in data:
            stdin = command.stdin
            assert (stdin.redaction if isinstance(stdin, Sensitive) else stdin) == data["expected_stdin"]
        if "expected_env" in data:
            env = {k: (v.redaction if isinstance(v, Sensitive) else v) for k, v in command.env}
            assert env == data["expected_env"]
        if "expected_shell" in data:
            assert command.shell() == data["expected_shell"]
