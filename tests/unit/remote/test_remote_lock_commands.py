"""The lock/audit/bootstrap builders produce Kamal's exact on-host format."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime

from remote_helpers import make_config

from pykamal.commands import auditor, docker, lock, server

AT = datetime(2024, 5, 1, 12, 30, 5, tzinfo=UTC)


def test_lock_directory_includes_destination() -> None:
    assert lock.lock_dir(make_config()) == ".kamal/lock-app"
    assert lock.lock_dir(make_config(destination="staging")) == ".kamal/lock-app-staging"


def test_acquire_writes_ruby_style_base64_details() -> None:
    message = "Deploying the new checkout flow, please wait for it to finish"
    command = lock.acquire(make_config(), message, "abc1234", "Jane Doe", AT)
    text = "Locked by: Jane Doe at 2024-05-01T12:30:05Z\nVersion: abc1234\nMessage: " + message
    encoded = base64.b64encode(text.encode()).decode()
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
    assert command.shell() == f'mkdir .kamal/lock-app && echo "{wrapped}" > .kamal/lock-app/details'
    assert all(len(line) <= 60 for line in wrapped.splitlines())


def test_status_and_release() -> None:
    config = make_config(destination="prod")
    assert lock.status(config).shell() == (
        "stat .kamal/lock-app-prod > /dev/null && cat .kamal/lock-app-prod/details | base64 -d"
    )
    assert lock.release(config).shell() == "rm .kamal/lock-app-prod/details && rm -r .kamal/lock-app-prod"


def test_acquire_round_trips_through_a_real_shell(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = make_config()
    subprocess.run(["mkdir", ".kamal"], cwd=tmp_path, check=True)
    subprocess.run(
        ["sh", "-c", lock.acquire(config, "it's $HOME", "v1", "J", AT).shell()], cwd=tmp_path, check=True
    )
    out = subprocess.run(
        ["sh", "-c", lock.status(config).shell()], cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    details = lock.parse_details(out)
    assert details.locked_by == "J"
    assert details.locked_at == AT
    assert details.version == "v1"
    assert details.message == "it's $HOME"
    again = subprocess.run(
        ["sh", "-c", lock.acquire(config, "x", "v1", "J", AT).shell()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert again.returncode != 0 and "cannot create directory" in again.stderr


def test_parse_details_tolerates_missing_or_odd_lines() -> None:
    details = lock.parse_details("Locked by:  at 2024-05-01T12:30:05Z\nMessage: m\n")
    assert details.locked_by == "" and details.locked_at == AT and details.version is None
    garbage = lock.parse_details("something else")
    assert garbage.locked_at is None and garbage.age(AT) is None


def test_audit_line_format() -> None:
    config = make_config(destination="staging")
    line = auditor.audit_line(
        config, "Pruned images", performer="jane@example.com", at=AT, details={"role": "web"}
    )
    assert line == "[2024-05-01T12:30:05Z] [jane@example.com] [staging] [web] Pruned images"
    assert auditor.audit_line(make_config(), "x", performer="p", at=AT) == "[2024-05-01T12:30:05Z] [p] x"


def test_audit_record_and_reveal() -> None:
    config = make_config()
    command = auditor.record(config, "Executed cmd 'echo $HOME' on h1", performer="p", at=AT)
    assert command.shell() == (
        "mkdir -p .kamal && echo \"[2024-05-01T12:30:05Z] [p] Executed cmd 'echo \\$HOME' on h1\""
        " >> .kamal/app-audit.log"
    )
    assert auditor.reveal(config).shell() == "tail -n 50 .kamal/app-audit.log"


def test_audit_record_writes_the_line_verbatim(tmp_path) -> None:  # type: ignore[no-untyped-def]
    command = auditor.record(make_config(), 'quote " backtick ` dollar $X', performer="p", at=AT)
    subprocess.run(["sh", "-c", command.shell()], cwd=tmp_path, check=True)
    assert (
        tmp_path / ".kamal/app-audit.log"
    ).read_text() == '[2024-05-01T12:30:05Z] [p] quote " backtick ` dollar $X\n'


def test_bootstrap_commands_match_kamal() -> None:
    assert docker.installed().shell() == "docker -v"
    assert docker.superuser().shell() == '[ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null'
    assert docker.install().shell() == (
        "sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com"
        ' || echo "exit 1"\' | sh'
    )
    assert docker.add_to_docker_group().shell() == 'sudo -n usermod -aG docker "${USER:-$(id -un)}"'
    assert server.ensure_run_directory().shell() == "mkdir -p .kamal"
