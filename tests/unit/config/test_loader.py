"""Reading files: destinations, missing files, empty or odd files, ERB environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from config_helpers import BASE

from pykamal.config import load_config
from pykamal.config.loader import destination_file, load_raw
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
