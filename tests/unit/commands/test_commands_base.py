"""The rendering pieces of base.py: Kamal-style quoting, words, substitutions, nested scripts."""

from __future__ import annotations

import subprocess

import pytest

from pykamal.commands.base import (
    Quoted,
    Raw,
    Script,
    Sensitive,
    Subst,
    cmd,
    combine,
    kamal_escape,
    pipe,
    quote,
    word,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10m", '"10m"'),
        ("", '""'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a$b", '"a\\$b"'),
        ("keep ${HOME}", '"keep ${HOME}"'),
        ("back`tick`", '"back\\`tick\\`"'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak\ttab", '"line\\nbreak\\ttab"'),
        ("hash #{x} #$ #@ #plain", '"hash \\#{x} \\#\\$ \\#@ #plain"'),
        ("ctrl\x01\x7f\x1b", '"ctrl\\x01\\x7F\\e"'),
        ("héllo wörld", '"h"é"llo w"ö"rld"'),
    ],
)
def test_kamal_escape_matches_kamal(value: str, expected: str) -> None:
    assert kamal_escape(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "with space",
        'quote " and \\ back',
        "dollar $HOME and `cmd`",
        "ünï côdé",
        "'single'",
    ],
)
def test_quoted_value_reaches_the_program_unchanged_through_a_shell(value: str) -> None:
    command = cmd("printf", "%s", word("K=", Quoted(value)))
    out = subprocess.run(["sh", "-c", command.shell()], capture_output=True, text=True, check=True).stdout
    assert out == "K=" + value
    assert command.argv() == ["printf", "%s", "K=" + value]


def test_control_characters_arrive_escaped_as_with_kamal_and_argv_agrees_with_the_shell() -> None:
    command = cmd("printf", "%s", Quoted("tab\tend"))
    out = subprocess.run(["sh", "-c", command.shell()], capture_output=True, text=True, check=True).stdout
    assert out == "tab\\tend"
    assert command.argv()[2] == out


def test_single_quoted_is_always_quoted() -> None:
    assert cmd("grep", Quoted("abc", single=True)).display() == "grep 'abc'"
    assert cmd("grep", Quoted("it's", single=True)).display() == "grep 'it'\\''s'"


def test_quote_leaves_safe_words_and_uses_kamal_style_for_single_quotes() -> None:
    assert quote("app-web-123") == "app-web-123"
    assert quote("name=^app$") == "'name=^app$'"
    assert quote("it's") == "'it'\\''s'"
    assert quote("") == "''"


def test_script_nests_a_command_as_one_argument_and_keeps_redaction() -> None:
    inner = cmd("docker", "login", "-u", Sensitive("bob"), "--format", "{{.ID}}")
    outer = cmd("sh", "-c", Script(inner))
    assert outer.display() == "sh -c 'docker login -u [REDACTED] --format '\\''{{.ID}}'\\'''"
    assert "bob" not in outer.display()
    assert "bob" in outer.shell()
    assert outer.argv()[2] == inner.shell()
    assert outer.sensitive_values() == ["bob"]


def test_subst_and_raw_words_need_a_shell() -> None:
    command = cmd("docker", "ps", "--filter", word("ancestor=", Subst(cmd("docker", "image", "ls", "-q"))))
    assert command.display() == "docker ps --filter ancestor=$(docker image ls -q)"
    assert command.is_shell
    volume = cmd("docker", "run", "--volume", word(Raw("$PWD/"), ".kamal/x:/y"))
    assert volume.display() == "docker run --volume $PWD/.kamal/x:/y"
    with pytest.raises(ValueError):
        volume.argv()


def test_joins_keep_env_and_skip_missing_commands() -> None:
    a = cmd("docker", "build", env=[("DOCKER_BUILDKIT", "1")])
    joined = combine(a, None, cmd("true"))
    assert joined.display() == "docker build && true"
    assert joined.env == (("DOCKER_BUILDKIT", "1"),)
    assert pipe(cmd("a"), cmd("b")).display() == "a | b"


def test_sensitive_values_collects_stdin_and_env() -> None:
    command = cmd(
        "docker", "login", "--password-stdin", stdin=Sensitive("pw"), env=[("TOKEN", Sensitive("t"))]
    )
    assert command.sensitive_values() == ["pw", "t"]
