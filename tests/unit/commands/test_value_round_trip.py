"""Property: a value from deploy.yml reaches the program exactly as the config states it.

Each field is set to an arbitrary string, the command that carries it is rendered with ``shell()``
and run under bash and dash with recording stubs for docker, ssh, grep and xargs; the argument after
the field's flag must equal the configured value. A ``$NAME`` reference and a leading ``~`` are
left for the shell to expand on purpose (as Kamal does), so values holding them are left out here.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cmd_fixtures import config_for
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shell_stub import SHELLS, Invocation, StubBin, shell_available

from pykamal.commands import accessory, app, builder, ssh
from pykamal.commands.base import Command
from pykamal.commands.logs import LogQuery
from pykamal.errors import ConfigError

PROGRAMS = ("docker", "ssh", "grep", "xargs", "pack")
ROUND_TRIP = settings(
    max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Shell syntax, quotes, whitespace, globs, unicode: everything but NUL (which argv cannot carry).
values = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(" \t\n;&|$()`'\"\\*?[]{}<>!#~=:,./@%+-^")),
        st.characters(codec="utf-8", exclude_characters="\0"),
    ),
    min_size=1,
    max_size=24,
)


def _expanded_by_design(value: str) -> bool:
    return value.startswith("~") or re.search(r"\$(\w|\{\w+\})", value) is not None


ACCESSORY = {"image": "redis:7", "host": "1.1.1.5"}


def _accessory(**settings: Any) -> Callable[[str], tuple[dict[str, Any], Callable[[Any], Command]]]:
    def make(value: str) -> tuple[dict[str, Any], Callable[[Any], Command]]:
        fields = {
            k: (v.replace("VALUE", value) if isinstance(v, str) else [value]) for k, v in settings.items()
        }
        return (
            {"accessories": {"cache": {**ACCESSORY, **fields}}},
            lambda c: accessory.run(c, c.accessory("cache"), "1.1.1.5"),
        )

    return make


def _builder(key: str) -> Callable[[str], tuple[dict[str, Any], Callable[[Any], Command]]]:
    return lambda v: ({"builder": {"arch": "amd64", key: v}}, lambda c: builder.push(c, {}))


def _ssh(key: str, as_list: bool) -> Callable[[str], tuple[dict[str, Any], Callable[[Any], Command]]]:
    def make(value: str) -> tuple[dict[str, Any], Callable[[Any], Command]]:
        return (
            {"ssh": {key: [value] if as_list else value}},
            lambda c: ssh.run_over_ssh(c.ssh, "1.1.1.1", app.current_running_container_id(c, c.role("web"))),
        )

    return make


def _publish_spec(port: str) -> str:
    return port if ":" in port else f"{port}:{port}"


# field -> (config and builder for a value, program, flag the value follows, what the config says)
FIELDS: dict[str, tuple[Callable[[str], Any], str, str, Callable[[str], str]]] = {
    "volumes": (
        lambda v: ({"volumes": [f"/data/{v}:/data"]}, lambda c: app.run(c, c.role("web"), "1.1.1.1")),
        "docker", "--volume", lambda v: f"/data/{v}:/data",
    ),
    "accessories/volumes": (_accessory(volumes=None), "docker", "--volume", lambda v: v),
    "accessories/port": (_accessory(port="VALUE"), "docker", "--publish", _publish_spec),
    "accessories/network": (_accessory(network="VALUE"), "docker", "--network", lambda v: v),
    "builder/dockerfile": (_builder("dockerfile"), "docker", "--file", lambda v: v),
    "builder/target": (_builder("target"), "docker", "--target", lambda v: v),
    "builder/ssh": (_builder("ssh"), "docker", "--ssh", lambda v: v),
    "ssh/config": (_ssh("config", as_list=True), "ssh", "-F", lambda v: v),
    "ssh/keys": (_ssh("keys", as_list=True), "ssh", "-i", lambda v: v),
}  # fmt: skip


@pytest.fixture(scope="module")
def stubs() -> Any:
    with tempfile.TemporaryDirectory(prefix="pykamal-roundtrip-") as folder:
        yield StubBin(Path(folder), PROGRAMS)


def _after(flag: str, invocations: list[Invocation], program: str) -> list[str]:
    found = []
    for call in invocations:
        if call.program == program:
            found += [call.args[i + 1] for i, a in enumerate(call.args[:-1]) if a == flag]
    return found


@pytest.mark.parametrize("shell", [s for s in SHELLS if shell_available(s)])
@pytest.mark.parametrize("field", list(FIELDS))
@ROUND_TRIP
@given(value=values)
def test_a_configured_value_reaches_the_program_as_written(
    stubs: StubBin, shell: str, field: str, value: str
) -> None:
    assume(not _expanded_by_design(value))
    make, program, flag, stated = FIELDS[field]
    overrides, build = make(value)
    try:
        command = build(config_for({"config": overrides}))
    except ConfigError:
        return  # refused at load, with the key named: nothing reaches a shell
    received = _after(flag, stubs.run(shell, command.shell()), program)
    assert stated(value) in received, f"{field}: {value!r} arrived as {received!r}"


@pytest.mark.parametrize("shell", [s for s in SHELLS if shell_available(s)])
@ROUND_TRIP
@given(words=st.lists(values, min_size=1, max_size=3))
def test_grep_options_reach_grep_as_written(stubs: StubBin, shell: str, words: list[str]) -> None:
    assume(not any(_expanded_by_design(w) for w in words))
    config = config_for({})
    command = app.logs(config, config.role("web"), LogQuery(grep="boot", grep_options=shlex.join(words)))
    grep = [c for c in stubs.run(shell, command.shell()) if c.program == "grep"]
    assert [c.args for c in grep] == [("boot", *words)]


def test_host_references_are_still_left_to_the_host_shell(stubs: StubBin) -> None:
    config = config_for({"config": {"volumes": ["$HOME/data:/data", "~/cache:/cache"]}})
    line = app.run(config, config.role("web"), "1.1.1.1").shell()
    received = _after("--volume", stubs.run("sh", line), "docker")
    assert received == [f"{stubs.work}/data:/data", f"{stubs.work}/cache:/cache"]
