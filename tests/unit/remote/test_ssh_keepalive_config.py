"""OpenSSH keepalive options from the ssh config, and short commands in connection errors."""

from __future__ import annotations

from pathlib import Path

from pykamal.remote.ssh import _brief, read_host_config


def test_keepalive_options_are_read_from_the_ssh_config(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host 127.0.0.5\n    ServerAliveInterval 2\n    ServerAliveCountMax 4\n")
    found = read_host_config((str(config),), "127.0.0.5", "root", 22)
    assert found["ServerAliveInterval"] == 2
    assert found["ServerAliveCountMax"] == 4
    assert "ServerAliveInterval" not in read_host_config((str(config),), "127.0.0.6", "root", 22)


def test_long_commands_are_shortened_in_connection_errors() -> None:
    assert _brief("docker ps") == "docker ps"
    long = "mkdir -p .kamal && " + "echo x && " * 40 + "true"
    assert _brief(long) == long[:80].rstrip() + " …"
    assert _brief("echo one\necho two") == "echo one …"
