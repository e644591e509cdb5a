"""Validation rules and messages (the invalid corpus covers one case of each Kamal message)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from project_files import BASE

from pykamal.config import load_config
from pykamal.errors import ConfigError


def error_for(write_config: Callable[..., str], text: str) -> str:
    path = write_config(text)
    with pytest.raises(ConfigError) as error:
        load_config(path, version="v")
    message = str(error.value)
    assert "\n" not in message
    return message


def accepts(write_config: Callable[..., str], text: str) -> None:
    load_config(write_config(text), version="v")


def with_servers(servers: str) -> str:
    return BASE.replace("servers: [10.0.0.1]", servers)


def test_scalars_pass_where_text_is_expected(write_config: Callable[..., str]) -> None:
    accepts(write_config, BASE + "ssh:\n  user: 1234\nlabels:\n  a: true\n  b: 1.5\nminimum_version: 2.0\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("retain_containers: true\n", "retain_containers: should be an integer"),
        ("deploy_timeout: 1.5\n", "deploy_timeout: should be an integer"),
        ("drain_timeout: '30'\n", "drain_timeout: should be an integer"),
        ("require_destination: 1\n", "require_destination: should be a boolean"),
        ("labels: [a]\n", "labels: should be a hash"),
        ("labels:\n  a: [b]\n", "labels/a: should be a string"),
        ("service_name: x\n", "unknown key: service_name"),
        ("env: [A]\n", "env: should be a hash"),
        ("env:\n  A: [1]\n", "env/A: should be a string"),
        ("env:\n  clear: {A: 1}\n  OTHER: 2\n", "env: unknown key: OTHER"),
        ("env:\n  secret: A\n", "env/secret: should be an array"),
        ("env:\n  tags:\n    t: [a]\n", "env/tags/t: should be a hash"),
        ("env:\n  tags:\n    t:\n      tags: {}\n", "env/tags/t: tags are only allowed in the root env"),
        ("ssh:\n  x-custom: 1\n", "ssh: unknown key: x-custom"),
        ("ssh:\n  keys: ~/.ssh/id\n", "ssh/keys: should be an array"),
        ("ssh:\n  port: 70000\n", "ssh/port: should be a port number (1-65535), not '70000'"),
        ("ssh:\n  port: 22.5\n", "ssh/port: should be a port number (1-65535), not '22.5'"),
        ("sshkit:\n  dns_retries: many\n", "sshkit/dns_retries: should be an integer"),
        (
            "boot:\n  limit: 0\n",
            "boot/limit: should be a number of hosts or a percentage such as \"25%\", not '0'",
        ),
        (
            "boot:\n  limit: '5'\n",
            "boot/limit: should be a number of hosts or a percentage such as \"25%\", not '5'",
        ),
        ("boot:\n  wait: soon\n", "boot/wait: should be an integer"),
        ("logging:\n  options: [a]\n", "logging/options: should be a hash"),
        ("proxy: true\n", "proxy: should be a hash"),
        ("proxy:\n  app_port: http\n", "proxy/app_port: should be an integer"),
        ("proxy:\n  ssl: yes please\n", "proxy/ssl: should be a boolean or a hash"),
        ("proxy:\n  healthcheck:\n    path: [a]\n", "proxy/healthcheck/path: should be a string"),
        ("proxy:\n  healthcheck:\n    retries: 3\n", "proxy/healthcheck: unknown key: retries"),
        ("proxy:\n  run:\n    bind_ips: 0.0.0.0\n", "proxy/run/bind_ips: should be an array"),
        ("proxy:\n  hosts: a.com,b.com\n", "proxy/hosts: should be an array"),
        ("hooks_output: [a]\n", "hooks_output: should be a string or a symbol"),
        ("hooks_output: loud\n", "Invalid hooks_output 'loud', must be one of: quiet, verbose"),
        ("minimum_version: abc\n", "Malformed version number string abc"),
        ("aliases:\n  a: [b]\n", "aliases/a: should be a string"),
        ("accessories: [db]\n", "accessories: should be a hash"),
        (
            "accessories:\n  db:\n    image: x\n    host: h\n    proxy: true\n",
            "accessories/db/proxy: should be a hash",
        ),
        (
            "accessories:\n  db:\n    image: x\n    roles: [web, a, b]\n",
            "accessories/db: unknown roles a, b",
        ),
        (
            "accessories:\n  db:\n    image: x\n    host: h\n    files:\n"
            "      - {local: a, remote: b, mode: [1]}\n",
            "accessories/db/files/0/mode: should be a string",
        ),
        (
            "accessories:\n  db:\n    image: x\n    host: h\n    files: a:b\n",
            "accessories/db/files: should be an array",
        ),
        (
            "accessories:\n  db:\n    image: x\n    host: h\n    env:\n      tags: {}\n",
            "accessories/db/env: tags are only allowed in the root env",
        ),
        (
            "accessories:\n  db:\n    image: x\n    host: h\n    options:\n      restart: no\n",
            'accessories/db/options/restart: should be a string. Use "no" to disable restarts',
        ),
        (
            "accessories:\n  db:\n    image: x\n    host: h\n    registry:\n      server: r\n",
            "accessories/db/registry/username: is required",
        ),
        ("builder:\n  arch: amd64\n  sbom: maybe\n", "builder/sbom: should be a boolean"),
    ],
)
def test_messages(write_config: Callable[..., str], extra: str, message: str) -> None:
    text = BASE + extra
    if extra.startswith("builder:"):
        text = BASE.replace("builder: {arch: amd64}\n", "") + extra
    assert error_for(write_config, text) == message


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ("servers: [[a]]", "servers/0: should be a string or a hash"),
        ("servers:\n  - h: {a: b}", "servers/0/h: should be a string or an array"),
        ("servers:\n  - h: [a, [b]]", "servers/0/h/1: should be a string"),
        ("servers:\n  web:", "servers/web: should be an array or a hash"),
        ("servers:\n  web:\n    hosts: h1", "servers/web/hosts: should be an array"),
        ("servers:\n  web:\n    hosts: [h1]\n    cmd: [a]", "servers/web/cmd: should be a string"),
        ("servers:\n  web:\n    hosts: [h1]\n    proxy: [a]", "servers/web/proxy: should be a hash"),
        ("servers:\n  web:\n    hosts: [h1]\n    extra: 1", "servers/web: unknown key: extra"),
        (
            "servers:\n  web:\n    hosts: [h1]\n    env:\n      A: [1]",
            "servers/web/env/A: should be a string",
        ),
        (
            "servers:\n  web:\n    hosts: [h1]\n    logging:\n      level: 1",
            "servers/web/logging: unknown key: level",
        ),
        ("servers:\n  web: [h1]\n  b:\n    hosts: [h2]\n    bogus: 1", "servers/b: unknown key: bogus"),
    ],
)
def test_server_messages(write_config: Callable[..., str], servers: str, message: str) -> None:
    assert error_for(write_config, with_servers(servers)) == message


def test_root_problems_come_before_section_problems(write_config: Callable[..., str]) -> None:
    text = with_servers("servers:\n  web:\n    hosts: [h1]\n    bogus: 1") + "other: 1\n"
    assert error_for(write_config, text) == "unknown key: other"


def test_roles_are_checked_alphabetically(write_config: Callable[..., str]) -> None:
    text = with_servers("servers:\n  web:\n    hosts: [h1]\n    zz: 1\n  api:\n    hosts: [h2]\n    aa: 1")
    assert error_for(write_config, text) == "servers/api: unknown key: aa"


def test_role_proxy_is_checked_merged_with_the_root_proxy(write_config: Callable[..., str]) -> None:
    text = (
        with_servers("servers:\n  web:\n    hosts: [h1]\n    proxy:\n      hosts: [b.com]")
        + "proxy:\n  host: a.com\n"
    )
    assert error_for(write_config, text) == "proxy: Specify one of 'host' or 'hosts', not both"


def test_non_primary_role_proxy_false_is_not_checked(write_config: Callable[..., str]) -> None:
    accepts(write_config, with_servers("servers:\n  web: [h1]\n  jobs:\n    hosts: [h2]\n    proxy: false"))


def test_local_registry_needs_no_credentials_and_defaults_the_image(write_config: Callable[..., str]) -> None:
    text = BASE.replace("registry: {username: u, password: p}", "registry: {server: 'localhost:5000'}")
    config = load_config(write_config(text.replace("image: a/app\n", "")), version="v")
    assert config.image == "app"
    assert config.repository == "localhost:5000/app"
    assert config.registry.local_port == 5000


def test_custom_certificates_allow_several_hosts(write_config: Callable[..., str]) -> None:
    accepts(
        write_config,
        with_servers("servers: [h1, h2]")
        + "proxy:\n  host: a.com\n  ssl:\n    certificate_pem: C\n    private_key_pem: K\n",
    )


def test_identical_proxy_run_settings_may_share_a_host(write_config: Callable[..., str]) -> None:
    servers = "servers:\n  web: [h1]\n  api:\n    hosts: [h1]\n    proxy: true"
    accepts(write_config, with_servers(servers) + "proxy:\n  run:\n    http_port: 8080\n")
    servers_differ = (
        "servers:\n  web: [h1]\n  api:\n    hosts: [h1]\n    proxy:\n      run:\n        http_port: 9090"
    )
    assert (
        error_for(write_config, with_servers(servers_differ) + "proxy:\n  run:\n    http_port: 8080\n")
        == "Conflicting proxy run configurations for host h1"
    )


def test_ssh_port_as_numeric_string(write_config: Callable[..., str]) -> None:
    config = load_config(write_config(BASE + "ssh:\n  port: '2222'\n"), version="v")
    assert config.ssh.port == 2222


def test_minimum_version_comparison(write_config: Callable[..., str]) -> None:
    accepts(write_config, BASE + "minimum_version: 2.11.0\n")
    accepts(write_config, BASE + "minimum_version: 2.11.0.rc1\n")
    accepts(write_config, BASE + "minimum_version: '2.11'\n")
    # the Kamal 2.12 additions are supported, so a project that pins 2.12 loads
    accepts(write_config, BASE + "minimum_version: 2.12.0\n")
    accepts(write_config, BASE + "minimum_version: '2.12.0.beta'\n")
    assert error_for(write_config, BASE + "minimum_version: 2.12.1\n") == (
        "Current version is 2.12.0, minimum required is 2.12.1"
    )
    assert error_for(write_config, BASE + "minimum_version: '2.13.0.beta'\n").startswith("Current version")


HOSTILE_HOSTS = [
    "web1$(touch X)",
    "web1`id`",
    "a&b",
    "a;b",
    "a|b",
    "a b",
    "web1\n* ",
    "-oProxyCommand=x",
    "a\x00",
    "h:abc",
    "[fe80::1",
    "[::1]:0",
]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
@pytest.mark.parametrize(
    ("place", "key"),
    [
        ("servers: [{host}]", "servers/0"),
        ("servers:\n  web: [{host}]", "servers/web/0"),
        ("servers:\n  web:\n    hosts: [{host}]", "servers/web/hosts/0"),
        ("servers:\n  web:\n    - {host}: [tag]", "servers/web/0"),
    ],
)
def test_host_names_are_checked_at_load(
    write_config: Callable[..., str], host: str, place: str, key: str
) -> None:
    import json

    message = error_for(write_config, with_servers(place.format(host=json.dumps(host))))
    assert message.startswith(f"{key}: ")
    assert "host name" in message or "invalid port" in message or "NUL byte" in message


@pytest.mark.parametrize("host", HOSTILE_HOSTS[:4])
def test_accessory_hosts_are_checked_at_load(write_config: Callable[..., str], host: str) -> None:
    import json

    for form, key in (("host: {h}", "accessories/db/host"), ("hosts: [{h}]", "accessories/db/hosts/0")):
        text = BASE + "accessories:\n  db:\n    image: mysql\n    " + form.format(h=json.dumps(host)) + "\n"
        assert error_for(write_config, text).startswith(f"{key}: ")


@pytest.mark.parametrize(
    "host",
    [
        "web-1.example.com",
        "bandcash_staging",
        "10.0.0.1",
        "10.0.0.1:2222",
        "[fe80::1]",
        "[::1]:2222",
        "fe80::1",
        "host.",
    ],
)
def test_real_host_forms_load(write_config: Callable[..., str], host: str) -> None:
    accepts(write_config, with_servers(f'servers: ["{host}"]'))


@pytest.mark.parametrize(
    ("field", "value"), [("user", "root$(id)"), ("user", "a b"), ("proxy", "ops@bastion;id")]
)
def test_ssh_user_and_proxy_are_checked_at_load(
    write_config: Callable[..., str], field: str, value: str
) -> None:
    assert error_for(write_config, BASE + f'ssh:\n  {field}: "{value}"\n').startswith(f"ssh/{field}: ")


def test_ssh_proxy_forms_load(write_config: Callable[..., str]) -> None:
    for proxy in ("bastion", "ops@bastion", "ops@10.0.0.1:2222", "ops@[::1]:2222"):
        accepts(write_config, BASE + f'ssh:\n  proxy: "{proxy}"\n')
