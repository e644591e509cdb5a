"""Property: any deploy.yml, however mangled, gives a valid config or one ERROR line — never a traceback.

Inputs are the valid configuration corpus (tests/fixtures/config/valid) mutated two ways — as text
(YAML and ERB fragments inserted, spans deleted, lines duplicated or re-indented) and as data (a
value anywhere replaced by another type, a key removed or added) — and run through the CLI in this
process: ``config`` (load, validate, print) and ``deploy --plan`` (the whole deploy flow on a
recording executor, so a config that loads is also taken through every command builder).
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzz_helpers import FIXTURES, Outcome, cli, note, project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykamal.config import load_config
from pykamal.errors import PykamalError

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COMMANDS = (["config"], ["deploy", "--plan", "--skip-push"])


def _corpus() -> list[dict[str, Any]]:
    cases = []
    for folder in sorted((FIXTURES / "config" / "valid").iterdir()):
        if not (folder / "deploy.yml").exists():
            continue
        files = {f"config/{p.name}": p.read_text() for p in folder.glob("deploy*.yml")}
        env = {}
        if (folder / "env").exists():
            for line in (folder / "env").read_text().splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    env[key] = value
        args = (folder / "args").read_text().split() if (folder / "args").exists() else []
        cases.append({"name": folder.name, "files": files, "env": env, "args": args})
    return cases


CORPUS = _corpus()
FRAGMENTS = [
    ":", ": ", "- ", "  ", "\n", "\n  ", "\t", "{", "}", "[", "]", ",", "&anchor ", "*anchor",
    "<<: *anchor\n",
    "!!str ", "!!binary ", "!ruby/object ", "? ", "|\n", ">-\n", "'", '"', "#", "~", "null", "yes", "no",
    "0x1F", "0o17", "1e3", "-.inf", "2001-02-03", "12:30:45", "é", "\u2028", "\ufeff", "\\", "%",
    '<%= ENV["PYKAMAL_FUZZ"] %>', '<%= ENV.fetch("PYKAMAL_FUZZ") %>', '<% if ENV["X"] %>', "<% else %>",
    "<% end %>", "<%", "%>", "-%>", "<%#", "<%%", "servers:\n", "  web:\n", "    hosts: []\n",
    "proxy: true\n",
    "service: x\n", "image: \n", "accessories:\n  db: {}\n", "env:\n  secret: [A]\n", "x" * 300,
]  # fmt: skip


def _edit(text: str, op: str, where: float, fragment: str, span: int) -> str:
    at = int(where * len(text))
    if op == "insert":
        return text[:at] + fragment + text[at:]
    if op == "delete":
        return text[:at] + text[at + span :]
    if op == "replace":
        return text[:at] + fragment + text[at + span :]
    lines = text.splitlines(keepends=True)
    if not lines:
        return fragment
    index = min(int(where * len(lines)), len(lines) - 1)
    if op == "duplicate":
        return "".join(lines[: index + 1] + lines[index:])
    if op == "indent":
        lines[index] = " " * (span % 5) + lines[index]
        return "".join(lines)
    # dedent
    lines[index] = lines[index].lstrip(" ")
    return "".join(lines)


edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace", "duplicate", "indent", "dedent"]),
        st.floats(min_value=0, max_value=1),
        st.sampled_from(FRAGMENTS),
        st.integers(min_value=1, max_value=40),
    ),
    min_size=1,
    max_size=4,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 1, 1)),
    st.sampled_from(["web", "10.0.0.1", "127.0.0.1:5000", "25%", "0", "-1", "1.5", "a:b:c", "", " "]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.one_of(
                st.text(max_size=8), st.sampled_from(["hosts", "cmd", "env", "proxy", "image", "roles"])
            ),
            children,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _yaml_cases() -> list[tuple[dict[str, Any], Any, list[tuple[Any, ...]]]]:
    """Corpus cases whose deploy.yml is plain YAML (no ERB), with every path into their data."""
    out = []
    for case in CORPUS:
        text = case["files"]["config/deploy.yml"]
        if "<%" in text:
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict):
            out.append((case, data, _paths(data)[1:]))
    return out


YAML_CASES = _yaml_cases()


def _mutate(data: Any, path: tuple[Any, ...], op: str, value: Any, new_key: str) -> Any:
    result = copy.deepcopy(data)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if op == "set":
        parent[last] = value
    elif op == "delete":
        del parent[last]
    elif op == "wrap":
        parent[last] = [parent[last]]
    elif op == "add-key" and isinstance(parent[last], dict):
        parent[last][new_key] = value
    else:
        parent[last] = {new_key: parent[last]}
    return result


def check(case: dict[str, Any], files: dict[str, str]) -> list[Outcome]:
    outcomes = []
    with project(files, case["env"]) as root:
        try:
            load_config(str(root / "config" / "deploy.yml"), version="fuzz")
        except PykamalError as error:
            assert "\n" not in str(error).strip(), str(error)
        for command in COMMANDS:
            outcome = cli([*command, *case["args"], "--version", "fuzz"])
            outcome.assert_clean(f"{case['name']}: {' '.join(command)}")
            if outcome.code == 0 and command == ["config"]:
                assert "service" in outcome.out.lower() or outcome.out.strip(), outcome.out
            if outcome.code == 0 and command[0] == "deploy":
                assert "Plan only" in outcome.out + outcome.err
            note(f"{command[0]}: {'ok' if outcome.code == 0 else 'error'}")
            outcomes.append(outcome)
    return outcomes


def test_corpus_runs_clean_through_both_commands() -> None:
    assert len(CORPUS) >= 20 and len(YAML_CASES) >= 10
    for case in CORPUS:
        outcomes = check(case, case["files"])
        assert outcomes[0].code == 0, (case["name"], outcomes[0].err)  # the corpus is valid


@FUZZ
@given(st.sampled_from(CORPUS), edits)
def test_text_mutations_give_a_config_or_one_error_line(case: dict[str, Any], changes: list[Any]) -> None:
    text = case["files"]["config/deploy.yml"]
    for op, where, fragment, span in changes:
        text = _edit(text, op, where, fragment, span)
    check(case, {**case["files"], "config/deploy.yml": text})


@FUZZ
@given(
    st.sampled_from(YAML_CASES).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(c[2]))),
    st.sampled_from(["set", "set", "delete", "wrap", "add-key", "nest"]),
    values,
    st.one_of(st.text(max_size=8), st.sampled_from(["hosts", "proxy", "options", "ssl", "secret"])),
)
def test_data_mutations_give_a_config_or_one_error_line(
    picked: tuple[Any, tuple[Any, ...]], op: str, value: Any, new_key: str
) -> None:
    (case, data, _), path = picked
    mutated = _mutate(data, path, op, value, new_key)
    try:
        text = yaml.safe_dump(mutated, allow_unicode=True)
    except yaml.YAMLError:
        pytest.skip("not representable as YAML")
    check(case, {**case["files"], "config/deploy.yml": text})


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_arbitrary_text_gives_a_config_or_one_error_line(text: str) -> None:
    check(CORPUS[0], {"config/deploy.yml": text})


def test_unreadable_bytes_give_one_error_line(tmp_path: Path) -> None:
    case = CORPUS[0]
    with project({}, case["env"]) as root:
        (root / "config").mkdir()
        (root / "config" / "deploy.yml").write_bytes(b"service: \xff\xfe\x00app\nimage: x\n")
        outcome = cli(["config", "--version", "fuzz"])
        outcome.assert_clean("non-UTF-8 deploy.yml")
        assert outcome.code != 0
