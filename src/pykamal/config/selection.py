"""Which hosts and roles a command acts on: Kamal's ``-h/--hosts``, ``-r/--roles`` and ``-p/--primary``.

Filters are comma separated and may use wildcards (``*``, ``?``, ``[…]`` and ``{a,b}``). The
primary role's hosts come first; the primary host is the first given host, else the primary host of
the (primary or first) given role, else the configuration's primary host.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pykamal.errors import UsageError

if TYPE_CHECKING:
    from pykamal.config.model import Config, Role

T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    config: Config
    hosts: tuple[str, ...]
    roles: tuple[Role, ...]
    primary_host: str
    primary_role: Role | None
    specific_hosts: tuple[str, ...] | None = None
    specific_roles: tuple[Role, ...] | None = None

    def roles_on(self, host: str) -> tuple[Role, ...]:
        return tuple(role for role in self.roles if host in role.hosts)

    @property
    def app_hosts(self) -> tuple[str, ...]:
        return tuple(h for h in self._sorted(self.config.app_hosts) if h in self.hosts)

    @property
    def proxy_hosts(self) -> tuple[str, ...]:
        return tuple(h for h in self.config.proxy_hosts if h in self.hosts)

    @property
    def accessory_hosts(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for accessory in self.config.accessories:
            for host in accessory.hosts:
                if host in self.hosts:
                    seen.setdefault(host, None)
        return tuple(seen)

    def _sorted(self, hosts: Iterable[str]) -> list[str]:
        return _primary_role_hosts_first(list(hosts), self.roles, self.primary_role)


def select(
    config: Config,
    *,
    hosts: str | Sequence[str] | None = None,
    roles: str | Sequence[str] | None = None,
    primary: bool = False,
) -> Selection:
    """Apply the filters; raises UsageError ``No --hosts match for …`` / ``No --roles match for …``."""
    specific_roles = _filter_roles(config, _split(roles))
    specific_hosts = _filter_hosts(config, _split(hosts))
    if primary:
        if specific_roles:
            specific_hosts = (specific_roles[0].hosts[0],) if specific_roles[0].hosts else ()
        else:
            specific_hosts = (config.primary_host,)

    candidate_hosts = specific_hosts if specific_hosts is not None else config.all_hosts
    role_pool = specific_roles if specific_roles is not None else config.roles
    selected_roles = [role for role in role_pool if set(candidate_hosts) & set(role.hosts)]

    selected_hosts = list(candidate_hosts)
    role_hosts = {h for role in (specific_roles or ()) for h in role.hosts}
    if role_hosts:
        selected_hosts = [h for h in selected_hosts if h in role_hosts]

    if specific_hosts:
        primary_host = specific_hosts[0]
    elif specific_roles:
        primary_host = _primary_or_first(config, list(specific_roles)).hosts[0]
    else:
        primary_host = config.primary_host
    on_primary = [role for role in selected_roles if primary_host in role.hosts]
    primary_role = _primary_or_first(config, on_primary) if on_primary else None

    selected_roles.sort(key=lambda role: 0 if role == primary_role else 1)  # stable
    selected_hosts = _primary_role_hosts_first(selected_hosts, selected_roles, primary_role)
    return Selection(
        config=config,
        hosts=tuple(selected_hosts),
        roles=tuple(selected_roles),
        primary_host=primary_host,
        primary_role=primary_role,
        specific_hosts=specific_hosts,
        specific_roles=specific_roles,
    )


def _split(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def _filter_hosts(config: Config, filters: list[str]) -> tuple[str, ...] | None:
    if not filters:
        return None
    matched = filter_items(filters, config.all_hosts, str)
    if not matched:
        raise UsageError(f"No --hosts match for {','.join(filters)}")
    return tuple(matched)


def _filter_roles(config: Config, filters: list[str]) -> tuple[Role, ...] | None:
    if not filters:
        return None
    matched = filter_items(filters, config.roles, lambda role: role.name)
    if not matched:
        raise UsageError(f"No --roles match for {','.join(filters)}")
    return tuple(matched)


def filter_items(filters: Iterable[str], items: Sequence[T], name: object) -> list[T]:
    """Items matching any filter, in filter order then item order, without duplicates."""
    key = name if callable(name) else str
    matches: list[T] = []
    for pattern in filters:
        for item in items:
            if item not in matches and wildcard_match(pattern, str(key(item))):
                matches.append(item)
    return matches


def wildcard_match(pattern: str, text: str) -> bool:
    """Shell-style match, case-sensitive, with ``{a,b}`` alternatives (like Ruby's ``File.fnmatch``)."""
    return any(fnmatch.fnmatchcase(text, expanded) for expanded in expand_braces(pattern))


_BRACES = re.compile(r"\{([^{}]*)\}")


def expand_braces(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    results: list[str] = []
    for option in match.group(1).split(","):
        results.extend(expand_braces(head + option + tail))
    return results


def _primary_or_first(config: Config, roles: list[Role]) -> Role:
    for role in roles:
        if role.name == config.primary_role_name:
            return role
    return roles[0]


def _primary_role_hosts_first(
    hosts: list[str], roles: Sequence[Role], primary_role: Role | None
) -> list[str]:
    if primary_role is None:
        return list(hosts)
    indexed = list(enumerate(hosts))
    indexed.sort(key=lambda pair: (0 if pair[1] in primary_role.hosts else 1, pair[0]))
    return [host for _, host in indexed]
