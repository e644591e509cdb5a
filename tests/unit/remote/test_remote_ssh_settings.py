from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from remote_helpers import make_config

from pykamal.config.model import SshConfig, SshkitConfig
from pykamal.errors import ConfigError
from pykamal.remote.ssh_settings import JumpHost, SshSettings, resolve_config_files


def test_jump_host_parsing() -> None:
    assert JumpHost.parse("bastion") == JumpHost("root", "bastion", 22)
    assert JumpHost.parse("ops@bastion:2222") == JumpHost("ops", "bastion", 2222)
    assert JumpHost.parse("ops@[::1]:2200") == JumpHost("ops", "::1", 2200)
    assert str(JumpHost.parse("ops@b")) == "ops@b:22"
    with pytest.raises(ConfigError, match="ssh/proxy"):
        JumpHost.parse("ops@b:port")


def test_from_config_maps_every_setting(tmp_path: Path) -> None:
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text("Host *\n")
    config = replace(
        make_config(),
        ssh=SshConfig(
            user="deploy",
            port=2222,
            proxy="jump.example",
            log_level="debug",
            keys_only=True,
            keys=("~/.ssh/deploy",),
            key_data_secrets=("SSH_KEY",),
            config=(str(ssh_config),),
        ),
        sshkit=SshkitConfig(max_concurrent_starts=5, pool_idle_timeout=60, dns_retries=1),
    )
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n-----END OPENSSH PRIVATE KEY-----\n"
    settings = SshSettings.from_config(
        config,
        secret={"SSH_KEY": pem}.get,
        environ={"PYKAMAL_SSH_CONNECT_TIMEOUT": "7", "PYKAMAL_SSH_HOST_KEY_CHECKING": "strict"},
    )
    assert (settings.user, settings.port) == ("deploy", 2222)
    assert settings.proxy == JumpHost("root", "jump.example", 22)
    assert settings.keys == ("~/.ssh/deploy",) and settings.keys_only
    assert settings.key_data == (pem,)
    assert settings.config_files == (str(ssh_config),)
    assert (settings.max_concurrent_starts, settings.pool_idle_timeout, settings.dns_retries) == (5, 60.0, 1)
    assert settings.connect_timeout == 7.0
    assert settings.host_key_checking == "strict"
    assert settings.log_level == "debug"
    assert pem not in repr(settings)


def test_key_data_secret_must_exist() -> None:
    config = replace(make_config(), ssh=SshConfig(key_data_secrets=("MISSING",)))
    with pytest.raises(ConfigError, match="ssh/key_data: secret MISSING"):
        SshSettings.from_config(config, secret=lambda name: None, environ={})
    assert SshSettings.from_config(config, environ={}, with_key_data=False).key_data == ()


def test_bad_environment_values_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="PYKAMAL_SSH_HOST_KEY_CHECKING"):
        SshSettings.from_config(make_config(), environ={"PYKAMAL_SSH_HOST_KEY_CHECKING": "maybe"})
    with pytest.raises(ConfigError, match="PYKAMAL_SSH_CONNECT_TIMEOUT"):
        SshSettings.from_config(make_config(), environ={"PYKAMAL_SSH_CONNECT_TIMEOUT": "soon"})
    assert (
        SshSettings.from_config(
            make_config(), environ={"PYKAMAL_SSH_HOST_KEY_CHECKING": "no"}
        ).host_key_checking
        == "off"
    )


def test_config_files(tmp_path: Path) -> None:
    assert resolve_config_files(False) is None
    with pytest.raises(ConfigError, match="ssh/config: no such file"):
        resolve_config_files(str(tmp_path / "missing"))
    existing = tmp_path / "c"
    existing.write_text("")
    assert resolve_config_files([str(existing)]) == (str(existing),)


def test_proxy_command_tokens_are_expanded() -> None:
    settings = SshSettings(proxy_command="ssh -W %h:%p %r@bastion # 100%%")
    assert settings.proxy_command_for("10.0.0.5", 22, "root") == [
        "sh",
        "-c",
        "exec ssh -W 10.0.0.5:22 root@bastion # 100%",
    ]
    assert SshSettings().proxy_command_for("h", 22, "root") is None


def test_interactive_command_line() -> None:
    settings = SshSettings(
        user="app",
        port=2200,
        proxy=JumpHost("ops", "bastion", 22),
        keys=("k1",),
        keys_only=True,
        config_files=None,
    )
    assert settings.interactive_argv("10.0.0.1", "bin/rails console") == [
        "ssh",
        "-F",
        "/dev/null",
        "-J",
        "ops@bastion:22",
        "-i",
        "k1",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "ServerAliveInterval=30",
        "-t",
        "app@10.0.0.1",
        "-p",
        "2200",
        "bin/rails console",
    ]


def test_proxy_command_substitutions_are_quoted_for_the_shell(tmp_path: Path) -> None:
    settings = SshSettings(proxy_command="printf '%%s|' %h %p %r %n")
    hostile = "web1$(touch ran)`touch ran`&touch ran;'\"*"
    argv = settings.proxy_command_for(hostile, 22, "us er$(touch ran)")
    assert argv is not None
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout == f"{hostile}|22|us er$(touch ran)|{hostile}|"
    assert not (tmp_path / "ran").exists()
