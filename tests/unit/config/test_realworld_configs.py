"""Public Kamal projects: `pykamal config` gives what `kamal config` gives, rendering their ERB without Ruby.

Each deploy.yml of ../shared/realworld-configs is loaded alone and with each of its destinations.
Where Kamal prints a configuration, pykamal prints the same values; where Kamal refuses the files,
pykamal refuses them with the same message. The reference is Kamal 2.11: a file refused by it only
for keys Kamal 2.12 added (used as 2.12's docs describe them) counts as matching when pykamal loads
it; and the same projects with those keys added give what Kamal 2.11 gives without them.
"""

from __future__ import annotations

import os
import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import realworld
from kamal_compare import kamal_binary, parse_kamal_yaml, parse_pykamal_yaml

from pykamal.cli import run

CONFIGS = realworld.shared_configs()
TARGETS = realworld.targets(CONFIGS) if CONFIGS is not None else []
pytestmark = [
    pytest.mark.skipif(CONFIGS is None, reason="../shared/realworld-configs is not next to the repository"),
    pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH"),
]


@cache
def kamal_results() -> dict[realworld.Target, tuple[int, str]]:
    binary = kamal_binary()
    assert binary is not None and CONFIGS is not None
    return realworld.kamal_results(binary, TARGETS, environment())


def environment() -> dict[str, str]:
    assert CONFIGS is not None
    return realworld.environment(CONFIGS, realworld.stub_dir())


def kamal_error(output: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", output)
    match = re.search(r"ERROR \([^)]*\): (.*)", text)
    return match.group(1).strip() if match else text.strip()


def run_pykamal(
    target: realworld.Target, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """`pykamal config` in this process, in the project, with exactly the environment kamal had."""
    monkeypatch.chdir(target.project)
    env = environment()
    for key in list(os.environ):
        if key not in env:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # no Ruby to fall back on: what is shown here is pykamal's own rendering
    monkeypatch.setattr("pykamal.config.erb._ruby_executable", lambda: None)
    capsys.readouterr()
    code = run(target.args())
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_project_is_found() -> None:
    assert CONFIGS is not None
    projects = {target.project for target in TARGETS}
    assert len(projects) >= 50
    assert len(TARGETS) > len(projects)  # destinations too


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_pykamal_config_matches_kamal_config(
    target: realworld.Target, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kamal_code, kamal_output = kamal_results()[target]
    code, out, err = run_pykamal(target, capsys, monkeypatch)
    if kamal_code == 0:
        assert code == 0, err
        assert parse_pykamal_yaml(out) == parse_kamal_yaml(kamal_output)
    elif only_kamal_212_keys(kamal_error(kamal_output)):
        assert code == 0, err
    elif kamal_error(kamal_output).endswith(RESTART_REFUSED):  # 2.12 takes a valid options/restart
        assert code == 0 or "/options/restart: " in err, err
    else:
        assert code != 0
        assert len(err.strip().splitlines()) == 1, err
        assert err.strip() == f"ERROR {kamal_error(kamal_output)}"


RESTART_REFUSED = "Cannot set restart policy in docker options, unless-stopped is required"
KAMAL_212_KEYS = {"": {"stop_timeout", "output"}, "ssh": {"forward_agent"}, "role": {"stop_timeout"}}


def only_kamal_212_keys(error: str) -> bool:
    """Kamal 2.11's refusal names only keys that 2.12 accepts where they stand."""
    match = re.fullmatch(r"(?:(?P<path>[^:]*): )?unknown keys?: (?P<keys>.*)", error)
    if match is None:
        return False
    path = match["path"] or ""
    place = "role" if re.fullmatch(r"servers/[^/]+", path) else path
    keys = set(match["keys"].split(", "))
    return keys <= KAMAL_212_KEYS.get(place, set())


def test_only_kamal_212_keys_reads_kamal_messages() -> None:
    assert only_kamal_212_keys("unknown keys: stop_timeout, output")
    assert only_kamal_212_keys("ssh: unknown key: forward_agent")
    assert only_kamal_212_keys("servers/jobs: unknown key: stop_timeout")
    assert not only_kamal_212_keys("unknown key: stop_timout")
    assert not only_kamal_212_keys("ssh: unknown key: stop_timeout")
    assert not only_kamal_212_keys("servers/jobs/proxy: unknown key: output")


KAMAL_212_DESTINATION = """# the keys Kamal 2.12 added, written as its docs show them
stop_timeout: 30
output:
  file:
    path: log/kamal
  otel:
    endpoint: http://otel-gateway:4318
ssh:
  forward_agent: false
"""
PLAIN_DESTINATION = "x-kamal-212: not used\n"


def rendered_projects() -> list[realworld.Target]:
    """A few projects Kamal renders without a destination."""
    if CONFIGS is None or kamal_binary() is None:
        return []
    plain = [target for target in TARGETS if target.destination is None]
    return plain[::10][:6]


@pytest.mark.parametrize("original", rendered_projects(), ids=lambda target: target.name)
def test_projects_with_kamal_212_keys_load_and_keep_their_values(
    original: realworld.Target, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kamal_code, _ = kamal_results()[original]
    if kamal_code != 0:
        pytest.skip("Kamal refuses this project")
    with_keys = copy_with_destination(original, tmp_path / "with", KAMAL_212_DESTINATION)
    without = copy_with_destination(original, tmp_path / "without", PLAIN_DESTINATION)
    binary = kamal_binary()
    assert binary is not None
    kamal_code, kamal_output = realworld.run_kamal(binary, without, environment())
    assert kamal_code == 0, kamal_output
    code, out, err = run_pykamal(with_keys, capsys, monkeypatch)
    assert code == 0, err
    expected = parse_kamal_yaml(kamal_output)
    ssh = expected["ssh_options"]
    ssh["forward_agent"] = False
    ssh["log_level"] = ssh.pop("log_level")  # 2.12 prints forward_agent just before it
    assert parse_pykamal_yaml(out) == expected


def copy_with_destination(original: realworld.Target, where: Path, text: str) -> realworld.Target:
    shutil.copytree(original.project, where)
    (where / "config" / "deploy.k212.yml").write_text(text)
    return realworld.Target(where, "k212")
