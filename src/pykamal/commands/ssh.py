"""Local ``ssh -t`` command lines for interactive work on a host (``exec -i``, ``logs -f``).

These run on the deploying machine in the foreground, with the user's terminal attached, using the
same SSH settings as the deploy (config files, jump host or proxy command, keys, port).
"""

from __future__ import annotations

from pykamal.commands.args import loose
from pykamal.commands.base import Arg, Command, Quoted, Script, cmd, word
from pykamal.config.host_address import host_address, host_port
from pykamal.config.model import SshConfig


def interactive_flag(tty: bool) -> str:
    """``-it`` when the local stdin is a terminal, else ``-i`` (docker refuses a TTY otherwise)."""
    return "-it" if tty else "-i"


def _config_args(ssh: SshConfig) -> list[Arg]:
    if ssh.config is True:
        return []
    if ssh.config is False:
        return ["-F", "/dev/null"]
    out: list[Arg] = []
    for path in ssh.config:
        out += ["-F", loose(path)]
    return out


def _proxy_args(ssh: SshConfig) -> list[Arg]:
    if ssh.proxy:
        jump = ssh.proxy if "@" in ssh.proxy else f"root@{ssh.proxy}"
        return ["-J", jump]
    if ssh.proxy_command:
        return ["-o", word("ProxyCommand=", Quoted(ssh.proxy_command, single=True))]
    return []


def _key_args(ssh: SshConfig) -> list[Arg]:
    out: list[Arg] = []
    for key in ssh.keys:
        out += ["-i", loose(key)]
    if ssh.keys_only:
        out += ["-o", "IdentitiesOnly=yes"]
    return out


def run_over_ssh(ssh: SshConfig, host: str, command: Command) -> Command:
    """``ssh [options] -t <user>@<host> -p <port> '<command>'``."""
    return cmd(
        "ssh",
        _config_args(ssh),
        _proxy_args(ssh),
        _key_args(ssh),
        "-t",
        f"{ssh.user}@{host_address(host)}",
        "-p",
        str(host_port(host) or ssh.port),
        Script(command),
    )
