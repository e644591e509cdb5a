"""``x-pykamal``: typed settings, strict checks with messages naming the key, other x- keys ignored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from project_files import BASE

from pykamal.config import load_config
from pykamal.config.extensions import Canary, Notifier, Release
from pykamal.errors import ConfigError

TWO_ROLES = BASE.replace(
    "servers: [10.0.0.1]",
    "servers:\n  web:\n    hosts: [10.0.0.1, 10.0.0.2]\n  jobs:\n    hosts: [10.0.0.3]\n    cmd: run\n",
)


def load(write_config: Callable[..., str], text: str):  # type: ignore[no-untyped-def]
    return load_config(write_config(text), version="v")


def error_for(write_config: Callable[..., str], text: str) -> str:
    with pytest.raises(ConfigError) as error:
        load(write_config, text)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_absent_section_gives_defaults(write_config: Callable[..., str]) -> None:
    extensions = load(write_config, BASE).extensions
    assert extensions.release is None
    assert extensions.notify == ()
    assert extensions.canary == Canary() and not extensions.canary.enabled


def test_full_section_is_typed_and_immutable(write_config: Callable[..., str]) -> None:
    text = TWO_ROLES + (
        "x-pykamal:\n"
        "  release: {cmd: bin/migrate, role: jobs, timeout: 90}\n"
        "  notify:\n"
        "    - {url_secret: SLACK, format: slack}\n"
        "    - {url_secret: HOOK, events: [failure, rollback], timeout: 1.5}\n"
        "  canary: {hosts: 2, watch: 30, max_error_rate: 0.05, min_requests: 10, fail_open: true}\n"
    )
    extensions = load(write_config, text).extensions
    assert extensions.release == Release(cmd="bin/migrate", role="jobs", timeout=90)
    assert extensions.notify == (
        Notifier(url_secret="SLACK", format="slack"),
        Notifier(url_secret="HOOK", events=("failure", "rollback"), timeout=1.5, index=1),
    )
    assert extensions.canary == Canary(
        hosts=2, watch=30, max_error_rate=0.05, min_requests=10, fail_open=True, enabled=True
    )
    with pytest.raises(AttributeError):
        extensions.canary.hosts = 3  # type: ignore[misc]


def test_release_role_defaults_to_the_primary_role(write_config: Callable[..., str]) -> None:
    release = load(write_config, TWO_ROLES + "x-pykamal:\n  release: {cmd: migrate}\n").extensions.release
    assert release == Release(cmd="migrate", role="web", timeout=600)


def test_other_x_keys_stay_ignored(write_config: Callable[..., str]) -> None:
    load(write_config, BASE + "x-other:\n  whatever: [1, 2]\nx-anchors: &a {b: 1}\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("x-pykamal: [release]\n", "x-pykamal: should be a hash"),
        ("x-pykamal:\n  releases: {cmd: a}\n", "x-pykamal: unknown key: releases"),
        ("x-pykamal:\n  release: {cmd: a, when: always}\n", "x-pykamal/release: unknown key: when"),
        ("x-pykamal:\n  release: {role: web}\n", "x-pykamal/release/cmd: is required"),
        ("x-pykamal:\n  release: {cmd: a, timeout: 1m}\n", "x-pykamal/release/timeout: should be an integer"),
        ("x-pykamal:\n  release: {cmd: a, timeout: 0}\n", "x-pykamal/release/timeout: should be at least 1"),
        ("x-pykamal:\n  release: {cmd: a, role: db}\n", "x-pykamal/release/role: unknown role db"),
        ("x-pykamal:\n  notify: {url_secret: A}\n", "x-pykamal/notify: should be an array"),
        ("x-pykamal:\n  notify:\n    - {url: http://x}\n", "x-pykamal/notify/0: unknown key: url"),
        ("x-pykamal:\n  notify:\n    - {format: json}\n", "x-pykamal/notify/0/url_secret: is required"),
        (
            "x-pykamal:\n  notify:\n    - {url_secret: A, format: xml}\n",
            "x-pykamal/notify/0/format: should be one of json, slack, not 'xml'",
        ),
        (
            "x-pykamal:\n  notify:\n    - {url_secret: A, events: [deployed]}\n",
            "x-pykamal/notify/0/events: unknown events deployed",
        ),
        (
            "x-pykamal:\n  notify:\n    - {url_secret: A, timeout: x}\n",
            "x-pykamal/notify/0/timeout: should be a number",
        ),
        ("x-pykamal:\n  canary: {hosts: 0}\n", "x-pykamal/canary/hosts: should be at least 1"),
        (
            "x-pykamal:\n  canary: {max_error_rate: 5}\n",
            "x-pykamal/canary/max_error_rate: should be a fraction",
        ),
        ("x-pykamal:\n  canary: {watch_time: 5}\n", "x-pykamal/canary: unknown key: watch_time"),
    ],
)
def test_bad_settings_name_their_key(write_config: Callable[..., str], extra: str, message: str) -> None:
    assert error_for(write_config, BASE + extra).startswith(message)


def test_release_role_without_hosts(write_config: Callable[..., str]) -> None:
    text = TWO_ROLES.replace("    hosts: [10.0.0.3]\n", "    hosts: []\n") + "allow_empty_roles: true\n"
    message = error_for(write_config, text + "x-pykamal:\n  release: {cmd: a, role: jobs}\n")
    assert message == "x-pykamal/release/role: role jobs has no hosts to run the release on"


def test_canary_hosts_beyond_a_proxied_role(write_config: Callable[..., str]) -> None:
    message = error_for(write_config, TWO_ROLES + "x-pykamal:\n  canary: {hosts: 3}\n")
    assert message == "x-pykamal/canary/hosts: 3 canary hosts, but role web has only 2"
