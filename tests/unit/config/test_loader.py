"""Reading files: destinations, missing files, empty or odd files, ERB environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from project_files import BASE

import pykamal
from pykamal.config import load_config
from pykamal.config.loader import MAX_EXPANDED_VALUES, destination_file, expanded_size, load_raw
from pykamal.errors import ConfigError


def test_destination_file_replaces_the_extension() -> None:
    assert destination_file("config/deploy.yml", "staging") == "config/deploy.staging.yml"
    assert destination_file("ops/app.yaml", "prod") == "ops/app.prod.yml"
    assert destination_file("deploy", "x") == "deploy.x.yml"


def test_destination_maps_merge_deeply_and_lists_are_replaced(write_config: Callable[..., str]) -> None:
    path = write_config(BASE + "env:\n  clear:\n    A: 1\n    B: 2\nvolumes: [/a:/a, /b:/b]\n")
    Path("config/deploy.staging.yml").write_text(
        "env:\n  clear:\n    B: 3\nvolumes: [/c:/c]\nservers: [10.9.9.9]\n"
    )
    raw = load_raw(path, "staging")
    assert raw["env"] == {"clear": {"A": 1, "B": 3}}
    assert raw["volumes"] == ["/c:/c"]
    assert raw["servers"] == ["10.9.9.9"]
    config = load_config(path, destination="staging", version="v1")
    assert config.destination == "staging"
    assert config.all_hosts == ("10.9.9.9",)


def test_missing_base_file_names_absolute_path(write_config: Callable[..., str], tmp_path: Path) -> None:
    write_config(BASE)
    with pytest.raises(ConfigError) as error:
        load_config("config/other.yml")
    assert str(error.value) == f"Configuration file not found in {tmp_path}/config/other.yml"


def test_missing_destination_file_names_absolute_path(
    write_config: Callable[..., str], tmp_path: Path
) -> None:
    path = write_config(BASE)
    with pytest.raises(ConfigError) as error:
        load_config(path, destination="production")
    assert str(error.value) == f"Configuration file not found in {tmp_path}/config/deploy.production.yml"


def test_require_destination(write_config: Callable[..., str]) -> None:
    path = write_config(BASE + "require_destination: true\n")
    Path("config/deploy.live.yml").write_text("servers: [10.1.1.1]\n")
    with pytest.raises(ConfigError, match=r"^You must specify a destination$"):
        load_config(path)
    assert load_config(path, destination="live", version="x").all_hosts == ("10.1.1.1",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "config/deploy.yml: is empty"),
        ("# only a comment\n", "config/deploy.yml: is empty"),
        ("---\n", "config/deploy.yml: is empty"),
        ("- a\n", "config/deploy.yml: should be a hash of settings (key: value), not a list"),
        ("42\n", "config/deploy.yml: should be a hash of settings (key: value), not a single value ('42')"),
    ],
)
def test_empty_or_non_mapping_files(write_config: Callable[..., str], text: str, message: str) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(message)


def test_empty_destination_file_is_an_error(write_config: Callable[..., str]) -> None:
    path = write_config(BASE)
    Path("config/deploy.staging.yml").write_text("")
    with pytest.raises(ConfigError, match=r"^config/deploy.staging.yml: is empty"):
        load_config(path, destination="staging")


def test_yaml_error_in_destination_file_names_that_file(write_config: Callable[..., str]) -> None:
    path = write_config(BASE)
    Path("config/deploy.staging.yml").write_text("a: 1\nb: [\n")
    with pytest.raises(ConfigError, match=r"^config/deploy.staging.yml:3: "):
        load_config(path, destination="staging")


def test_yaml_error_line_accounts_for_erb_trimming(write_config: Callable[..., str]) -> None:
    path = write_config('<%# one -%>\n<%# two -%>\n<% if ENV["NOPE_X"] -%>\nx: 1\n<% end -%>\nservice: [a\n')
    with pytest.raises(ConfigError, match=r"^config/deploy.yml:7: "):
        load_config(path)


def test_erb_sees_kamal_destination(
    write_config: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAMAL_DESTINATION", "leaked-from-shell")
    path = write_config(BASE + 'x-dest: "<%= ENV["KAMAL_DESTINATION"] %>"\n')
    Path("config/deploy.beta.yml").write_text("x-other: 1\n")
    assert load_raw(path, "beta")["x-dest"] == "beta"
    assert load_raw(path)["x-dest"] == ""  # unset without -d, as Kamal does


def test_erb_error_names_file_and_line(write_config: Callable[..., str]) -> None:
    path = write_config(BASE + "x-a: <%= Socket.gethostname %>\n")
    with pytest.raises(
        ConfigError, match=r"^config/deploy.yml:6: unsupported ERB: <%= Socket.gethostname %>$"
    ):
        load_config(path)


def test_not_utf8(write_config: Callable[..., str]) -> None:
    path = write_config(BASE)
    Path(path).write_bytes(b"service: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"^config/deploy.yml: not valid UTF-8"):
        load_config(path)


def test_self_referencing_alias_is_refused(write_config: Callable[..., str]) -> None:
    path = write_config(BASE.replace("builder: {arch: amd64}", "builder: &b\n  arch: amd64\n  args: *b"))
    with pytest.raises(
        ConfigError, match=r"^config/deploy.yml: a YAML alias refers to a value that contains it"
    ):
        load_config(path)


def test_shared_aliases_are_fine(write_config: Callable[..., str]) -> None:
    text = "x-h: &h [10.0.0.1]\n" + BASE.replace("servers: [10.0.0.1]", "servers:\n  web: *h\n  jobs: *h")
    assert load_config(write_config(text), version="v").role("jobs").hosts == ("10.0.0.1",)


def alias_bomb(levels: int, width: int = 9) -> str:
    """The classic "billion laughs": each level lists the previous one ``width`` times."""
    lines = ["x-bomb:", "  l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def run_config_cli() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(pykamal.__file__).parent.parent)}
    return subprocess.run(
        [sys.executable, "-m", "pykamal", "config", "--version", "v"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


def test_alias_bomb_through_the_cli_is_refused_quickly(write_config: Callable[..., str]) -> None:
    write_config(BASE + "unknown_key: 1\n")
    started = time.monotonic()
    run_config_cli()  # the same start-up and refusal without a bomb: what a loaded machine adds
    baseline = time.monotonic() - started
    write_config(BASE + alias_bomb(9))
    started = time.monotonic()
    result = run_config_cli()
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "config/deploy.yml: YAML aliases expand to more than 100,000 values" in result.stderr
    assert elapsed < 2 or elapsed - baseline < 1, (elapsed, baseline)


def test_deep_alias_chains_are_measured_once_per_shared_value(write_config: Callable[..., str]) -> None:
    path = write_config(BASE + alias_bomb(60, width=2))
    started = time.monotonic()
    with pytest.raises(ConfigError, match="alias bomb"):
        load_config(path, version="v")
    assert time.monotonic() - started < 1


def test_aliases_below_the_cap_load(write_config: Callable[..., str]) -> None:
    path = write_config(BASE + alias_bomb(5))  # 9**5 values
    assert 9**5 < (expanded_size(load_raw(path)) or 0) <= MAX_EXPANDED_VALUES


def test_a_loop_inside_shared_values_is_still_found(write_config: Callable[..., str]) -> None:
    text = BASE + "x-a: &a\n  shared: &s [1, 2]\n  again: *s\n  inner: &i\n    back: *i\n"
    with pytest.raises(ConfigError, match="a loop"):
        load_config(write_config(text), version="v")


def test_very_deep_nesting_is_refused_not_crashed(write_config: Callable[..., str]) -> None:
    write_config(BASE + "x-deep: " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = run_config_cli()
    assert result.returncode == 1
    assert result.stderr.strip() == "ERROR config/deploy.yml:6: values are nested more than 500 levels deep"


def test_nesting_up_to_the_limit_loads(write_config: Callable[..., str]) -> None:
    path = write_config(BASE + "x-deep: " + "[" * 499 + "]" * 499 + "\n")
    assert load_config(path, version="v").service == "app"
