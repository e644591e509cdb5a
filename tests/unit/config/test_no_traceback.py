"""No input, however odd, makes the config loader fail with anything but a one-line PykamalError."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kamal_compare import FIXTURES, run_in_process

from pykamal.config import load_config
from pykamal.config.loader import load_raw
from pykamal.config.summary import summary, to_yaml
from pykamal.errors import PykamalError

CORPUS = sorted(p for p in (FIXTURES / "valid").iterdir() if p.is_dir()) + sorted(
    p for p in (FIXTURES / "invalid").iterdir() if p.is_dir()
)
SEED_FILE = FIXTURES / "valid" / "09-accessories" / "deploy.yml"


@pytest.mark.parametrize("case", CORPUS, ids=lambda p: p.name)
def test_no_traceback_for_any_corpus_input(case: Path, capsys: Any, monkeypatch: Any) -> None:
    file = "deploy.yml" if (case / "deploy.yml").exists() else "config/deploy.yml"
    for args in (
        ["config", "-c", file, "--version", "v"],
        ["config", "-c", file, "-d", "other", "--version", "v"],
    ):
        code, _out, err = run_in_process(case, args, capsys, monkeypatch)
        assert "Traceback" not in err
        assert "unexpected" not in err, err
        assert code == 0 or len(err.strip().splitlines()) == 1


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.sampled_from(["web", "amd64", "10.0.0.1", "25%", "localhost:5000", "a.com, b.com", "", "x-y"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(["hosts", "image", "proxy"])), children, max_size=3
        ),
    ),
    max_leaves=8,
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*prefix, index))
    return found


SEED = yaml.safe_load(SEED_FILE.read_text())
SEED_PATHS = paths(SEED)[1:]


def mutate(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    result = copy.deepcopy(data)
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return result


def check_loads_or_fails_cleanly(tmp_path: Path, text: str) -> None:
    file = tmp_path / "deploy.yml"
    file.write_text(text)
    try:
        config = load_config(str(file), version="v")
        to_yaml(summary(config))
    except PykamalError as error:
        assert "\n" not in str(error).strip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SEED_PATHS), values)
def test_mutated_configs_never_crash(tmp_path: Path, path: tuple[Any, ...], value: Any) -> None:
    check_loads_or_fails_cleanly(tmp_path, yaml.safe_dump(mutate(SEED, path, value)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("abc: -[]{}<%=>#\"'\n&*!|?,.%-_ENV()")), max_size=80))
def test_random_text_never_crashes(tmp_path: Path, text: str) -> None:
    check_loads_or_fails_cleanly(tmp_path, text)


def test_seed_is_valid(tmp_path: Path) -> None:
    assert load_raw(str(SEED_FILE))["service"] == "acc"
