"""Commands made with flow_command name their flow as text: every such name must resolve."""

from __future__ import annotations

import importlib
import inspect

import pytest
from click.testing import CliRunner

from pykamal.cli.core import COMMANDS, root
from pykamal.cli.running import FLOW_COMMANDS


def _load_every_command() -> None:
    for module, _ in COMMANDS.values():
        importlib.import_module(module)


def test_every_flow_command_names_an_async_flow() -> None:
    _load_every_command()
    assert len(FLOW_COMMANDS) >= 20
    for group, name, flow in FLOW_COMMANDS:
        module_name, _, function_name = flow.partition(":")
        module = importlib.import_module(f"pykamal.flows.{module_name}")
        function = getattr(module, function_name, None)
        assert inspect.iscoroutinefunction(function), f"{group} {name}: {flow} is not an async flow"


@pytest.mark.parametrize(("group", "name"), [("app", "stop"), ("proxy", "details"), ("build", "remove")])
def test_a_flow_command_is_listed_with_its_help(group: str, name: str) -> None:
    listing = CliRunner().invoke(root, [group, "--help"]).output
    assert any(line.split()[:1] == [name] for line in listing.splitlines())
