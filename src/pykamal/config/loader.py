"""Read deploy.yml (and deploy.<destination>.yml): ERB subset, YAML, deep merge, validate, build."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

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
    try:
        looped = _contains_itself(data, ())
    except RecursionError:
        raise ConfigError(f"{path}: values are nested too deeply") from None
    if looped:
        raise ConfigError(f"{path}: a YAML alias refers to a value that contains it (a loop)")
    return data


def _contains_itself(value: Any, parents: tuple[int, ...]) -> bool:
    if not isinstance(value, dict | list):
        return False
    if id(value) in parents:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(_contains_itself(child, (*parents, id(value))) for child in children)


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
