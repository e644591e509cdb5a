"""``status``: parsing the probe's real output (captured from sandbox hosts) and judging drift."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pykamal.commands import status as probe
from pykamal.commands.status import ContainerFacts, HostFacts
from pykamal.config import load_config
from pykamal.config.model import Config
from pykamal.flows.status import FleetStatus, assess, parse_time

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "status"
WEB1, WEB2, WORKER = "127.0.2.11", "127.0.2.12", "127.0.2.13"
NOW = datetime(2026, 12, 7, 6, 12, tzinfo=UTC)

CONFIG = f"""
service: hello
image: hello
servers:
  web:
    hosts: [{WEB1}, {WEB2}]
  worker:
    hosts: [{WORKER}]
    cmd: /app/worker
proxy:
  app_port: 80
registry:
  server: 127.0.2.10:5000
  username: sandbox
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
accessories:
  db:
    image: kv:1
    host: {WORKER}
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "deploy.yml").write_text(CONFIG)
    return load_config(str(tmp_path / "deploy.yml"), version="v9")


def captured(name: str) -> HostFacts:
    return probe.parse((FIXTURES / name).read_text())


def fleet_from(config: Config, probed: dict[str, HostFacts | str]) -> FleetStatus:
    hosts = [WEB1, WEB2, WORKER]
    return assess(
        config,
        roles=config.roles,
        hosts=hosts,
        proxy_hosts=[WEB1, WEB2],
        accessories=config.accessories,
        probed=probed,
        now=NOW,
    )


def healthy(config: Config) -> dict[str, HostFacts | str]:
    return {
        WEB1: captured("web_proxied.txt"),
        WEB2: captured("web_proxied.txt"),
        WORKER: captured("worker.txt"),
    }


def with_container(facts: HostFacts, which: str, **changes: str) -> HostFacts:
    containers = [dataclasses.replace(c, **changes) if c.name == which else c for c in facts.containers]
    return dataclasses.replace(facts, containers=containers)


def kinds(fleet: FleetStatus) -> list[str]:
    return [d.kind for d in fleet.drift]


def test_probe_output_is_parsed_into_containers_routes_and_clock() -> None:
    facts = captured("web_proxied.txt")
    assert facts.docker == "ok" and facts.now == 1796623773 and facts.lock_text is None
    names = {c.name: c for c in facts.containers}
    assert set(names) == {"hello-web-v2", "hello-web-v1", "kamal-proxy"}
    assert names["hello-web-v2"].state == "running" and names["hello-web-v2"].role == "web"
    assert names["hello-web-v1"].state == "exited"
    assert names["kamal-proxy"].service == "" and names["kamal-proxy"].image == "basecamp/kamal-proxy:v0.9.2"
    [route] = facts.routes
    assert (route.service, route.host, route.path, route.state) == ("hello-web", "*", "/", "running")
    assert route.targets == ("e5cea95427c1:80",)
    assert names["hello-web-v2"].id.startswith("e5cea95427c1")


def test_a_consistent_fleet_has_no_drift(config: Config) -> None:
    fleet = fleet_from(config, healthy(config))
    assert fleet.ok, fleet.drift
    web = fleet.roles[0]
    assert (web.role, web.host, web.version, web.state) == ("web", WEB1, "v2", "running")
    assert web.proxy is not None and web.proxy.target == "hello-web-v2" and web.proxy.routes_to_current
    assert web.other_versions == ("v1",)
    assert web.uptime is not None and 0 < web.uptime < 3600
    worker = next(r for r in fleet.roles if r.role == "worker")
    assert worker.version == "v2" and worker.proxy is None
    assert [(h.host, h.proxy_version) for h in fleet.hosts] == [
        (WEB1, "v0.9.2"),
        (WEB2, "v0.9.2"),
        (WORKER, None),
    ]
    [db] = fleet.accessories
    assert db.host == WORKER and db.state is None  # not booted


def test_hosts_of_a_role_on_different_versions_are_drift(config: Config) -> None:
    probed = healthy(config)
    # the second web host runs v1 (and the proxy routes to it): what a deploy limited to one host leaves
    web2 = captured("web_proxied.txt")
    v1_id = next(c.id for c in web2.containers if c.name == "hello-web-v1")
    web2 = with_container(
        with_container(web2, "hello-web-v1", state="running"), "hello-web-v2", state="exited"
    )
    web2.routes[0] = dataclasses.replace(web2.routes[0], targets=(v1_id[:12] + ":80",))
    probed[WEB2] = web2
    fleet = fleet_from(config, probed)
    assert kinds(fleet) == ["versions_differ"]
    assert f"{WEB1} runs v2" in fleet.drift[0].message and f"{WEB2} runs v1" in fleet.drift[0].message
    assert fleet.to_json()["ok"] is False


