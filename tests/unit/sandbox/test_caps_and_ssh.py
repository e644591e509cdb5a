from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pykamal.sandbox.caps import missing_capabilities, privilege_flags
from pykamal.sandbox.paths import StatePaths
from pykamal.sandbox.sshsetup import ensure_key, known_hosts_text, ssh_config_text


def test_missing_capabilities_come_from_the_bounding_set(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapBnd:\t000001fffeffffff\n")
    assert missing_capabilities(status) == ["SYS_RESOURCE"]
    status.write_text("CapBnd:\t000001ffffffffff\n")
    assert missing_capabilities(status) == []


def test_privileged_only_when_nothing_is_missing() -> None:
    assert privilege_flags([]) == ["--privileged"]
    flags = privilege_flags(["SYS_RESOURCE"])
    assert "--privileged" not in flags
    assert flags[:4] == ["--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE"]
    assert "systempaths=unconfined" in flags and "seccomp=unconfined" in flags


def test_ssh_config_pins_key_and_known_hosts(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path / "my state")
    text = ssh_config_text("demo", ["127.0.0.11", "127.0.0.12"], paths)
    assert "Host 127.0.0.11 127.0.0.12\n" in text
    assert f'IdentityFile "{paths.client_key}"' in text
    assert f'UserKnownHostsFile "{paths.known_hosts}"' in text
    assert "StrictHostKeyChecking yes" in text and "IdentitiesOnly yes" in text and "User root" in text


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_keys_are_made_once_and_listed_in_known_hosts(tmp_path: Path) -> None:
    key = ensure_key(tmp_path / "keys" / "host", "root@host-1")
    first = key.read_bytes()
    assert ensure_key(key, "root@host-1").read_bytes() == first
    assert key.stat().st_mode & 0o777 == 0o600
    line = known_hosts_text([("127.0.0.11", key)])
    address, kind, blob = line.split()
    assert (address, kind) == ("127.0.0.11", "ssh-ed25519")
    assert blob in key.with_suffix(".pub").read_text()
