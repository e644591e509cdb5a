"""Golden fixtures for the command builders: one JSON file per case under tests/fixtures/commands/.

A case names a builder (``"call": "app.run"``), its arguments, the input config (deep-merged over
``base_config.json`` unless ``"replace_config": true``) and the expected ``display()`` line(s). When
a case also carries ``"kamal"`` (the equivalent Kamal 2.11 expression), ``kamal_oracle.py`` can check
the expectation against the real Kamal; ``"deviation"`` explains an intended difference.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pykamal.commands.base import cmd
from pykamal.config.model import Config

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "commands"
DEFAULT_SECRETS = {"RAILS_MASTER_KEY": "456"}


@dataclass
class Case:
    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_cases() -> list[Case]:
    return [Case(path, json.loads(path.read_text())) for path in sorted(FIXTURES.glob("*/*.json"))]


def raw_config(data: Mapping[str, Any]) -> dict[str, Any]:
    if data.get("replace_config"):
        return dict(data["config"])
    base = json.loads((FIXTURES / "base_config.json").read_text())
    return deep_merge(base, data.get("config", {}))


def config_for(data: Mapping[str, Any]) -> Config:
    """The fixture's config through pykamal's real validation and model building."""
    from pykamal.config.build import build_config
    from pykamal.config.validate import validate

    raw = raw_config(data)
    validate(raw)
    config = build_config(
        raw,
        config_file="config/deploy.yml",
        destination=data.get("destination"),
        version=data.get("version", "999"),
    )
    return dataclasses.replace(config, secrets=dict(data.get("secrets", DEFAULT_SECRETS)))


def _resolve(value: Any, config: Config) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        kind, _, name = value[1:].partition(":")
        if kind == "role":
            return config.role(name)
        if kind == "role_proxy":
            return config.role(name).proxy
        if kind == "accessory":
            return config.accessory(name)
        if kind == "accessory_env":
            return config.accessory(name).env
        if kind == "accessory_proxy":
            return config.accessory(name).proxy
        if kind == "registry":
            return config.registry if not name else config.accessory(name).registry
        if kind == "ssh":
            return config.ssh
        if kind == "builder":
            return config.builder
        if kind == "logging":
            return config.logging
        if kind == "time":
            return datetime.fromtimestamp(int(name), UTC)
        if kind == "cmd":
            return cmd(*shlex.split(name))
        if kind in ("file", "directory"):
            from pykamal.commands import accessory

            accessory_name, _, index = name.partition(":")
            entries = accessory.files if kind == "file" else accessory.directories
            return entries(config.accessory(accessory_name))[int(index)]
        raise ValueError(f"unknown reference {value}")
    if isinstance(value, list):
        return [_resolve(v, config) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, config) for k, v in value.items()}
    return value


def _log_query(kwargs: dict[str, Any]) -> Any:
    """The log builders take one LogQuery; a fixture names its fields as Kamal's keyword arguments."""
    from pykamal.commands.logs import LogQuery

    fields = {f.name for f in dataclasses.fields(LogQuery)}
    return LogQuery(**{name: kwargs.pop(name) for name in list(kwargs) if name in fields})


def invoke(data: Mapping[str, Any]) -> tuple[Any, Config]:
    config = config_for(data)
    module_name, _, func_name = data["call"].rpartition(".")
    module = importlib.import_module(f"pykamal.commands.{module_name}")
    func = getattr(module, func_name)
    params = inspect.signature(func).parameters
    secrets = data.get("secrets", DEFAULT_SECRETS)
    kwargs = {k: secrets if v == "@secrets" else _resolve(v, config) for k, v in data.get("args", {}).items()}
    for name, kind in (("role", "role"), ("accessory", "accessory")):
        if isinstance(kwargs.get(name), str) and name in params:
            kwargs[name] = _resolve(f"@{kind}:{kwargs[name]}", config)
    if "config" in params and "config" not in kwargs:
        kwargs["config"] = config
    if "query" in params:
        kwargs["query"] = _log_query(kwargs)
    varargs = [_resolve(v, config) for v in data.get("varargs", [])]
    if varargs:
        positional = []
        for name, param in params.items():
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                break
            positional.append(kwargs.pop(name))
        return func(*positional, *varargs, **kwargs), config
    return func(**kwargs), config
