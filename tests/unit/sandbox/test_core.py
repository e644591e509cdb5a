from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykamal.sandbox.core import Sandbox, SandboxSpec, _unescape, iter_rows
from pykamal.sandbox.errors import SandboxError


def test_spec_addresses_and_registry() -> None:
    spec = SandboxSpec(hosts=3)
    assert spec.addresses == ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
    assert spec.registry == "127.0.0.10:5000"
    wide = SandboxSpec(hosts=100, base_address="127.0.0.200")
    assert wide.addresses[-1] == "127.0.1.44"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_address": "10.0.0.10"}, "127.0.0.0/8"),
        ({"base_address": "127.255.255.250", "hosts": 10}, "127.0.0.0/8"),
        ({"base_address": "localhost"}, "not an IPv4 address"),
        ({"name": "bad name"}, "letters, digits"),
        ({"hosts": -1}, "0 or more"),
    ],
)
def test_spec_rejects_bad_values(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SandboxError, match=message):
        SandboxSpec(**changes)  # type: ignore[arg-type]


def test_load_uses_the_saved_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYKAMAL_SANDBOX_STATE", str(tmp_path))
    assert Sandbox.load("demo").spec == SandboxSpec(name="demo")
    (tmp_path / "demo").mkdir()
    saved = {"spec": {"name": "demo", "hosts": 5, "base_address": "127.0.3.10", "light": True, "extra": 1}}
    (tmp_path / "demo" / "state.json").write_text(json.dumps(saved))
    box = Sandbox.load("demo")
    assert box.spec == SandboxSpec(name="demo", hosts=5, base_address="127.0.3.10", light=True)
    assert box.with_changes(hosts=2, light=None).spec.hosts == 2
    assert box.ssh_config_path == tmp_path / "demo" / "ssh_config"
    (tmp_path / "demo" / "state.json").write_text("{not json")
    with pytest.raises(SandboxError, match=r"state\.json"):
        Sandbox.load("demo")


def test_ssh_env_names_the_config_registry_and_each_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYKAMAL_SANDBOX_STATE", str(tmp_path))
    env = Sandbox(SandboxSpec(name="demo", hosts=2)).make_ssh_env({"PATH": "/bin"})
    assert env == {
        "PATH": "/bin",
        "PYKAMAL_SANDBOX_SSH_CONFIG": str(tmp_path / "demo" / "ssh_config"),
        "PYKAMAL_SANDBOX_KNOWN_HOSTS": str(tmp_path / "demo" / "known_hosts"),
        "PYKAMAL_SANDBOX_KEY": str(tmp_path / "demo" / "id_ed25519"),
        "PYKAMAL_SANDBOX_REGISTRY": "127.0.0.10:5000",
        "PYKAMAL_SANDBOX_HOSTS": "127.0.0.11,127.0.0.12",
        "PYKAMAL_SANDBOX_HOST_1": "127.0.0.11",
        "PYKAMAL_SANDBOX_HOST_2": "127.0.0.12",
    }


def test_unknown_host_is_named_in_the_error() -> None:
    with pytest.raises(SandboxError, match=r"10\.1\.1\.1 is not a host"):
        Sandbox(SandboxSpec(hosts=1)).container("10.1.1.1")


def test_rows_are_aligned() -> None:
    rows = [{"name": "a", "state": "running"}, {"name": "longer", "state": "-"}]
    assert list(iter_rows(rows)) == ["NAME    STATE", "a       running", "longer  -"]


def _run_command_log_wrapper(tmp_path: Path, command: str) -> str:
    script = resources.files("pykamal.sandbox").joinpath("assets").joinpath("host").joinpath("command-log")
    log = tmp_path / "commands.log"
    wrapper = tmp_path / "command-log"
    wrapper.write_text(script.read_text().replace("/var/log/pykamal-sandbox/commands.log", str(log)))
    env = {"PATH": os.environ["PATH"], "SHELL": "/bin/sh", "SSH_ORIGINAL_COMMAND": command}
    subprocess.run(["bash", str(wrapper)], env=env, capture_output=True, check=False)
    return log.read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\\", "\n", "n", "'", '"', "é"]), min_size=1, max_size=20))
def test_command_log_lines_round_trip(tmp_path_factory: pytest.TempPathFactory, command: str) -> None:
    tmp_path = tmp_path_factory.mktemp("log")
    text = _run_command_log_wrapper(tmp_path, command)
    assert text.count("\n") == 1
    stamp, _, logged = text.rstrip("\n").partition(" ")
    assert stamp.endswith("Z") and "T" in stamp
    assert _unescape(logged) == command


def test_command_log_wrapper_runs_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _run_command_log_wrapper(tmp_path, f"echo yes > {marker}")
    assert marker.read_text() == "yes\n"
