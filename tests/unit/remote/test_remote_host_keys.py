from __future__ import annotations

from pathlib import Path

import asyncssh

from pykamal.remote.host_keys import HostKeyCheck, KnownHostsFiles, known_hosts_name


def key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def public_line(name: str, k: asyncssh.SSHKey) -> str:
    algorithm, blob = k.export_public_key("openssh").decode().split()[:2]
    return f"{name} {algorithm} {blob}\n"


def check(tmp_path: Path, policy: str = "accept-new", port: int = 22) -> HostKeyCheck:
    return HostKeyCheck(
        policy, (str(tmp_path / "known_hosts"),), (str(tmp_path / "global"),), KnownHostsFiles(), port
    )


def test_known_hosts_names() -> None:
    assert known_hosts_name("h", 22) == "h"
    assert known_hosts_name("h", 2222) == "[h]:2222"


def test_unknown_host_is_recorded_on_first_use(tmp_path: Path) -> None:
    server_key = key()
    (tmp_path / "known_hosts").write_text(
        "other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    )
    first = check(tmp_path)
    assert first.validate_unknown_key("10.0.0.9", "10.0.0.9", 22, server_key)
    assert first.recorded_in == str(tmp_path / "known_hosts")
    lines = (tmp_path / "known_hosts").read_text().splitlines()
    assert lines[-1] == public_line("10.0.0.9", server_key).strip()
    # the next connection trusts it through the normal lookup
    trusted, _ca, _revoked = check(tmp_path).trusted("10.0.0.9", "10.0.0.9", None)
    assert {k.get_fingerprint() for k in trusted} == {server_key.get_fingerprint()}


def test_changed_key_is_refused_with_a_clear_reason(tmp_path: Path) -> None:
    old, new = key(), key()
    (tmp_path / "known_hosts").write_text(public_line("[10.0.0.9]:2222", old))
    verdict = check(tmp_path, port=2222)
    assert not verdict.validate_unknown_key("10.0.0.9", "10.0.0.9", 2222, new)
    assert verdict.rejected is not None
    assert "host key for [10.0.0.9]:2222 has CHANGED" in verdict.rejected
    assert new.get_fingerprint() in verdict.rejected and old.get_fingerprint() in verdict.rejected
    assert "ssh-keygen -R [10.0.0.9]:2222" in verdict.rejected
    assert (tmp_path / "known_hosts").read_text() == public_line("[10.0.0.9]:2222", old)  # untouched


def test_global_known_hosts_count_too(tmp_path: Path) -> None:
    old, new = key(), key()
    (tmp_path / "global").write_text(public_line("h1", old))
    assert not check(tmp_path).validate_unknown_key("h1", "127.0.0.5", 22, new)


def test_strict_policy_refuses_unknown_hosts(tmp_path: Path) -> None:
    verdict = check(tmp_path, policy="strict")
    assert not verdict.validate_unknown_key("h2", "127.0.0.6", 22, key())
    assert verdict.rejected is not None and "is not in known_hosts" in verdict.rejected
    assert not (tmp_path / "known_hosts").exists()


def test_recording_creates_the_ssh_directory(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".ssh" / "known_hosts"
    verdict = HostKeyCheck("accept-new", (str(path),), (), KnownHostsFiles(), 22)
    assert verdict.validate_unknown_key("h3", "127.0.0.7", 22, key())
    assert path.exists() and (path.parent.stat().st_mode & 0o777) == 0o700


def test_a_host_name_that_would_add_lines_or_patterns_is_never_written(tmp_path: Path) -> None:
    for name in ("web1\n* ", "web1 *", "a,b", "*", "web\x00", "-oProxy"):
        verdict = check(tmp_path)
        assert not verdict.validate_unknown_key(name, name, 22, key())
        assert verdict.rejected is not None and "known_hosts" in verdict.rejected
    assert not (tmp_path / "known_hosts").exists()


def test_unparsable_lines_are_skipped_with_one_warning_naming_file_and_line(tmp_path: Path) -> None:
    server_key = key()
    (tmp_path / "known_hosts").write_text(
        "# comment\n" + "a-lone-word\n" + public_line("10.0.0.9", server_key) + "@bogus h ssh-ed25519 AAAA\n"
    )
    warnings: list[str] = []
    files = KnownHostsFiles(warn=warnings.append)
    for _ in range(3):  # every connection of a run shares the file: warned once
        verdict = HostKeyCheck("strict", (str(tmp_path / "known_hosts"),), (), files)
        trusted, _ca, _revoked = verdict.trusted("10.0.0.9", "10.0.0.9", None)
        assert {k.get_fingerprint() for k in trusted} == {server_key.get_fingerprint()}
    assert warnings == [
        f"{tmp_path / 'known_hosts'}:2: skipped a line that is not a known_hosts entry (and 1 more)"
    ]
