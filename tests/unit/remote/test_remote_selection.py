from __future__ import annotations

import pytest
from remote_helpers import make_config

from pykamal.config.selection import expand_braces, select, wildcard_match
from pykamal.errors import UsageError

ROLES = {"web": ["1.1.1.1", "1.1.1.2"], "workers": ["1.1.1.3", "1.1.1.1"], "jobs": ["1.1.1.4"]}


def config():  # type: ignore[no-untyped-def]
    return make_config(ROLES, accessories={"db": ["1.1.1.5"]})


def test_default_selection_is_every_host_primary_role_first() -> None:
    # Kamal lists hosts by alphabetical role order (jobs, web, workers), then moves the primary role's first
    selection = select(config())
    assert config().all_hosts == ("1.1.1.4", "1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.5")
    assert selection.hosts == ("1.1.1.1", "1.1.1.2", "1.1.1.4", "1.1.1.3", "1.1.1.5")
    assert selection.roles[0].name == "web"
    assert selection.primary_host == "1.1.1.1"
    assert selection.primary_role is not None and selection.primary_role.name == "web"
    assert selection.accessory_hosts == ("1.1.1.5",)
    assert selection.app_hosts == ("1.1.1.1", "1.1.1.2", "1.1.1.4", "1.1.1.3")


def test_hosts_filter_with_wildcards_keeps_filter_order() -> None:
    selection = select(config(), hosts="1.1.1.4,1.1.1.[12]")
    assert selection.specific_hosts == ("1.1.1.4", "1.1.1.1", "1.1.1.2")
    assert selection.primary_host == "1.1.1.4"
    assert selection.primary_role is not None and selection.primary_role.name == "jobs"
    assert selection.roles[0].name == "jobs"
    assert selection.hosts[0] == "1.1.1.4"


def test_roles_filter_limits_hosts_and_primary() -> None:
    selection = select(config(), roles="work*")
    assert selection.hosts == ("1.1.1.1", "1.1.1.3")
    assert selection.primary_host == "1.1.1.3"  # the role's first host
    assert [r.name for r in selection.roles] == ["workers"]

    both = select(config(), roles="jobs,web")
    assert both.primary_host == "1.1.1.1"  # the primary role wins over filter order
    assert both.hosts[:2] == ("1.1.1.1", "1.1.1.2")


def test_primary_flag() -> None:
    assert select(config(), primary=True).hosts == ("1.1.1.1",)
    assert select(config(), roles="jobs", primary=True).hosts == ("1.1.1.4",)


def test_hosts_and_roles_combined() -> None:
    selection = select(config(), hosts="1.1.1.*", roles="workers")
    assert selection.hosts == ("1.1.1.1", "1.1.1.3")


def test_no_match_errors_name_the_filters() -> None:
    with pytest.raises(UsageError, match=r"^No --hosts match for 9\.9\.9\.9,8\.\*$"):
        select(config(), hosts="9.9.9.9,8.*")
    with pytest.raises(UsageError, match="No --roles match for nope"):
        select(config(), roles="nope")


def test_wildcards() -> None:
    assert wildcard_match("web-*", "web-1.example.com")
    assert not wildcard_match("Web-*", "web-1")
    assert wildcard_match("app{1,3}", "app3")
    assert not wildcard_match("app{1,3}", "app2")
    assert expand_braces("a{b,c}d{e,f}") == ["abde", "abdf", "acde", "acdf"]