def test_a_host_running_a_canary_version_is_marked(config: Config) -> None:
    probed = healthy(config)
    web1 = probe.parse((FIXTURES / "web_proxied.txt").read_text() + "@pykamal canary web v2\n")
    probed[WEB1] = web1
    web2 = captured("web_proxied.txt")
    v1_id = next(c.id for c in web2.containers if c.name == "hello-web-v1")
    web2 = with_container(
        with_container(web2, "hello-web-v1", state="running"), "hello-web-v2", state="exited"
    )
    web2.routes[0] = dataclasses.replace(web2.routes[0], targets=(v1_id[:12] + ":80",))
    probed[WEB2] = web2
    fleet = fleet_from(config, probed)
    marked = {(r.host, r.role): r.canary for r in fleet.roles}
    assert marked[WEB1, "web"] is True and marked[WEB2, "web"] is False
    assert f"{WEB1} runs v2 (canary), {WEB2} runs v1" in fleet.drift[0].message
    assert [r["canary"] for r in fleet.to_json()["roles"]][:2] == [True, False]
    # a marker left for a version the host no longer runs marks nothing
    probed[WEB1] = probe.parse((FIXTURES / "web_proxied.txt").read_text() + "@pykamal canary web v1\n")
    assert not any(r.canary for r in fleet_from(config, probed).roles)


def test_the_probe_lists_the_canary_markers(config: Config) -> None:
    script = probe.probe(config).shell()
    assert 'for marker in .kamal/apps/hello/canary/*; do [ -f "$marker" ]' in script
    assert probe.parse("@pykamal now 1\n@pykamal canary web v2\n").canary == {"web": "v2"}


def test_proxy_routing_to_a_stopped_container_and_an_unrouted_one(config: Config) -> None:
    probed = healthy(config)
    web1 = captured("web_proxied.txt")
    probed[WEB1] = with_container(
        with_container(web1, "hello-web-v2", state="exited"), "hello-web-v1", state="running"
    )
    fleet = fleet_from(config, probed)
    assert "routes_to_stopped" in kinds(fleet) and "unrouted" in kinds(fleet)
    row = fleet.roles[0]
    assert row.proxy is not None and row.proxy.target == "hello-web-v2" and row.proxy.target_state == "exited"
    assert not row.proxy.routes_to_current


def test_a_running_replaced_container_and_an_old_proxy_are_drift(config: Config) -> None:
    probed = healthy(config)
    web1 = captured("web_proxied.txt")
    web1 = with_container(
        web1, "hello-web-v1", name="hello-web-v1_replaced_0123456789abcdef", state="running"
    )
    probed[WEB1] = with_container(web1, "kamal-proxy", image="basecamp/kamal-proxy:v0.8.7")
    fleet = fleet_from(config, probed)
    assert sorted(kinds(fleet)) == ["proxy_outdated", "replaced_leftover"]
    assert fleet.roles[0].replaced == ("hello-web-v1_replaced_0123456789abcdef",)
    assert fleet.roles[0].other_versions == ()


def test_a_stopped_replaced_container_is_listed_but_not_drift(config: Config) -> None:
    """What a rollback to a version still on the host leaves behind, as Kamal does."""
    probed = healthy(config)
    probed[WEB1] = with_container(
        captured("web_proxied.txt"), "hello-web-v1", name="hello-web-v1_replaced_0123456789abcdef"
    )
    fleet = fleet_from(config, probed)
    assert kinds(fleet) == []
    assert fleet.roles[0].replaced == ("hello-web-v1_replaced_0123456789abcdef",)


def test_an_unreachable_host_says_why_and_the_others_still_show(config: Config) -> None:
    probed = healthy(config)
    probed[WEB2] = "could not connect to root@127.0.2.12:22: connection refused"
    fleet = fleet_from(config, probed)
    assert kinds(fleet) == ["unreachable"]
    row = next(r for r in fleet.roles if r.host == WEB2)
    assert not row.reachable and row.problem is not None and "connection refused" in row.problem
    assert [r.version for r in fleet.roles if r.host != WEB2] == ["v2", "v2"]
    host = next(h for h in fleet.to_json()["hosts"] if h["host"] == WEB2)
    assert host["reachable"] is False and "connection refused" in host["error"]


