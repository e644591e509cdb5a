"""The dotenv dialect of `.kamal/secrets`: quoting, comments, interpolation, escapes, `$(...)`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from pykamal.errors import SecretsError
from pykamal.secrets.dotenv import command_end, expand_variables, parse, read_text


def run(text: str, environ: Mapping[str, str] | None = None, inherited: Mapping[str, str] | None = None):
    calls: list[tuple[str, dict[str, str], str]] = []

    def runner(command: str, variables: Mapping[str, str], where: str) -> str:
        calls.append((command, dict(variables), where))
        return f"<{command}>"

    values = parse(text, path="f", run_command=runner, environ=environ or {}, inherited=inherited)
    return values, calls


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("A=plain", "plain"),
        ("A = spaced value   # comment", "spaced value"),
        ("export A=exported", "exported"),
        ("A: colon form", "colon form"),
        ("A=", ""),
        ("A", ""),
        ("A=#not a value", ""),
        ("A=a#b", "a"),
        ('A="a#b" # comment', "a#b"),
        ("A='single $X ${X} \\n $(cmd)'", "single $X ${X} \\n $(cmd)"),
        ('A="tab\\tquote\\"back\\\\slash"', 'tabtquote"back\\slash'),
        ('A="keeps \\n as backslash-n"', "keeps \\n as backslash-n"),
        ("A=bare\\n", "baren"),
        ("A=  '  padded  '  ", "  padded  "),
        ("A='it''s'", "it''s"),
        ("A.B=dotted key", "dotted key"),
    ],
)
def test_values(line: str, expected: str) -> None:
    key = line.split("=")[0].split(":")[0].replace("export ", "").strip()
    values, calls = run(line + "\n")
    assert values == {key: expected}
    assert calls == []


def test_multiline_double_quoted_value_and_line_numbers() -> None:
    text = 'A="first\nsecond $B"\n# comment\n\nC=$(third)\n'
    values, calls = run(text, environ={"B": "bee"})
    assert values["A"] == "first\nsecond bee"
    assert calls == [("third", {"A": "first\nsecond bee"}, "f:5")]


def test_crlf_and_bom_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(b"\xef\xbb\xbfA=1\r\nB=2\r\n")
    values, _ = run(read_text(str(path)))
    assert values == {"A": "1", "B": "2"}


def test_interpolation_prefers_this_file_then_earlier_files_then_environment() -> None:
    text = "A=file\nX1=$A ${A}\nX2=$B\nX3=$C\nX4=${MISSING}|$MISSING|\nA=again\nX5=$A\n"
    values, _ = run(text, environ={"A": "env", "B": "env-b", "C": "env-c"}, inherited={"B": "common-b"})
    assert values["X1"] == "file file"
    assert values["X2"] == "common-b"
    assert values["X3"] == "env-c"
    assert values["X4"] == "||"
    assert values["X5"] == "again"


def test_variable_edge_forms_follow_kamal() -> None:
    values, _ = run("A=v\nB=$A}x ${A x$-y ${} pa$$word $\n", environ={})
    assert values["B"] == "vx v x$-y ${} pa$ $"


def test_escaped_dollar_is_literal() -> None:
    values, calls = run('A=v\nB=\\$A \\${A} \\$(cmd)\nC="\\$A"\n')
    assert values["B"] == "$A ${A} $(cmd)"
    assert values["C"] == "$A"
    assert calls == []


def test_command_substitution_passes_raw_text_and_earlier_keys() -> None:
    values, calls = run("A=1\nB=x $(echo \"$A\" 'q') y\n")
    assert values["B"] == "x <echo \"$A\" 'q'> y"
    assert calls == [("echo \"$A\" 'q'", {"A": "1"}, "f:2")]


def test_substituted_output_is_not_expanded_again() -> None:
    def runner(command: str, variables: Mapping[str, str], where: str) -> str:
        return "out $A $(nested) \\$"

    values = parse("A=1\nB=$(cmd)\n", path="f", run_command=runner, environ={})
    assert values["B"] == "out $A $(nested) \\$"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("$(a (b) c)", "a (b) c"),
        ("$(echo $(inner))", "echo $(inner)"),
        ("$(echo \\) still)", "echo \\) still"),
        ("$(echo ')' \"(\")", "echo ')' \"(\""),
        ('$(echo "a \\" )")', 'echo "a \\" )"'),
    ],
)
def test_nested_and_escaped_parentheses(text: str, command: str) -> None:
    values, calls = run(f"A={text}\n")
    assert [c[0] for c in calls] == [command]
    assert values["A"] == f"<{command}>"


@pytest.mark.parametrize("text", ["$(unclosed", "$()", "$(echo ')"])
def test_unclosed_or_empty_substitution_stays_literal(text: str) -> None:
    values, calls = run(f"A={text}\n")
    assert calls == []
    assert values["A"] == text


def test_command_end_positions() -> None:
    assert command_end("$(a(b)c)d", 2) == 7
    assert command_end("$(a", 2) is None


def test_export_without_value_needs_an_earlier_key() -> None:
    values, _ = run("A=1\nexport A\n")
    assert values == {"A": "1"}
    with pytest.raises(SecretsError, match=r"^f:1: `export B` has no value"):
        run("export B\n")


def test_linebreak_legacy_mode() -> None:
    values, _ = run('DOTENV_LINEBREAK_MODE=legacy\nA="a\\nb"\n')
    assert values["A"] == "a\nb"


def test_expand_variables_for_inline_commands() -> None:
    assert expand_variables("x $A ${B} \\$C $(keep)", {"A": "1"}, {"B": "2"}) == "x 1 2 $C $(keep)"


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match="missing: cannot read secrets file"):
        read_text(str(tmp_path / "missing"))
    bad = tmp_path / "bad"
    bad.write_bytes(b"A=\xff\n")
    with pytest.raises(SecretsError, match="bad: not valid UTF-8"):
        read_text(str(bad))
