"""Argument helpers shared by the builders: Kamal's ways of turning config values into flags.

``argumentize`` gives ``--flag key="value"`` pairs, ``optionize`` gives ``--key "value"`` options,
``loose`` keeps a bare user value (a volume, a port) unquoted where Kamal does, as long as it is
made only of harmless characters; any other value is quoted once, when the command is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from pykamal.commands.base import Arg, Command, Quoted, Raw, Sensitive, cmd, word
from pykamal.config.model import Logging
from pykamal.config.rubyish import present, to_s

# Characters a bare value may use and still be emitted unquoted: word characters, path punctuation,
# a leading ``~`` and ``$NAME``/``${NAME}`` references (which the host's shell expands, as with Kamal).
# A ``~`` anywhere else stays quoted: bash expands it after ``=`` (``a=~`` becomes ``a=$HOME``).
_LOOSE_SAFE = re.compile(r"~?[\w@%+=:,./-]*(\$(\{\w+\}|\w+)[\w@%+=:,./-]*)*", re.ASCII)


def loose(value: str) -> Arg:
    """A user value Kamal puts on the line unquoted; unquoted here too unless it holds shell syntax."""
    if value and _LOOSE_SAFE.fullmatch(value):
        return Raw(value)
    return value  # a plain argument: quoted by the renderer


def argumentize(flag: str, pairs: Iterable[tuple[str, Any]], *, sensitive: bool = False) -> list[Arg]:
    """``flag key="value"`` per pair; ``key=false`` for False; a bare ``key`` when the value is blank."""
    out: list[Arg] = []
    for key, value in pairs:
        out.append(flag)
        if present(value):
            if sensitive:
                out.append(Sensitive(f"{key}={to_s(value)}", redaction=f"{key}=[REDACTED]"))
            else:
                out.append(word(f"{key}=", Quoted(to_s(value))))
        elif value is False:
            out.append(f"{key}=false")
        else:
            out.append(key)
    return out


def repeat(flag: str, values: Iterable[str]) -> list[Arg]:
    """``flag value`` for each bare value (Kamal leaves these unquoted)."""
    out: list[Arg] = []
    for value in values:
        out += [flag, loose(value)]
    return out


def flatten_options(options: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """One ``(key, value)`` per flag: list values repeat the key."""
    out: list[tuple[str, Any]] = []
    for key, value in options:
        if isinstance(value, list | tuple):
            out += [(key, entry) for entry in value]
        else:
            out.append((key, value))
    return out


def optionize(options: Iterable[tuple[str, Any]], *, joined: bool = False) -> list[Arg]:
    """``--key "value"`` (or ``--key="value"`` when ``joined``); ``True`` gives a bare ``--key``."""
    out: list[Arg] = []
    for key, value in flatten_options(options):
        if value is True:
            out.append(f"--{key}")
        elif joined:
            out.append(word(f"--{key}=", Quoted(to_s(value))))
        else:
            out += [f"--{key}", Quoted(to_s(value))]
    return out


def host_path_word(path: str) -> Arg:
    """A path on the host: relative paths are anchored at ``$PWD`` (the SSH login directory)."""
    if PurePosixPath(path).is_absolute():
        return loose(path)
    return word(Raw("$PWD/"), path)


def volume(host_path: str, container_path: str, options: str | None = None) -> list[Arg]:
    """``--volume <host>:<container>[:<options>]`` with a relative host path under ``$PWD``."""
    spec = f"{container_path}:{options}" if options else container_path
    if PurePosixPath(host_path).is_absolute():
        return ["--volume", loose(f"{host_path}:{spec}")]
    return ["--volume", word(Raw("$PWD/"), f"{host_path}:{spec}")]


def docker(
    *args: Arg | Command | Iterable[Arg] | None,
    stdin: Sensitive | str | None = None,
    env: Iterable[tuple[str, str | Sensitive]] = (),
) -> Command:
    return cmd("docker", *args, stdin=stdin, env=env)


def make_directory(path: str | Arg) -> Command:
    return cmd("mkdir", "-p", path)


def make_directory_for(remote_file: str) -> Command:
    return make_directory(str(PurePosixPath(remote_file).parent))


def remove_directory(path: str | Arg) -> Command:
    return cmd("rm", "-r", path)


def remove_file(path: str | Arg) -> Command:
    return cmd("rm", path)


def container_id_for(container_name: str, *, only_running: bool = False) -> Command:
    """The id of the container with exactly this name (``--all`` includes stopped ones)."""
    return docker(
        "container",
        "ls",
        None if only_running else "--all",
        "--filter",
        f"name=^{container_name}$",
        "--quiet",
    )


def xargs(command: Command) -> Command:
    return cmd("xargs", command)


def grep_args(grep: str, grep_options: str | None, *, double: bool = False) -> list[Arg]:
    """``grep '<pattern>' [options]`` as Kamal writes it (double quotes when following logs)."""
    import shlex

    pattern: Arg = Quoted(grep) if double else Quoted(grep, single=True)
    options = [loose(o) for o in shlex.split(grep_options)] if grep_options else []
    return ["grep", pattern, *options]


def logging_args(logging: Logging) -> list[Arg]:
    """``--log-driver``/``--log-opt`` flags; ``--log-opt max-size="10m"`` when nothing is configured."""
    if present(logging.driver) or logging.options:
        driver = optionize([("log-driver", logging.driver)]) if logging.driver else []
        return [*driver, *argumentize("--log-opt", logging.options)]
    return argumentize("--log-opt", [("max-size", "10m")])
