"""``x-pykamal:``: settings only pykamal reads (Kamal skips every top-level ``x-`` key).

Checked as strictly as Kamal's own sections: unknown keys and wrong kinds are errors naming the
key path (``x-pykamal/release/timeout: should be an integer``). Other ``x-`` keys are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pykamal.config import schema
from pykamal.config.rubyish import to_s
from pykamal.errors import ConfigError

if TYPE_CHECKING:
    from pykamal.config.model import Role

KEY = "x-pykamal"
NOTIFY_EVENTS = ("start", "success", "failure", "rollback")
NOTIFY_FORMATS = ("json", "slack")


@dataclass(frozen=True)
class Release:
    """A command run once per deploy in a one-off container of the new version."""

    cmd: str
    role: str  # its env file, volumes and options are used; it runs on the role's primary host
    timeout: int = 600


@dataclass(frozen=True)
class Notifier:
    """A webhook posted to on deploy events; the URL is the value of a secret."""

    url_secret: str
    format: str = "json"  # "json" | "slack"
    events: tuple[str, ...] = NOTIFY_EVENTS
    timeout: float = 5.0
    index: int = 0  # position in the list, for messages naming the key


@dataclass(frozen=True)
class Canary:
    """Deploy to a few hosts of each proxied role first and watch their errors before the rest."""

    hosts: int = 1
    watch: int = 60  # seconds
    max_error_rate: float = 0.02  # 5xx answers of the new version over all its answers
    min_requests: int = 20
    fail_open: bool = False  # too few requests to judge: go on (True) or stop (False)
    enabled: bool = False  # deploys use a canary phase without --canary


@dataclass(frozen=True)
class Extensions:
    """``x-pykamal``: the settings only pykamal reads (release command, notifications, canary)."""

    release: Release | None = None
    notify: tuple[Notifier, ...] = ()
    canary: Canary = Canary()


RELEASE = schema.Fields({"cmd": schema.STRING, "role": schema.STRING, "timeout": schema.INTEGER})
NOTIFIER = schema.Fields(
    {
        "url_secret": schema.STRING,
        "format": schema.STRING,
        "events": schema.STRINGS,
        "timeout": schema.Scalar("number"),
    }
)
CANARY = schema.Fields(
    {
        "enabled": schema.BOOLEAN,
        "hosts": schema.INTEGER,
        "watch": schema.INTEGER,
        "max_error_rate": schema.Scalar("number"),
        "min_requests": schema.INTEGER,
        "fail_open": schema.BOOLEAN,
    }
)
ROOT = schema.Fields({"release": RELEASE, "notify": schema.Section(allow_list=True), "canary": CANARY})


def validate(raw: dict[Any, Any]) -> None:
    """Check the shape of ``x-pykamal`` (absent is fine); raises ConfigError naming the key."""
    from pykamal.config.validate import Checker

    if KEY not in raw:
        return
    section = raw[KEY]
    checker = Checker(KEY)
    checker.check_fields(section, ROOT)
    if "release" in section:
        with checker.at("release"):
            _validate_release(checker, section["release"])
    if "notify" in section:
        with checker.at("notify"):
            checker.check_type(section["notify"], "array")
            for index, entry in enumerate(section["notify"]):
                with checker.at(index):
                    _validate_notifier(checker, entry)
    if "canary" in section:
        with checker.at("canary"):
            _validate_canary(checker, section["canary"])


def _validate_release(checker: Any, release: dict[Any, Any]) -> None:
    if not to_s(release.get("cmd") or "").strip():
        with checker.at("cmd"):
            checker.error("is required")
    if "timeout" in release and release["timeout"] < 1:
        with checker.at("timeout"):
            checker.error("should be at least 1 (seconds)")


def _validate_notifier(checker: Any, entry: Any) -> None:
    checker.check_fields(entry, NOTIFIER)
    if not to_s(entry.get("url_secret") or "").strip():
        with checker.at("url_secret"):
            checker.error("is required: the name of a secret holding the webhook URL")
    if "format" in entry and to_s(entry["format"]) not in NOTIFY_FORMATS:
        with checker.at("format"):
            checker.error(f"should be one of {', '.join(NOTIFY_FORMATS)}, not {to_s(entry['format'])!r}")
    unknown = [to_s(e) for e in entry.get("events") or () if to_s(e) not in NOTIFY_EVENTS]
    if unknown:
        with checker.at("events"):
            checker.error(f"unknown events {', '.join(unknown)} (known: {', '.join(NOTIFY_EVENTS)})")
    if "timeout" in entry and not 0 < entry["timeout"] <= 60:
        with checker.at("timeout"):
            checker.error("should be more than 0 and at most 60 (seconds)")


def _validate_canary(checker: Any, canary: dict[Any, Any]) -> None:
    for key, lowest in (("hosts", 1), ("watch", 1), ("min_requests", 0)):
        if key in canary and canary[key] < lowest:
            with checker.at(key):
                checker.error(f"should be at least {lowest}")
    if "max_error_rate" in canary and not 0 <= canary["max_error_rate"] <= 1:
        with checker.at("max_error_rate"):
            checker.error("should be a fraction between 0 and 1 (0.02 is 2 %)")


def build(raw: dict[Any, Any], roles: Sequence[Role], primary_role: str) -> Extensions:
    """The typed settings; checks that need the roles (release role, canary host count) run here."""
    section = raw.get(KEY) or {}
    return Extensions(
        release=_release(section.get("release"), roles, primary_role),
        notify=tuple(_notifier(i, entry) for i, entry in enumerate(section.get("notify") or ())),
        canary=_canary(section.get("canary"), roles),
    )


def _release(release: dict[Any, Any] | None, roles: Sequence[Role], primary_role: str) -> Release | None:
    if release is None:
        return None
    name = to_s(release.get("role") or primary_role)
    role = next((r for r in roles if r.name == name), None)
    if role is None:
        raise ConfigError(f"{KEY}/release/role: unknown role {name}")
    if not role.hosts:
        raise ConfigError(f"{KEY}/release/role: role {name} has no hosts to run the release on")
    return Release(cmd=to_s(release["cmd"]), role=name, timeout=int(release.get("timeout", 600)))


def _notifier(index: int, entry: dict[Any, Any]) -> Notifier:
    events = tuple(to_s(e) for e in entry["events"]) if "events" in entry else NOTIFY_EVENTS
    return Notifier(
        url_secret=to_s(entry["url_secret"]),
        format=to_s(entry.get("format") or "json"),
        events=events,
        timeout=float(entry.get("timeout", 5)),
        index=index,
    )


def _canary(canary: dict[Any, Any] | None, roles: Sequence[Role]) -> Canary:
    if canary is None:
        return Canary()
    settings = Canary(
        hosts=int(canary.get("hosts", 1)),
        watch=int(canary.get("watch", 60)),
        max_error_rate=float(canary.get("max_error_rate", 0.02)),
        min_requests=int(canary.get("min_requests", 20)),
        fail_open=bool(canary.get("fail_open", False)),
        enabled=bool(canary.get("enabled", True)),
    )
    for role in roles:
        if role.running_proxy and role.hosts and settings.hosts > len(role.hosts):
            raise ConfigError(
                f"{KEY}/canary/hosts: {settings.hosts} canary hosts, but role {role.name} "
                f"has only {len(role.hosts)}"
            )
    return settings
