"""Inputs the fuzzers found that once gave a broken error line, kept as plain examples."""

from __future__ import annotations

from fuzz_helpers import cli, project

MINIMAL = (
    "service: hey\nimage: 37s/hey\nservers:\n  - 192.168.0.1\nbuilder:\n  arch: amd64\n"
    "registry:\n  username: u\n  password: p\n"
)


def test_env_fetch_of_a_key_with_a_newline_is_one_error_line() -> None:
    text = MINIMAL + 'env:\n  clear:\n    A: <%= ENV.fetch("\nREGISTRY_PW") %>\n'
    with project({"config/deploy.yml": text}):
        outcome = cli(["config", "--version", "v1"])
    outcome.assert_clean("newline in an ENV.fetch key")
    assert outcome.code == 1
    assert 'key not found: "\\nREGISTRY_PW"' in outcome.err


def test_control_characters_in_a_key_are_escaped_in_the_error_line() -> None:
    text = MINIMAL.replace("servers:\n  - 192.168.0.1\n", 'servers:\n  "\\x1e\\e[2J": 7\n')
    with project({"config/deploy.yml": text}):
        outcome = cli(["config", "--version", "v1"])
    outcome.assert_clean("control characters in a role name")
    assert outcome.code == 1
    assert "\x1e" not in outcome.err and "\x1b" not in outcome.err
    assert "\\x1e\\x1b[2J" in outcome.err


def test_a_newline_in_a_key_keeps_the_loader_error_on_one_line() -> None:
    from pykamal.config import load_config
    from pykamal.errors import ConfigError

    text = MINIMAL.replace("  arch: amd64\n", '  arch: amd64\n  "bad\\nkey": 1\n')
    with project({"config/deploy.yml": text}) as root:
        try:
            load_config(str(root / "config" / "deploy.yml"), version="v1")
        except ConfigError as error:
            assert "\n" not in str(error) and "\\n" in str(error), str(error)
        else:
            raise AssertionError("an unknown builder key was accepted")
