"""The keys Kamal 2.12 added: loaded, validated with errors naming the key, shown and used."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from project_files import BASE

from pykamal.commands import app as app_commands
from pykamal.config import load_config
from pykamal.config.summary import summary
from pykamal.errors import ConfigError
from pykamal.remote.ssh_settings import SshSettings

ROLES = """servers:
  web:
    hosts: [10.0.0.1]
  jobs:
    hosts: [10.0.0.2]
    cmd: bin/jobs
    stop_timeout: 120
  cron:
    hosts: [10.0.0.3]
    cmd: bin/cron
"""


def load(write_config: Callable[..., str], text: str):  # type: ignore[no-untyped-def]
    return load_config(write_config(text), version="v1")


def error_for(write_config: Callable[..., str], text: str) -> str:
    with pytest.raises(ConfigError) as error:
        load(write_config, text)
    assert "\n" not in str(error.value)
    return str(error.value)


def stop_line(config, role_name: str) -> str:  # type: ignore[no-untyped-def]
    return app_commands.stop_by_name(config, config.role(role_name), "old").display()


def with_roles(extra: str = "") -> str:
    return BASE.replace("servers: [10.0.0.1]\n", ROLES) + extra


# --- stop_timeout -----------------------------------------------------------------------------


def test_without_stop_timeout_the_proxy_role_uses_dockers_default(write_config: Callable[..., str]) -> None:
    config = load(write_config, with_roles())
    assert stop_line(config, "web") == "docker stop app-web-old >/dev/null"
    assert stop_line(config, "cron") == "docker stop -t 30 app-cron-old >/dev/null"  # drain_timeout


def test_global_stop_timeout_applies_to_every_role_without_its_own(write_config: Callable[..., str]) -> None:
    config = load(write_config, with_roles("stop_timeout: 45\n"))
    assert config.stop_timeout == 45
    assert stop_line(config, "web") == "docker stop -t 45 app-web-old >/dev/null"
    assert stop_line(config, "cron") == "docker stop -t 45 app-cron-old >/dev/null"
    assert stop_line(config, "jobs") == "docker stop -t 120 app-jobs-old >/dev/null"


def test_role_stop_timeout_overrides_drain_timeout(write_config: Callable[..., str]) -> None:
    config = load(write_config, with_roles("drain_timeout: 5\n"))
    assert stop_line(config, "jobs") == "docker stop -t 120 app-jobs-old >/dev/null"
    assert stop_line(config, "cron") == "docker stop -t 5 app-cron-old >/dev/null"


def test_stop_of_the_running_container_uses_the_stop_timeout(write_config: Callable[..., str]) -> None:
    config = load(write_config, with_roles())
    line = app_commands.stop(config, config.role("jobs")).display()
    assert line.endswith("| xargs docker stop -t 120")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("stop_timeout: '30'\n", "stop_timeout: should be an integer"),
        ("stop_timeout: 1.5\n", "stop_timeout: should be an integer"),
    ],
)
def test_stop_timeout_must_be_an_integer(write_config: Callable[..., str], extra: str, message: str) -> None:
    assert error_for(write_config, BASE + extra) == message


def test_role_stop_timeout_must_be_an_integer(write_config: Callable[..., str]) -> None:
    text = with_roles().replace("stop_timeout: 120", "stop_timeout: soon")
    assert error_for(write_config, text) == "servers/jobs/stop_timeout: should be an integer"


# --- ssh/forward_agent ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_forward_agent_reaches_the_ssh_settings_and_config_output(
    write_config: Callable[..., str], value: bool
) -> None:
    config = load(write_config, BASE + f"ssh:\n  forward_agent: {str(value).lower()}\n")
    assert config.ssh.forward_agent is value
    assert SshSettings.from_config(config).forward_agent is value
    options = summary(config)["ssh_options"]
    assert options["forward_agent"] is value
    assert list(options)[-2:] == ["forward_agent", "log_level"]  # where Kamal 2.12 prints it


def test_forward_agent_unset_leaves_the_ssh_config_in_charge(write_config: Callable[..., str]) -> None:
    config = load(write_config, BASE)
    assert SshSettings.from_config(config).forward_agent is None
    assert "forward_agent" not in summary(config)["ssh_options"]


def test_forward_agent_must_be_a_boolean(write_config: Callable[..., str]) -> None:
    message = error_for(write_config, BASE + "ssh:\n  forward_agent: sometimes\n")
    assert message == "ssh/forward_agent: should be a boolean"


# --- output ------------------------------------------------------------------------------------------


def test_output_file_and_otel_load(write_config: Callable[..., str]) -> None:
    text = BASE + "output:\n  file:\n    path: log/deploys\n  otel:\n    endpoint: http://collector:4318\n"
    config = load(write_config, text)
    assert config.output.file_path == "log/deploys"
    assert config.output.otel_endpoint == "http://collector:4318"
    assert config.output.enabled


def test_no_output_section_turns_nothing_on(write_config: Callable[..., str]) -> None:
    assert not load(write_config, BASE).output.enabled
    assert not load(write_config, BASE + "output: {}\n").output.enabled


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("output: [file]\n", "output: should be a hash"),
        ("output:\n  syslog: {}\n", "output: unknown key: syslog"),
        ("output:\n  file:\n", "output/file: should be a hash"),
        ("output:\n  file: {}\n", "output/file/path: is required"),
        ("output:\n  file:\n    dir: x\n", "output/file: unknown key: dir"),
        ("output:\n  file:\n    path: [a]\n", "output/file/path: should be a string"),
        ("output:\n  otel: {}\n", "output/otel/endpoint: is required"),
        ("output:\n  otel:\n    endpoint: ''\n", "output/otel/endpoint: is required"),
    ],
)
def test_output_errors_name_the_key(write_config: Callable[..., str], extra: str, message: str) -> None:
    assert error_for(write_config, BASE + extra) == message


# --- options/restart ---------------------------------------------------------------------------------


def test_restart_policy_from_options(write_config: Callable[..., str]) -> None:
    text = with_roles().replace(
        "    cmd: bin/cron\n",
        "    cmd: bin/cron\n    options:\n      restart: on-failure:3\n      memory: 1g\n",
    )
    text += "accessories:\n  db:\n    image: mysql\n    host: 10.0.0.4\n    options:\n      restart: 'no'\n"
    config = load(write_config, text)
    cron = app_commands.run(config, config.role("cron"), "10.0.0.3").display()
    assert (
        "--restart on-failure:3 " in cron
        and '--memory "1g"' in cron
        and "--restart unless-stopped" not in cron
    )
    web = app_commands.run(config, config.role("web"), "10.0.0.1").display()
    assert "--restart unless-stopped " in web
    from pykamal.commands import accessory as accessory_commands

    db = accessory_commands.run(config, config.accessory("db")).display()
    assert "--restart no " in db and db.count("--restart") == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no", 'servers/web/options/restart: should be a string. Use "no" to disable restarts'),
        (
            "sometimes",
            "servers/web/options/restart: should be no, always, unless-stopped, on-failure, or on-failure:N",
        ),
        (
            "on-failure:x",
            "servers/web/options/restart: should be no, always, unless-stopped, on-failure, or on-failure:N",
        ),
    ],
)
def test_restart_policy_is_checked(write_config: Callable[..., str], value: str, message: str) -> None:
    text = BASE.replace(
        "servers: [10.0.0.1]\n",
        f"servers:\n  web:\n    hosts: [10.0.0.1]\n    options:\n      restart: {value}\n",
    )
    assert error_for(write_config, text) == message
