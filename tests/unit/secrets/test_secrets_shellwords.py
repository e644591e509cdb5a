"""Ruby-compatible shell word escaping and splitting used for `secrets fetch --inline` output."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykamal.secrets.shellwords import shellescape, shellsplit

TEXT = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=40)


@given(TEXT)
def test_split_inverts_escape(text: str) -> None:
    assert shellsplit(shellescape(text)) == [text]
    assert shellsplit(f"a {shellescape(text)} b") == ["a", text, "b"]


@settings(max_examples=25, deadline=None)
@given(TEXT)
def test_a_posix_shell_reads_the_escape_back(text: str) -> None:
    printed = subprocess.run(["sh", "-c", "printf %s " + shellescape(text)], capture_output=True, check=True)
    assert printed.stdout.decode("utf-8") == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("", "''"),
        ("safe-._,:+/@Az09", "safe-._,:+/@Az09"),
        ('{"a b":"$x"}', '\\{\\"a\\ b\\":\\"\\$x\\"\\}'),
        ("line\nbreak", "line'\n'break"),
        ("é", "\\é"),
    ],
)
def test_escape_forms(text: str, escaped: str) -> None:
    assert shellescape(text) == escaped


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("  a  b  ", ["a", "b"]),
        ("a'b c'\"d e\"f", ["ab cd ef"]),
        ('"\\$ \\" \\\\ \\x"', ['$ " \\ \\x']),
        ("a\\ b", ["a b"]),
        ("''", [""]),
    ],
)
def test_split_forms(line: str, words: list[str]) -> None:
    assert shellsplit(line) == words


@pytest.mark.parametrize("line", ["'open", 'a "open'])
def test_split_rejects_unmatched_quotes(line: str) -> None:
    with pytest.raises(ValueError, match="unmatched quote"):
        shellsplit(line)


def test_escape_rejects_nul() -> None:
    with pytest.raises(ValueError):
        shellescape("a\0b")
