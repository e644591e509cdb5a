"""Names and values that end up in paths, tags and shells are refused at load, naming the key."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from project_files import BASE

from pykamal.config import load_config
from pykamal.errors import ConfigError

PATH_ESCAPES = ["../etc", "..", ".", "a/b", "a b", "a\nb", "-rf", "a$(id)", "a;b", "é"]


def error_for(write_config: Callable[..., str], text: str, **options: str) -> str:
    path = write_config(text)
    with pytest.raises(ConfigError) as error:
        load_config(path, **{"version": "v", **options})
    message = str(error.value)
    assert "\n" not in message
    return message


def accessory(extra: str, name: str = "db") -> str:
    return BASE + f"accessories:\n  {json.dumps(name)}:\n    image: mysql:8.0\n    host: 10.0.0.1\n{extra}"


@pytest.mark.parametrize("name", PATH_ESCAPES)
def test_accessory_service_names_stay_in_their_folder(write_config: Callable[..., str], name: str) -> None:
    message = error_for(write_config, accessory(f"    service: {json.dumps(name)}\n"))
    assert message.startswith("accessories/db/service: ")


@pytest.mark.parametrize("name", PATH_ESCAPES)
def test_accessory_names_stay_in_their_folder(write_config: Callable[..., str], name: str) -> None:
    message = error_for(write_config, accessory("", name=name))
    assert message.startswith("accessories: ")
    assert "letters, digits" in message


@pytest.mark.parametrize("name", PATH_ESCAPES)
def test_role_names_stay_in_their_folder(write_config: Callable[..., str], name: str) -> None:
    text = BASE.replace(
        "servers: [10.0.0.1]", f"servers:\n  web: [10.0.0.1]\n  {json.dumps(name)}: [10.0.0.2]"
    )
    message = error_for(write_config, text)
    assert message.startswith("servers: ")
    assert "letters, digits" in message


@pytest.mark.parametrize("name", PATH_ESCAPES)
def test_destination_names(write_config: Callable[..., str], name: str) -> None:
    message = error_for(write_config, BASE, destination=name)
    assert message.startswith("destination: ")


@pytest.mark.parametrize("version", ["../x", "a b", "a\nb", "-v", ".hidden", "v1:2", "x" * 129, "v/1"])
def test_versions_follow_the_docker_tag_grammar(write_config: Callable[..., str], version: str) -> None:
    assert error_for(write_config, BASE, version=version).startswith("--version: ")


def test_version_from_the_environment_is_checked(
    write_config: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERSION", "../../x")
    config = load_config(write_config(BASE))
    with pytest.raises(ConfigError, match=r"^VERSION: '../../x' is not a valid image tag"):
        _ = config.version


@pytest.mark.parametrize("version", ["v1", "1.2.3", "0123abc_uncommitted_0011223344556677", "_x", "V-1.0"])
def test_real_versions_load(write_config: Callable[..., str], version: str) -> None:
    assert load_config(write_config(BASE), version=version).version == version


@pytest.mark.parametrize("name", ["A\nB", "A B", "A=B", "", "1A", "-A", "A$(id)"])
def test_env_names(write_config: Callable[..., str], name: str) -> None:
    quoted = json.dumps(name)
    assert error_for(write_config, BASE + f"env:\n  {quoted}: x\n").startswith("env: ")
    assert error_for(write_config, BASE + f"env:\n  clear:\n    {quoted}: x\n").startswith("env/clear: ")
    assert error_for(write_config, BASE + f"env:\n  secret: [{quoted}]\n").startswith("env/secret/0: ")
    role = f"servers:\n  web:\n    hosts: [10.0.0.1]\n    env:\n      secret: [{quoted}]"
    assert error_for(write_config, BASE.replace("servers: [10.0.0.1]", role)).startswith(
        "servers/web/env/secret/0: "
    )
    acc = accessory(f"    env:\n      secret: [{quoted}]\n")
    assert error_for(write_config, acc).startswith("accessories/db/env/secret/0: ")


def test_env_name_forms_in_use_load(write_config: Callable[..., str]) -> None:
    text = (
        BASE
        + "env:\n  clear:\n    _A: 1\n    spring.profiles.active: prod\n  secret: [DB_URL, KEY:OTHER_KEY]\n"
    )
    load_config(write_config(text), version="v")


def test_secret_alias_names_are_checked(write_config: Callable[..., str]) -> None:
    message = error_for(write_config, BASE + 'env:\n  secret: ["A:B\\nC"]\n')
    assert message.startswith("env/secret/0: ")


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ('files: ["my.cnf:/etc/../../root/x"]', "accessories/db/files/0"),
        ("files:\n      - local: my.cnf\n        remote: /../x", "accessories/db/files/0/remote"),
        ('directories: ["../data:/var/lib/mysql"]', "accessories/db/directories/0"),
        (
            "directories:\n      - local: data/../../x\n        remote: /d",
            "accessories/db/directories/0/local",
        ),
    ],
)
def test_accessory_paths_stay_in_their_folder(write_config: Callable[..., str], entry: str, key: str) -> None:
    assert error_for(write_config, accessory(f"    {entry}\n")).startswith(f"{key}: ")


def test_accessory_paths_in_use_load(write_config: Callable[..., str]) -> None:
    files = '    files: ["conf/my.cnf:/etc/mysql/my.cnf"]\n'
    text = accessory(files + '    directories: ["data:/var/lib/mysql", "/srv/x:/x"]\n')
    load_config(write_config(text), version="v")


# --- values refused late before ---------------------------------------------------------------


@pytest.mark.parametrize("image", ["a b", "App/Name", "a/app:1:2", "-a/app", "a//app", "a/app$(id)", ""])
def test_image(write_config: Callable[..., str], image: str) -> None:
    text = BASE.replace("image: a/app", f"image: {json.dumps(image)}")
    message = error_for(write_config, text)
    assert message.startswith("image: ") or message == "Missing required configuration for image"


@pytest.mark.parametrize("server", ["https://ghcr.io", "a b", "ghcr.io;id", "-x", "host:port"])
def test_registry_server(write_config: Callable[..., str], server: str) -> None:
    text = BASE.replace("registry: {", f"registry: {{server: {json.dumps(server)}, ")
    assert error_for(write_config, text).startswith("registry/server: ")


@pytest.mark.parametrize(
    "server",
    ["ghcr.io", "localhost:5555", "registry.digitalocean.com/team", "192.168.1.248:5000", "[::1]:5000"],
)
def test_registry_server_forms_in_use_load(write_config: Callable[..., str], server: str) -> None:
    text = BASE.replace("registry: {", f"registry: {{server: {json.dumps(server)}, ")
    load_config(write_config(text), version="v")


@pytest.mark.parametrize(
    "image", ["mysql:8.0", "library/postgres:16-alpine", "ghcr.io/a/b@sha256:" + "a" * 64]
)
def test_accessory_image_forms_load(write_config: Callable[..., str], image: str) -> None:
    load_config(write_config(accessory("").replace("mysql:8.0", image)), version="v")


def test_accessory_image_is_checked(write_config: Callable[..., str]) -> None:
    message = error_for(write_config, accessory("").replace("mysql:8.0", "mysql 8"))
    assert message.startswith("accessories/db/image: ")


@pytest.mark.parametrize("remote", ["ssh://h:abc", "ssh://h:0", "ssh://a b", "ssh://h;id", "ssh://-oProxy=x"])
def test_builder_remote(write_config: Callable[..., str], remote: str) -> None:
    text = BASE.replace("builder: {arch: amd64}", f"builder: {{arch: amd64, remote: {json.dumps(remote)}}}")
    assert error_for(write_config, text).startswith("builder/remote: ")


@pytest.mark.parametrize("remote", ["ssh://root@10.0.0.1", "ssh://calum@homelab:2222", "tcp://10.0.0.1:2376"])
def test_builder_remote_forms_in_use_load(write_config: Callable[..., str], remote: str) -> None:
    text = BASE.replace("builder: {arch: amd64}", f"builder: {{arch: amd64, remote: {json.dumps(remote)}}}")
    load_config(write_config(text), version="v")


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('labels:\n  a: "x\\0y"\n', "labels/a"),
        ('env:\n  clear:\n    A: "x\\0y"\n', "env/clear/A"),
        ('volumes: ["/a\\0:/b"]\n', "volumes/1"),
        ('x-anything: {"k\\0": 1}\n', "x-anything"),
    ],
)
def test_nul_bytes_are_refused_at_load(write_config: Callable[..., str], extra: str, key: str) -> None:
    text = BASE + extra.replace("volumes: [", 'volumes: ["/ok:/ok", ')
    message = error_for(write_config, text)
    assert message.startswith(f"{key}: ")
    assert "NUL" in message
