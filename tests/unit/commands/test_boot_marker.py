"""The boot marker protocol, run in a real local shell: an interrupted run can stop a boot on a host,
or keep one that has not started yet from ever starting."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pykamal.commands import boot_marker
from pykamal.commands.base import Command, cmd, combine

SHELLS = [name for name in ("sh", "bash", "dash") if shutil.which(name)]


def shell(sh: str, command: Command, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sh, "-c", command.shell()], cwd=cwd, capture_output=True, text=True, timeout=20)


def start_boot(sh: str, marker: str, cwd: Path, done: str) -> subprocess.Popen[str]:
    """A boot as sshd starts it (own session and process group): claim, a long step, then mark done."""
    steps = [boot_marker.claim(marker), cmd("sleep", "30"), cmd("touch", done), boot_marker.release(marker)]
    boot = combine(*steps)
    return subprocess.Popen([sh, "-c", boot.shell()], cwd=cwd, start_new_session=True, text=True)


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 10
    while not path.is_symlink():
        assert time.monotonic() < deadline, f"{path} never created"
        time.sleep(0.02)


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sh", SHELLS)
def test_stopping_a_running_boot_ends_its_whole_process_group(sh: str, tmp_path: Path) -> None:
    marker = boot_marker.path(".kamal/apps/app/boots", "web", "a1b2")
    boot = start_boot(sh, marker, tmp_path, "done")
    wait_for(tmp_path / marker)
    assert int(os.readlink(tmp_path / marker)) == boot.pid

    result = shell(sh, boot_marker.stop_boot(marker), tmp_path)

    assert result.returncode == 0, result.stderr
    assert boot.wait(timeout=10) == -signal.SIGTERM
    deadline = time.monotonic() + 5
    while process_group_alive(boot.pid):  # the `sleep` child went with its shell
        assert time.monotonic() < deadline, "the boot's child process survived"
        time.sleep(0.02)
    assert not (tmp_path / "done").exists()
    assert not (tmp_path / marker).is_symlink()


@pytest.mark.parametrize("sh", SHELLS)
def test_a_boot_that_starts_after_the_stop_refuses_to_run(sh: str, tmp_path: Path) -> None:
    marker = boot_marker.path(".kamal/apps/app/boots", "web", "c3d4")
    assert shell(sh, boot_marker.stop_boot(marker), tmp_path).returncode == 0
    assert os.readlink(tmp_path / marker) == "abandoned"

    late = combine(boot_marker.claim(marker), cmd("touch", "done"))
    result = shell(sh, late, tmp_path)

    assert result.returncode != 0
    assert not (tmp_path / "done").exists()


@pytest.mark.parametrize("sh", SHELLS)
def test_stopping_a_finished_boot_kills_nothing(sh: str, tmp_path: Path) -> None:
    marker = boot_marker.path(".kamal/apps/app/boots", "web", "e5f6")
    finished = combine(boot_marker.claim(marker), cmd("touch", "done"), boot_marker.release(marker))
    assert shell(sh, finished, tmp_path).returncode == 0
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert shell(sh, boot_marker.stop_boot(marker), tmp_path).returncode == 0
        assert bystander.poll() is None
        assert os.readlink(tmp_path / marker) == "abandoned"
    finally:
        bystander.kill()
        bystander.wait()


def test_markers_are_unique_per_boot_and_quoted_in_the_stop_script() -> None:
    marker = boot_marker.path(".kamal/apps/my app/boots", "web", "0a0b")
    assert marker == ".kamal/apps/my app/boots/web-0a0b"
    assert "'.kamal/apps/my app/boots/web-0a0b'" in boot_marker.stop_boot(marker).shell()
