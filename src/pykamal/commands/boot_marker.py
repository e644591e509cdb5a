"""Markers that let a later command stop a boot that is still running on a host.

When pykamal is interrupted, the remote command it sent goes on: OpenSSH ignores the signal
request and closing the channel does not end a command without a terminal. So a boot first
creates a marker naming its shell's pid (the shell leads its own process group under sshd).
``stop_boot`` later either ends that process group, or, when the boot has not started yet,
creates the marker itself so the boot refuses to start. The marker is a symbolic link to the pid:
``ln -s`` fails when the name exists, so exactly one side creates it, and unlike a file written
by the shell it needs no data block and reports its own errors (a full disk, for one).
"""

from __future__ import annotations

from pykamal.commands.args import make_directory_for
from pykamal.commands.base import Command, Raw, cmd, combine, quote


def path(boots_directory: str, name: str, token: str) -> str:
    return f"{boots_directory}/{name}-{token}"


def claim(marker: str) -> Command:
    """Point ``marker`` at this shell's pid; fails when the marker exists (the boot was abandoned)."""
    return combine(make_directory_for(marker), cmd("ln", "-s", Raw("$$"), marker))


def release(marker: str) -> Command:
    return cmd("rm", "-f", marker)


def stop_boot(marker: str) -> Command:
    """End the boot that claimed ``marker`` (its process group), or claim it first so it never runs."""
    quoted = quote(marker)
    script = (
        f"if ln -s abandoned {quoted} 2>/dev/null; then :; "
        f"else pid=$(readlink {quoted}); "
        'if [ -n "$pid" ]; then kill -s TERM -- "-$pid" 2>/dev/null || kill -s TERM "$pid" 2>/dev/null; fi; '
        f"rm -f {quoted}; fi"
    )
    return combine(make_directory_for(marker), cmd(Raw(script)))
