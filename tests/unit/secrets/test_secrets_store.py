"""`Secrets`: which files are read, laziness, lookups and their error messages."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from secrets_helpers import write_secrets

from pykamal.errors import SecretsError
from pykamal.secrets import Secrets


def test_plain_file(workdir: Path) -> None:
    write_secrets("SECRET=ABC\n")
    secrets = Secrets()
    assert secrets.get("SECRET") == "ABC"
    assert secrets["SECRET"] == "ABC"
    assert "SECRET" in secrets
    assert "OTHER" not in secrets
    assert secrets.all() == {"SECRET": "ABC"}


def test_common_then_destination_file(workdir: Path) -> None:
    write_secrets("SECRET=GHI\nSECRET2=JKL\n", "secrets-common")
    write_secrets("SECRET=ABC\n")
    write_secrets("SECRET=DEF\n", "secrets.dest")
    assert Secrets().all() == {"SECRET": "ABC", "SECRET2": "JKL"}
    assert Secrets(destination="dest").all() == {"SECRET": "DEF", "SECRET2": "JKL"}
    # with a destination the plain file is not read, even when the destination file is missing
    assert Secrets(destination="nodest").all() == {"SECRET": "GHI", "SECRET2": "JKL"}


def test_later_file_sees_keys_of_the_common_file(workdir: Path) -> None:
    write_secrets("TOKEN=tok\n", "secrets-common")
    write_secrets("URL=https://x/$TOKEN\nOUT=$(printf '%s' \"$TOKEN\")\n")
    assert Secrets().get("URL") == "https://x/tok"
    assert Secrets().get("OUT") == "tok"


def test_file_value_overrides_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET1", "from-env")
    write_secrets("SECRET1=DEF\nSECRET2=$SECRET1\n")
    assert Secrets().get("SECRET2") == "DEF"


def test_environment_reference(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_ENV", "ABC")
    write_secrets("SECRET1=$FROM_ENV\n")
    assert Secrets().get("SECRET1") == "ABC"


def test_custom_path(workdir: Path) -> None:
    Path("custom/path").mkdir(parents=True)
    Path("custom/path/secrets-common").write_text("COMMON=SHARED\nSECRET=COMMON\n")
    Path("custom/path/secrets").write_text("SECRET=OVERRIDE\n")
    Path("custom/path/secrets.prod").write_text("SECRET=PROD\n")
    assert Secrets("custom/path/secrets").all() == {"COMMON": "SHARED", "SECRET": "OVERRIDE"}
    assert Secrets("custom/path/secrets", "prod").get("SECRET") == "PROD"


def test_missing_secret_messages(workdir: Path) -> None:
    with pytest.raises(SecretsError) as error:
        Secrets().get("SECRET")
    assert str(error.value) == (
        "Secret 'SECRET' not found, no secret files (.kamal/secrets-common, .kamal/secrets) provided"
    )
    with pytest.raises(SecretsError) as error:
        Secrets("custom/path/secrets", destination="dest").get("SECRET")
    assert str(error.value) == (
        "Secret 'SECRET' not found, no secret files "
        "(custom/path/secrets-common, custom/path/secrets.dest) provided"
    )
    write_secrets("OTHER=1\n", "secrets-common")
    write_secrets("OTHER=1\n")
    with pytest.raises(SecretsError) as error:
        Secrets().get("SECRET")
    assert str(error.value) == "Secret 'SECRET' not found in .kamal/secrets-common, .kamal/secrets"


def test_nothing_is_read_or_run_before_the_first_lookup(workdir: Path) -> None:
    write_secrets("A=$(touch marker; echo value)\n")
    secrets = Secrets()
    assert not secrets.loaded
    assert repr(secrets) == "Secrets('.kamal/secrets', destination=None, not loaded)"
    assert not Path("marker").exists()
    assert secrets.get("A") == "value"
    assert Path("marker").exists()


def test_substitutions_run_once(workdir: Path) -> None:
    write_secrets("A=$(echo x >> count; echo value)\n")
    secrets = Secrets()
    for _ in range(3):
        assert secrets.get("A") == "value"
    assert "A" in secrets
    assert secrets.all() == {"A": "value"}
    assert Path("count").read_text() == "x\n"


def test_concurrent_first_lookups_read_once(workdir: Path) -> None:
    write_secrets("A=$(sleep 0.2; echo x >> count; echo value)\n")
    secrets = Secrets()
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(secrets.get("A"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 4
    assert Path("count").read_text() == "x\n"


def test_a_failure_is_kept_not_retried(workdir: Path) -> None:
    write_secrets("A=$(echo x >> count; exit 3)\n")
    secrets = Secrets()
    for _ in range(2):
        with pytest.raises(SecretsError, match=r"^\.kamal/secrets:1: \$\(echo x >> count; exit 3\) failed"):
            secrets.get("A")
    assert Path("count").read_text() == "x\n"


def test_values_are_not_exported_into_our_environment(workdir: Path) -> None:
    write_secrets("PYKAMAL_TEST_SECRET=value\nB=$(printf '%s' \"$PYKAMAL_TEST_SECRET\")\n")
    assert Secrets().get("B") == "value"
    assert "PYKAMAL_TEST_SECRET" not in os.environ


def test_present_is_kamals_key_check(workdir: Path) -> None:
    write_secrets("EMPTY=\nBLANK='  '\nSET=x\n")
    secrets = Secrets()
    assert [secrets.present(k) for k in ("EMPTY", "BLANK", "SET", "MISSING")] == [False, False, True, False]
    assert "EMPTY" in secrets
    assert list(secrets) == ["EMPTY", "BLANK", "SET"]
