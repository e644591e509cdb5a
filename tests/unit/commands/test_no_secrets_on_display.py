"""Secret values never show in a logged command line, and never travel on the command line where
pykamal has a better channel (registry password on stdin, env files for app and accessory secrets,
build secrets in the environment)."""

from __future__ import annotations

import pytest
from cmd_fixtures import config_for

from pykamal.commands import accessory, app, builder, env_file, hook, registry
from pykamal.commands.base import Command, Sensitive
from pykamal.config.model import Config

CANARY = {
    "REGISTRY_PASSWORD": "canary-registry-pw-1",
    "REGISTRY_USER": "canary-registry-user-2",
    "RAILS_MASTER_KEY": "canary-master-key-3",
    "DB_PASSWORD": "canary-db-pw-4",
    "GITHUB_TOKEN": "canary-gh-token-5",
    "MYSQL_ROOT_PASSWORD": "canary-mysql-6",
}

RAW = {
    "service": "app",
    "image": "dhh/app",
    "registry": {"server": "ghcr.io", "username": ["REGISTRY_USER"], "password": ["REGISTRY_PASSWORD"]},
    "servers": {"web": ["1.1.1.1"], "workers": {"hosts": ["1.1.1.2"], "cmd": "bin/jobs"}},
    "env": {"clear": {"PUBLIC": "yes"}, "secret": ["RAILS_MASTER_KEY", "DATABASE_PASSWORD:DB_PASSWORD"]},
    "builder": {"arch": "amd64", "secrets": ["GITHUB_TOKEN"], "args": {"BUILD_ARG": "canary-build-arg-7"}},
    "accessories": {
        "mysql": {"image": "mysql:8", "host": "1.1.1.5", "env": {"secret": ["MYSQL_ROOT_PASSWORD"]}},
    },
}

SECRET_VALUES = [*CANARY.values(), "canary-build-arg-7"]


def _config() -> Config:
    return config_for({"replace_config": True, "config": RAW, "secrets": CANARY})


def _all_commands() -> list[Command]:
    config = _config()
    web, workers = config.role("web"), config.role("workers")
    mysql = config.accessory("mysql")
    commands = [
        registry.login_for(config),
        app.run(config, web, "1.1.1.1", hostname="h"),
        app.run(config, workers, "1.1.1.2"),
        app.execute_in_new_container(config, web, "1.1.1.1", "env", random_hex="abcdef"),
        accessory.run(config, mysql, "1.1.1.5"),
        accessory.execute_in_new_container(config, mysql, "env"),
        builder.push(config, CANARY),
        builder.build_without_buildx(config, CANARY),
        hook.run(config, "pre-connect", env={"KAMAL_SERVICE": "app"}, secrets=CANARY),
    ]
    return [c for c in commands if c is not None]


@pytest.mark.parametrize("command", _all_commands(), ids=lambda c: c.display()[:40])
def test_no_secret_value_in_display(command: Command) -> None:
    shown = command.display()
    for value in SECRET_VALUES:
        assert value not in shown


def test_registry_password_travels_on_stdin_only() -> None:
    config = _config()
    login = registry.login_for(config)
    assert login is not None
    assert CANARY["REGISTRY_PASSWORD"] not in login.shell()
    assert CANARY["REGISTRY_PASSWORD"] not in " ".join(login.argv())
    assert isinstance(login.stdin, Sensitive) and login.stdin.value == CANARY["REGISTRY_PASSWORD"]


def test_app_and_accessory_secrets_never_reach_the_command_line() -> None:
    config = _config()
    lines = [
        app.run(config, config.role("web"), "1.1.1.1").shell(),
        accessory.run(config, config.accessory("mysql"), "1.1.1.5").shell(),
    ]
    for line in lines:
        for name in ("RAILS_MASTER_KEY", "DB_PASSWORD", "MYSQL_ROOT_PASSWORD"):
            assert CANARY[name] not in line
    path, content = env_file.role_env_file(config, config.role("web"), "1.1.1.1", CANARY)
    assert path == ".kamal/apps/app/env/roles/web.env"
    assert (
        content
        == f"RAILS_MASTER_KEY={CANARY['RAILS_MASTER_KEY']}\nDATABASE_PASSWORD={CANARY['DB_PASSWORD']}\n"
    )
    assert env_file.FILE_MODE == "0600"


def test_build_secrets_go_through_the_environment() -> None:
    config = _config()
    push = builder.push(config, CANARY)
    assert CANARY["GITHUB_TOKEN"] not in push.shell()
    assert '--secret id="GITHUB_TOKEN"' in push.display()
    env = dict(push.env)
    assert isinstance(env["GITHUB_TOKEN"], Sensitive) and env["GITHUB_TOKEN"].value == CANARY["GITHUB_TOKEN"]
    assert set(push.sensitive_values()) >= {CANARY["GITHUB_TOKEN"], "BUILD_ARG=canary-build-arg-7"}
