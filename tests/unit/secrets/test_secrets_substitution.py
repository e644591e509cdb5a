"""`$(command)` in secrets files: real shell commands, timeouts, failures, in-process `kamal secrets`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from secrets_helpers import TRICKY, cli_secrets, json_dump, write_secrets

from pykamal.errors import SecretsError
from pykamal.secrets import Secrets
from pykamal.secrets.shellwords import shellescape


def test_output_loses_one_trailing_newline(workdir: Path) -> None:
    write_secrets("A=$(printf 'x\\n\\n')\nB=$(printf 'y')\n")
    assert Secrets().all() == {"A": "x\n", "B": "y"}


def test_values_reach_commands_as_environment_not_as_code(workdir: Path) -> None:
    # The value would run `touch pwned` if it were pasted into the command text.
    write_secrets("EVIL='$(touch pwned)`touch pwned`;touch pwned'\nCOPY=$(printf '%s' \"$EVIL\")\n")
    assert Secrets().get("COPY") == "$(touch pwned)`touch pwned`;touch pwned"
    assert not Path("pwned").exists()


def test_failing_command_names_file_and_line(workdir: Path) -> None:
    write_secrets("A=1\n\n# comment\nB=$(echo partial; exit 7)\n", "secrets.staging")
    with pytest.raises(SecretsError) as error:
        Secrets(destination="staging").get("A")
    assert str(error.value) == ".kamal/secrets.staging:4: $(echo partial; exit 7) failed with exit status 7"


def test_timeout(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYKAMAL_SECRETS_TIMEOUT", "0.5")
    write_secrets("A=$(sleep 30 | cat; echo late)\n")
    started = time.monotonic()
    with pytest.raises(SecretsError) as error:
        Secrets().get("A")
    assert time.monotonic() - started < 10
    assert str(error.value) == (
        ".kamal/secrets:1: $(sleep 30 | cat; echo late) timed out after 0.5s "
        "(set PYKAMAL_SECRETS_TIMEOUT to change)"
    )


def test_bad_timeout_setting(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYKAMAL_SECRETS_TIMEOUT", "soon")
    write_secrets("A=$(echo a)\n")
    with pytest.raises(SecretsError, match="PYKAMAL_SECRETS_TIMEOUT='soon': should be a number"):
        Secrets().get("A")


@pytest.mark.parametrize("program", ["kamal", "pykamal", "bin/kamal", "bundle exec kamal", "./bin/pykamal"])
def test_kamal_secrets_commands_run_in_process(
    workdir: Path, program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With an empty PATH no external kamal/pykamal could run: success proves it ran in-process.
    monkeypatch.setenv("PATH", str(workdir / "nothing"))
    write_secrets(
        f"SECRETS=$({program} secrets fetch --adapter test --account acct --from vault "
        "A_B LPAREN.RPAREN 'x y')\n"
        f"E1=$({program} secrets extract A_B ${{SECRETS}})\n"
        f"E2=$({program} secrets extract LPAREN.RPAREN $SECRETS)\n"
        f'E3=$({program} secrets extract "x y" ${{SECRETS}})\n'
    )
    values = cli_secrets().all()
    expected = {"vault/A_B": "B_A/tluav", "vault/LPAREN.RPAREN": ").(/tluav", "vault/x y": "y x/tluav"}
    assert values["SECRETS"] == shellescape(json_dump(expected))
    assert (values["E1"], values["E2"], values["E3"]) == ("B_A/tluav", ").(/tluav", "y x/tluav")


def test_in_process_extract_with_escaped_json_in_the_file(workdir: Path) -> None:
    write_secrets('KEY1=$(kamal secrets extract KEY1 \\{\\"KEY1\\":\\"pass\\)word\\"\\})\n')
    assert cli_secrets().get("KEY1") == "pass)word"


def test_in_process_value_with_quotes_substitutions_and_newlines_is_exact(workdir: Path) -> None:
    secrets_json = json_dump({"vault/item/VALUE": TRICKY})
    write_secrets(
        f"SECRETS={shellescape(shellescape(secrets_json))}\nVALUE=$(kamal secrets extract VALUE $SECRETS)\n"
    )
    assert cli_secrets().get("VALUE") == TRICKY
    assert not Path("pwned").exists()


def test_in_process_errors_name_the_line(workdir: Path) -> None:
    write_secrets('A=1\nB=$(kamal secrets extract MISSING \'{"x":"1"}\')\n')
    with pytest.raises(SecretsError) as error:
        cli_secrets().get("A")
    assert str(error.value) == ".kamal/secrets:2: Could not find secret MISSING"

    write_secrets("A=$(kamal secrets fetch --adapter nope --account a X)\n")
    with pytest.raises(SecretsError, match=r"^\.kamal/secrets:1: Unknown secrets adapter: nope$"):
        cli_secrets().get("A")

    write_secrets("A=$(kamal secrets fetch --adapter test X)\n")
    with pytest.raises(
        SecretsError, match=r"^\.kamal/secrets:1: No value provided for required options '--account'$"
    ):
        cli_secrets().get("A")

    write_secrets("A=$(kamal secrets fetch X)\n")
    with pytest.raises(SecretsError, match=r"^\.kamal/secrets:1: Missing option '-a' / '--adapter'"):
        cli_secrets().get("A")

    write_secrets("A=$(kamal secrets print)\n")
    with pytest.raises(SecretsError, match="only `secrets fetch` and `secrets extract`"):
        cli_secrets().get("A")


def test_kamal_secrets_without_the_command_names_the_line(workdir: Path) -> None:
    write_secrets("A=1\nB=$(kamal secrets extract X '{}')\n")
    with pytest.raises(SecretsError) as error:
        Secrets().get("A")
    assert (
        str(error.value)
        == ".kamal/secrets:2: $(kamal secrets extract X '{}') runs only under the pykamal command"
    )