def test_docker_down_is_reported_for_the_host(config: Config) -> None:
    probed = healthy(config)
    probed[WORKER] = probe.parse(
        "@pykamal now 1796623773\n@pykamal docker error Cannot connect to the Docker daemon at "
        "unix:///var/run/docker.sock. Is the docker daemon running?\n"
    )
    fleet = fleet_from(config, probed)
    assert kinds(fleet) == ["docker"]
    assert "Cannot connect to the Docker daemon" in fleet.drift[0].message
    worker = next(r for r in fleet.roles if r.role == "worker")
    assert worker.problem is not None and "Docker does not answer" in worker.problem


def test_a_held_lock_is_decoded(config: Config) -> None:
    import base64

    text = "Locked by: Ann at 2026-12-07T06:00:00Z\nVersion: v2\nMessage: migrating"
    encoded = base64.b64encode(text.encode()).decode()
    facts = probe.parse((FIXTURES / "web_proxied.txt").read_text() + f"@pykamal lock {encoded}\n")
    probed = healthy(config)
    probed[WEB1] = facts
    fleet = fleet_from(config, probed)
    assert fleet.lock is not None
    assert (fleet.lock.host, fleet.lock.locked_by, fleet.lock.message) == (WEB1, "Ann", "migrating")
    assert fleet.lock.age == 720
    assert fleet.to_json()["lock"]["age_seconds"] == 720


def test_nothing_deployed_is_not_running() -> None:
    facts = probe.parse("@pykamal now 1\n@pykamal docker ok\n")
    assert facts.containers == [] and not facts.routes_read


def test_docker_times_with_nanoseconds() -> None:
    parsed = parse_time("2026-12-07T06:09:29.791158099Z")
    assert parsed == datetime(2026, 12, 7, 6, 9, 29, 791158, tzinfo=UTC)
    assert parse_time("0001-01-01T00:00:00Z") is None


def test_container_lines_with_missing_labels() -> None:
    line = "abc|/x|running|2026-12-07T06:09:29Z|2026-12-07T06:09:29Z|img:1|<no value>|<no value>|<no value>"
    assert probe.parse_container(line) == ContainerFacts(
        "abc", "x", "running", "2026-12-07T06:09:29Z", "2026-12-07T06:09:29Z", "img:1", "", "", ""
    )


@pytest.mark.project(
    config="service: app\nimage: app\nservers: ['127.0.0.1:1']\nbuilder:\n  arch: amd64\n"
    "registry:\n  server: registry.example\n  username: kamal\n  password: x\n"
)
def test_cli_exit_status_3_when_a_host_cannot_be_reached(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pykamal.cli import run

    assert run(["status", "--version", "v1"]) == 3
    out = capsys.readouterr().out
    assert "127.0.0.1:1" in out and "refused" in out


def test_long_versions_are_cut_so_role_and_host_keep_their_columns(config: Config) -> None:
    import io

    from rich.console import Console

    from pykamal.cli.fleet_view import status_view

    sha = "8e1b555a49edb457da07ef933f6f9cd97c4e625c_uncommitted_0123456789abcdef"
    fleet = fleet_from(config, healthy(config))
    rows = []
    for row in fleet.roles:
        proxy = row.proxy and dataclasses.replace(row.proxy, target=f"hello-{row.role}-{sha}")
        rows.append(dataclasses.replace(row, version=sha, container=f"hello-{row.role}-{sha}", proxy=proxy))
    fleet = dataclasses.replace(fleet, roles=tuple(rows))

    def shown(plain: bool) -> str:
        sink = io.StringIO()
        console = Console(file=sink, width=100, force_terminal=not plain, color_system=None)
        console.print(status_view(fleet, plain=plain))
        return sink.getvalue()

    for screen in (shown(plain=False), shown(plain=True)):
        assert "ROLE" in screen and "HOST" in screen and WEB1 in screen and "worker" in screen, screen
        assert "8e1b555…" in screen and "running -> 8e1b555…" in screen and sha not in screen
    assert fleet.to_json()["roles"][0]["version"] == sha


def test_plain_output_lines_end_where_their_text_does(config: Config) -> None:
    import io

    from pykamal.cli.fleet_view import show, status_view

    sink = io.StringIO()
    show(status_view(fleet_from(config, healthy(config)), plain=True), plain=True, stream=sink)
    lines = sink.getvalue().splitlines()
    assert any("ROLE" in line and "HOST" in line for line in lines), lines
    assert all(line == line.rstrip() for line in lines), [line for line in lines if line != line.rstrip()]
