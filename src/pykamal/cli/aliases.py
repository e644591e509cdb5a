"""``aliases:`` from deploy.yml as top-level commands.

An unknown command name is looked up in the aliases of the configuration named by ``-c``/``-d``
(given before or after the alias); its command line is split into words (Ruby Shellwords rules)
and put in the alias's place, so ``pykamal console -d staging`` runs e.g.
``pykamal app exec --interactive --reuse "bin/rails console" -d staging``. An alias may name
another alias; a loop is an error. Built-in commands always win: an alias with a built-in's name
is a configuration error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pykamal.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from pykamal.cli.context import Globals
    from pykamal.config.model import Config

DEFAULT_CONFIG_FILE = "config/deploy.yml"
MAX_DEPTH = 10

# Global options taking a value that decide which configuration is loaded.
_CONFIG_FLAGS = {"-c": "config_file", "--config-file": "config_file", "-d": "destination",
                 "--destination": "destination", "--version": "version"}  # fmt: skip


@dataclass(frozen=True)
class ConfigChoice:
    config_file: str | None = None
    destination: str | None = None
    version: str | None = None

    @property
    def path(self) -> str:
        return self.config_file or DEFAULT_CONFIG_FILE

    def updated(self, args: Sequence[str]) -> ConfigChoice:
        """This choice with the ``-c``/``-d``/``--version`` values found in ``args`` (last one wins)."""
        values = {"config_file": self.config_file, "destination": self.destination, "version": self.version}
        index = 0
        while index < len(args):
            arg = args[index]
            if arg == "--":
                break
            name, _, inline = arg.partition("=")
            if arg.startswith("--") and name in _CONFIG_FLAGS and inline:
                values[_CONFIG_FLAGS[name]] = arg[len(name) + 1 :]
            elif arg in _CONFIG_FLAGS and index + 1 < len(args):
                values[_CONFIG_FLAGS[arg]] = args[index + 1]
                index += 1
            elif arg[:2] in ("-c", "-d") and len(arg) > 2 and not arg.startswith("--"):
                values[_CONFIG_FLAGS[arg[:2]]] = arg[2:]
            index += 1
        return ConfigChoice(**values)


def choice_from_globals(globals_: Globals | None) -> ConfigChoice:
    if globals_ is None:
        return ConfigChoice()
    return ConfigChoice(globals_.config_file, globals_.destination, globals_.version)


def load(choice: ConfigChoice) -> Config | None:
    """The configuration for ``choice``; None when its file does not exist or cannot define an
    alias (then there are none, and ``--help`` need not load the whole configuration)."""
    from pykamal.config import load_config

    if not os.path.exists(choice.path) or not _may_define_aliases(choice):
        return None
    return load_config(choice.path, destination=choice.destination, version=choice.version)


def _may_define_aliases(choice: ConfigChoice) -> bool:
    """A cheap look at the files: without the word ``aliases`` and without ERB (which could bring
    it in from elsewhere) they define no alias."""
    paths = [choice.path]
    if choice.destination:
        from pykamal.config.loader import destination_file

        paths.append(destination_file(choice.path, choice.destination))
    for path in paths:
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            return True  # the full load reports what is wrong with it
        if "aliases" in text or "<%" in text:
            return True
    return False


def check_not_shadowing(config: Config, built_in: Iterable[str]) -> None:
    """A ConfigError for an alias named like a built-in command (it could never run)."""
    names = set(built_in)
    for alias, _ in config.aliases:
        if alias in names:
            raise ConfigError(f"aliases/{alias}: Alias '{alias}' conflicts with a built-in command.")


def expand(config: Config, args: Sequence[str], built_in: Iterable[str]) -> list[str] | None:
    """``args`` with a leading alias replaced by its words (repeatedly); None when args[0] is no alias."""
    from pykamal.secrets.shellwords import shellsplit

    aliases = dict(config.aliases)
    names = set(built_in)
    if not args or args[0] not in aliases or args[0] in names:
        return None
    check_not_shadowing(config, names)
    global_args, rest = split_global_options(args[1:])
    expanded = [args[0], *rest]
    seen: list[str] = []
    while expanded and expanded[0] in aliases and expanded[0] not in names:
        name = expanded[0]
        if name in seen or len(seen) >= MAX_DEPTH:
            raise ConfigError(f"aliases/{name}: alias loop ({' -> '.join([*seen, name])})")
        seen.append(name)
        try:
            words = shellsplit(aliases[name])
        except ValueError as exc:
            raise ConfigError(f"aliases/{name}: cannot split {aliases[name]!r}: {exc}") from None
        if not words:
            raise UsageError(f"alias '{name}' is empty")
        expanded = words + expanded[1:]
    # Global options given after the alias go right after the command's first word, where the
    # (sub)command group parses them, so they never end up inside e.g. an `app exec` command line.
    return [*expanded[:1], *global_args, *expanded[1:]]


_GLOBAL_FLAGS = {"-v", "--verbose", "-q", "--quiet", "-p", "--primary", "-H", "--skip-hooks", "--lock-wait"}
_GLOBAL_VALUED = {"--version", "-h", "--hosts", "-r", "--roles", "-c", "--config-file", "-d", "--destination",
                  "--lock-wait-timeout", "--lock-wait-interval"}  # fmt: skip


def split_global_options(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Kamal's global options found in ``args`` (with their values), and everything else, in order."""
    found: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        name = arg.partition("=")[0]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in _GLOBAL_FLAGS or (name in _GLOBAL_VALUED and "=" in arg and name.startswith("--")):
            found.append(arg)
        elif arg in _GLOBAL_VALUED and index + 1 < len(args):
            found.extend(args[index : index + 2])
            index += 1
        elif arg[:2] in {"-c", "-d", "-h", "-r"} and len(arg) > 2 and not arg.startswith("--"):
            found.append(arg)
        else:
            rest.append(arg)
        index += 1
    return found, rest


def asks_for_help(args: Sequence[str]) -> bool:
    """``--help`` among the words after an alias (before any ``--``): show the alias, run nothing."""
    words = list(args)
    return "--help" in (words[: words.index("--")] if "--" in words else words)
