"""The fixture corpora: valid configs print what ``kamal config`` prints; invalid ones fail in one line.

tests/fixtures/config/valid/<case>/    deploy.yml [+ deploy.<dest>.yml] [args] [env]
tests/fixtures/config/invalid/<case>/  config/deploy.yml [+ other files] expected [args] [kamal]

``expected`` is our one-line message (``{case}`` stands for the case directory). ``kamal`` says how
the reference tool treats the same input when it does not report the same message: ``accepts``,
``crashes`` (an internal error) or ``differs`` (another message, e.g. Ruby's YAML wording).
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from kamal_compare import (
    FIXTURES,
    case_args,
    case_env,
    command_line,
    kamal_binary,
    parse_kamal_yaml,
    parse_pykamal_yaml,
    run_in_process,
    run_kamal,
    run_pykamal,
)

VALID = sorted(p for p in (FIXTURES / "valid").iterdir() if p.is_dir())
INVALID = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())
needs_kamal = pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH")


def test_corpora_are_big_enough() -> None:
    assert len(VALID) >= 20
    assert len(INVALID) >= 20


@cache
def kamal_results() -> dict[Path, subprocess.CompletedProcess[str]]:
    """Every case through the reference binary once (two at a time: each run takes about a second)."""
    cases = VALID + INVALID
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(cases, pool.map(kamal_invalid_or_valid, cases), strict=True))


def kamal_invalid_or_valid(case: Path) -> subprocess.CompletedProcess[str]:
    if case in VALID:
        return run_kamal(case)
    binary = kamal_binary()
    assert binary is not None
    return subprocess.run(
        [binary, *invalid_args(case)],
        cwd=case,
        env=case_env(case),
        capture_output=True,
        text=True,
        timeout=60,
    )


def invalid_args(case: Path) -> list[str]:
    return ["config", *case_args(case), "--version", "abc"]


@needs_kamal
@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_config_prints_what_kamal_prints(case: Path, capsys: Any, monkeypatch: Any) -> None:
    code, out, err = run_in_process(case, command_line(case), capsys, monkeypatch)
    assert code == 0, err
    theirs = kamal_results()[case]
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert parse_pykamal_yaml(out) == parse_kamal_yaml(theirs.stdout)


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_config_output_shape(case: Path, capsys: Any, monkeypatch: Any) -> None:
    code, out, err = run_in_process(case, command_line(case), capsys, monkeypatch)
    assert code == 0, err
    assert out.startswith("---\n")
    data = parse_pykamal_yaml(out)
    assert list(data)[:3] == ["roles", "hosts", "primary_host"]
    assert {"version", "repository", "absolute_image", "ssh_options", "builder", "logging"} <= set(data)
    assert not any(key.startswith(":") for key in data)


def test_real_process_prints_config(tmp_path: Path) -> None:
    case = VALID[0]
    result = run_pykamal(case)
    assert result.returncode == 0, result.stderr
    assert parse_pykamal_yaml(result.stdout)["roles"] == ["web"]


def expected_message(case: Path) -> str:
    return (case / "expected").read_text().strip().replace("{case}", str(case))


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_config_is_refused_in_one_line(case: Path, capsys: Any, monkeypatch: Any) -> None:
    code, out, err = run_in_process(case, invalid_args(case), capsys, monkeypatch)
    assert code != 0
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0] == f"ERROR {expected_message(case)}"


def test_real_process_refuses_invalid_config() -> None:
    case = next(c for c in INVALID if c.name.startswith("01-"))
    result = run_pykamal(case, invalid_args(case))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"ERROR {expected_message(case)}"


def kamal_error(result: subprocess.CompletedProcess[str]) -> str | None:
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    for line in text.splitlines():
        match = re.match(r"\s*ERROR \(([^)]*)\): (.*)", line)
        if match:
            return match.group(2)
    return None


@needs_kamal
@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_config_compared_with_kamal(case: Path) -> None:
    result = kamal_results()[case]
    note = (case / "kamal").read_text().strip() if (case / "kamal").exists() else "same"
    if note == "same":
        assert kamal_error(result) == expected_message(case)
    elif note == "accepts":
        assert result.returncode == 0, kamal_error(result)
    else:
        assert note in ("crashes", "differs")
        assert result.returncode != 0
        assert kamal_error(result) != expected_message(case)
