"""Read deploy.yml (and deploy.<destination>.yml): ERB subset, YAML, deep merge, validate, build."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pykamal.config import names
from pykamal.config.rubyish import deep_merge
from pykamal.config.yamlfile import parse_yaml
from pykamal.errors import ConfigError

if TYPE_CHECKING:
    from pykamal.config.model import Config
    from pykamal.secrets.substitution import InlineRunner


def destination_file(config_file: str, destination: str) -> str:
    """``config/deploy.yml`` + ``staging`` -> ``config/deploy.staging.yml`` (extension replaced)."""
    stem, _extension = os.path.splitext(config_file)
    return f"{stem}.{destination}.yml"


def erb_environment(destination: str | None) -> dict[str, str]:
    """What ``ENV`` holds while rendering: the process env, with ``KAMAL_DESTINATION`` as Kamal sets it."""
    env = dict(os.environ)
    if destination is not None:
        env["KAMAL_DESTINATION"] = destination
    else:
        env.pop("KAMAL_DESTINATION", None)
    return env


def load_raw(config_file: str, destination: str | None = None) -> dict[Any, Any]:
    """The merged settings of the base file and, with a destination, its destination file."""
    if destination is not None:
        problem = names.name_problem(destination, "destination")
        if problem:
            raise ConfigError(f"destination: {problem}")
    files = [config_file] + ([destination_file(config_file, destination)] if destination is not None else [])
    env = erb_environment(destination)
    merged: dict[Any, Any] = {}
    for path in files:
        merged = deep_merge(merged, read_file(path, env))
    return merged


def read_file(path: str, env: dict[str, str]) -> dict[Any, Any]:
    if not os.path.exists(path):
        raise ConfigError(f"Configuration file not found in {os.path.abspath(path)}")
    try:
        with open(path, encoding="utf-8") as handle:
            template = handle.read()
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    if "<%" in template:
        from pykamal.config.erb import render

        rendered = render(template, path, env)
        data = parse_yaml(rendered.text, path, rendered.line_map)
    else:
        data = parse_yaml(template, path)
    if data is None or (isinstance(data, str | bool) and not str(data).strip()):
        raise ConfigError(f"{path}: is empty; it should hold settings such as service:, image: and servers:")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({str(data)[:40]!r})"
        raise ConfigError(f"{path}: should be a hash of settings (key: value), not {kind}")
    _check_aliases(data, path)
    return data


# Far above any real deploy.yml (aliases shared a few times), far below what stalls a run.
MAX_EXPANDED_VALUES = 100_000


def _check_aliases(data: Any, path: str) -> None:
    """Refuse alias loops and alias chains that expand to more values than a config can hold."""
    size = expanded_size(data)
    if size is None:
        raise ConfigError(f"{path}: a YAML alias refers to a value that contains it (a loop)")
    if size > MAX_EXPANDED_VALUES:
        raise ConfigError(
            f"{path}: YAML aliases expand to more than {MAX_EXPANDED_VALUES:,} values "
            "(an alias bomb?); write the repeated values out or share fewer levels"
        )


def expanded_size(root: Any) -> int | None:
    """How many values the data holds once every alias is expanded; None when an alias loops.

    Each shared hash or list is measured once (memoised by identity), so this is linear in the
    number of distinct values whatever the nesting depth.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        value, children_done = stack.pop()
        if not isinstance(value, dict | list):
            continue
        key = id(value)
        children = list(value.values()) if isinstance(value, dict) else value
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return None
        open_nodes.add(key)
        stack.append((value, True))
        stack.extend((child, False) for child in children)
    return sizes.get(id(root), 1)


def load(
    config_file: str,
    destination: str | None = None,
    version: str | None = None,
    *,
    secrets_inline: InlineRunner | None = None,
) -> Config:
    """The configuration, with the one secrets store of the run (``secrets_inline`` runs its
    ``$(kamal secrets …)`` substitutions)."""
    from pykamal.config.build import build_config
    from pykamal.config.validate import validate

    raw = load_raw(config_file, destination)
    validate(raw)
    return build_config(
        raw, config_file=config_file, destination=destination, version=version, secrets_inline=secrets_inline
    )
