"""Failures that explain themselves: the cause, the container's state and one hint, from the raw report."""

from __future__ import annotations

import io

from pykamal.commands.app import HEALTH_MARK, PROXY_CHECK_MARK, STATE_MARK
from pykamal.config.model import ProxyConfig, Role
from pykamal.flows import diagnosis
from pykamal.remote.output import Output

WEB = Role("web", ("h1", "h2"), service="app", proxy=ProxyConfig(app_port=3000, healthcheck_path="/nope"))
WORKER = Role("worker", ("h3",), service="app")


def report(host: str, *, logs: str, state: str, proxy: str = "", role: Role = WEB) -> diagnosis.BootReport:
    check = f'{{"level":"INFO","msg":"Healthcheck failed","error":"{proxy}"}}' if proxy else ""
    stdout = f"{logs}\n{HEALTH_MARK}\nnull\n{STATE_MARK}\n{state}\n{PROXY_CHECK_MARK}\n{check}\n"
    return diagnosis.parse_report(
        host, role, f"app-{role.name}-v2", "target failed to become healthy", stdout
    )


def test_a_404_health_check_names_the_path_and_the_setting() -> None:
    found = report("h1", logs="listening", state="running 0 false false", proxy="unexpected status (404)")
    assert found.what == "health check GET /nope on port 3000 answered 404"
    assert found.hint == "health check GET /nope answered 404: is proxy.healthcheck.path right?"


def test_refused_and_timed_out_health_checks() -> None:
    refused = report("h1", logs="", state="running 0 false false", proxy="dial tcp: connection refused")
    assert refused.what == "health check GET /nope on port 3000: connection refused"
    assert "proxy.app_port" in refused.hint
    slow = report("h1", logs="", state="running 0 false false", proxy="healthcheck request timed out")
    assert slow.what == "health check GET /nope on port 3000 timed out"
    assert "proxy.healthcheck.timeout" in slow.hint


def test_the_container_state_comes_first_when_it_stopped() -> None:
    exited = report("h1", logs="boom", state="exited 3 false false", proxy="connection refused")
    assert exited.what == "the container exited with code 3"
    oom = report("h1", logs="", state="exited 137 true false")
    assert oom.what == "the container was killed for lack of memory (OOM, exit code 137)"
    assert "servers/web/options/memory" in oom.hint
    worker = report("h3", logs="bye", state="exited 1 false false", role=WORKER)
    assert "exited during its readiness delay" in worker.hint


def test_log_lines_are_shown_once_where_the_hosts_agree() -> None:
    stream = io.StringIO()
    output = Output("info", stream=stream, err_stream=stream)
    first = report("h2", logs="ready on 10.0.0.2:41\nGET /nope 404", state="running 0 false false",
                   proxy="unexpected status (404)")  # fmt: skip
    second = report("h1", logs="ready on 10.0.0.1:77\nGET /nope 404", state="running 0 false false",
                    proxy="unexpected status (404)")  # fmt: skip
    diagnosis.show(output, [first, second])
    text = stream.getvalue()
    assert "ERROR web failed on h1, h2: health check GET /nope on port 3000 answered 404" in text
    assert text.count("GET /nope 404") == 1
    assert "Last 2 log lines of app-web-v2 on h1 (the same on 1 more):" in text
    assert text.count("Hint: ") == 1


def test_an_accessory_that_will_not_start_names_the_setting() -> None:
    from pykamal.config.model import Accessory
    from pykamal.flows.accessory import start_failure

    db = Accessory(name="db", service="app-db", image="mysql:8", hosts=("h1",), port="3306:3306")
    taken = "docker: Error response from daemon: Bind for 0.0.0.0:3306 failed: port is already allocated."
    assert start_failure(db, taken).startswith("accessory db did not start: port 3306:3306 is taken")
    assert start_failure(db, taken).endswith("free it or change accessories/db/port")
    missing = "docker: Error response from daemon: manifest unknown."
    assert "check accessories/db/image" in start_failure(db, missing)
