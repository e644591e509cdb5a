"""Kamal's command line rules: options anywhere until ``--``, hash and array options, ``--no-X``."""

from __future__ import annotations

from typing import Any

import click
import pytest

from pykamal.cli.core import root


def parse(line: str) -> dict[str, Any]:
    """The parameters the leaf command named at the start of ``line`` receives (nothing runs)."""
    command: click.Command = root
    args = line.split()
    name = "pykamal"
    ctx = click.Context(root)
    while isinstance(command, click.Group):
        name = args.pop(0)
        found = command.get_command(ctx, name)
        assert found is not None, name
        command = found
    return dict(command.make_context(name, args).params)


def exec_params(line: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    params = parse(line)
    return params.pop("cmd"), params


@pytest.mark.parametrize(
    ("line", "cmd", "options"),
    [
        ("app exec ls -d staging", ("ls",), {"destination": "staging"}),
        ("app exec ls -la /tmp -d staging", ("ls", "-la", "/tmp"), {"destination": "staging"}),
        ("app exec ls -r job -q", ("ls",), {"roles": "job", "quiet": True}),
        ("app exec ls -h 1.2.3.4 -p", ("ls",), {"hosts": "1.2.3.4", "primary": True}),
        ("app exec bash -i --reuse", ("bash",), {"interactive": True, "reuse": True}),
        ("app exec -d staging ls", ("ls",), {"destination": "staging"}),
        ("app exec ls -lp", ("ls", "-l"), {"primary": True}),  # -p is declared: the bundle splits
        ("app exec ls -la", ("ls", "-la"), {"primary": None}),  # nothing declared: stays one word
        ("app exec -- ls -d staging", ("ls", "-d", "staging"), {"destination": None}),
        ("app exec ls -- -d staging", ("ls", "-d", "staging"), {"destination": None}),
        ("app exec ls -d staging -- -i", ("ls", "-i"), {"destination": "staging", "interactive": False}),
        ("app exec echo -- --help", ("echo", "--help"), {}),
        ("app exec ls --destination=staging", ("ls",), {"destination": "staging"}),
        ("app exec ls -dstaging", ("ls",), {"destination": "staging"}),
        ("app exec ls --version abc", ("ls",), {"version": "abc"}),
        ("app exec -i --no-interactive ls", ("ls",), {"interactive": False}),
        ("app exec --no-interactive -i ls", ("ls",), {"interactive": True}),
        ("app exec ls --interactive=false", ("ls",), {"interactive": False}),
        ("app exec ls --skip-reuse", ("ls",), {"reuse": False}),
        ("app exec -e A:1 B:x:y env", ("env",), {"env": ("A:1", "B:x:y")}),
        ("app exec env -e A:1 -e B:2", ("env",), {"env": ("A:1", "B:2")}),
        (
            "app exec env --env=A:1 B:2 -d staging",
            ("env",),
            {"env": ("A:1", "B:2"), "destination": "staging"},
        ),
        ("server exec uptime -d staging -r job", ("uptime",), {"destination": "staging", "roles": "job"}),
        ("server exec ls --foo -x bar -d staging", ("ls", "--foo", "-x", "bar"), {"destination": "staging"}),
        ("server exec -- ls -r job", ("ls", "-r", "job"), {"roles": None}),
    ],
)
def test_options_are_taken_wherever_they_appear(
    line: str, cmd: tuple[str, ...], options: dict[str, Any]
) -> None:
    got_cmd, params = exec_params(line)
    assert got_cmd == cmd
    for name, value in options.items():
        assert params[name] == value, name


def test_accessory_exec_takes_name_then_the_command() -> None:
    params = parse("accessory exec db mysql -e select -d staging --reuse")
    assert params["name"] == "db"
    assert params["cmd"] == ("mysql", "-e", "select")  # accessory exec has no -e option
    assert params["destination"] == "staging"
    assert params["reuse"] is True


def test_hash_option_without_pairs_is_a_usage_error() -> None:
    with pytest.raises(click.UsageError, match="KEY:VALUE"):
        parse("app exec -e ls")


def test_value_option_without_value_is_a_usage_error() -> None:
    with pytest.raises(click.UsageError, match="-d needs a value"):
        parse("app exec ls -d")
    with pytest.raises(click.UsageError, match="-d needs a value"):
        parse("app exec ls -d -- x")


def test_unknown_option_of_a_fixed_arity_command_is_still_reported() -> None:
    with pytest.raises(click.NoSuchOption):
        parse("app logs --bogus")


def test_options_after_a_positional_argument() -> None:
    params = parse("accessory boot db -d staging -q")
    assert (params["name"], params["destination"], params["quiet"]) == ("db", "staging", True)


def test_array_option_takes_every_following_word() -> None:
    params = parse("proxy boot_config set --docker-options label=a label=b -d staging")
    assert params["docker_options"] == ("label=a", "label=b")
    assert params["destination"] == "staging"


def test_every_boolean_flag_has_negations_in_help() -> None:
    ctx = click.Context(root)
    app = root.get_command(ctx, "app")
    assert isinstance(app, click.Group)
    exec_ = app.get_command(ctx, "exec")
    assert exec_ is not None
    text = exec_.get_help(click.Context(exec_, info_name="exec"))
    for word in ("--no-interactive", "--skip-interactive", "--no-reuse", "--no-verbose", "--no-primary"):
        assert word in text


@pytest.mark.parametrize(
    ("line", "hosts"),
    [
        ("deploy", None),
        ("deploy --canary", 0),  # the configured count
        ("deploy --canary --plan", 0),
        ("deploy --plan --canary", 0),
        ("deploy --canary 2 --plan", 2),
        ("deploy --canary=3", 3),
    ],
)
def test_an_option_with_an_optional_value(line: str, hosts: int | None) -> None:
    assert parse(line)["canary_hosts"] == hosts


@pytest.mark.parametrize("value", ["0", "x", "-1"])
def test_a_canary_count_is_a_number_of_hosts(value: str) -> None:
    with pytest.raises(click.UsageError):
        parse(f"deploy --canary={value}")
