"""App, proxy and prune flows on a recording executor: files, TLS, maintenance, removal, pruning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from deploy_flow_helpers import CONFIG, Project, host_state, printed, scripted
from flow_runs import go

from pykamal.commands.logs import LogQuery
from pykamal.errors import UsageError
from pykamal.flows import app as app_flow
from pykamal.flows import app_boot, prune
from pykamal.flows import proxy as proxy_flow

CERT = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n"

TLS_CONFIG = (
    CONFIG.replace(
        "proxy:\n  app_port: 3000\n",
        "proxy:\n  app_port: 3000\n  host: app.example.test\n  ssl:\n"
        "    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n",
    )
    + "error_pages_path: public/errors\nasset_path: /app/public/assets\n"
)


@pytest.fixture
def tls_project(tmp_path: Path) -> Project:
    project = Project(tmp_path, TLS_CONFIG)
    secrets = project.root / ".kamal" / "secrets"
    secrets.write_text(secrets.read_text() + f'CERT_PEM="{CERT}"\nKEY_PEM="{KEY}"\n')
    pages = project.root / "public" / "errors"
    pages.mkdir(parents=True)
    (pages / "404.html").write_text("<h1>missing</h1>")
    (pages / "502.html").write_text("<h1>down</h1>")
    (pages / "readme.txt").write_text("not a page")
    return project


def test_tls_certificate_and_key_are_uploaded_0600_and_handed_to_the_proxy_user(tls_project: Project) -> None:
    run = tls_project.run(hosts="h1")
    executor = scripted(
        run.executor, {"h1": host_state([("app-web-v1", "web", "running", "v1")], latest="v1")}
    )  # type: ignore[arg-type]
    go(app_boot.boot(run))
    uploads = {c.path: c for c in executor.uploads("h1")}
    cert = uploads[".kamal/proxy/apps-config/app/tls/web/cert.pem"]
    key = uploads[".kamal/proxy/apps-config/app/tls/web/key.pem"]
    assert (cert.mode, key.mode) == (0o600, 0o600)
    assert cert.data == CERT.encode() and key.data == KEY.encode()
    commands = executor.commands("h1")
    chown = next(c for c in commands if "chown" in c)
    assert "/proc/$pid" in chown and "tls/web/key.pem" in chown
    boot = next(c for c in commands if "docker run --detach" in c)
    assert '--tls-certificate-path="/home/kamal-proxy/.apps-config/app/tls/web/cert.pem"' in boot
    assert "KEY" not in "\n".join(commands) and "MIIBkey" not in printed(run)


def test_error_pages_and_assets_are_ready_before_booting(tls_project: Project) -> None:
    run = tls_project.run(hosts="h1")
    executor = scripted(
        run.executor, {"h1": host_state([("app-web-v1", "web", "running", "v1")], latest="v1")}
    )  # type: ignore[arg-type]
    go(app_boot.boot(run))
    pages = sorted(c.path or "" for c in executor.uploads("h1") if "error_pages" in (c.path or ""))
    assert pages == [
        ".kamal/proxy/apps-config/app/error_pages/v2/404.html",
        ".kamal/proxy/apps-config/app/error_pages/v2/502.html",
    ]
    commands = executor.commands("h1")
    prepare = next(c for c in commands if "docker container cp" in c)
    assert "assets/extracted/web-v2" in prepare and "assets/volumes/web-v1" in prepare
    assert commands.index(prepare) < next(i for i, c in enumerate(commands) if "docker run --detach" in c)
    final = commands[-1]
    assert "docker tag" in final and "-name 'web-*'" in final and "error_pages" in final


def test_app_boot_without_a_version_boots_the_latest_tag(tmp_path: Path) -> None:
    project = Project(tmp_path)
    run = project.run(hosts="h1", roles="web", command="app", subcommand="boot")
    run = dataclasses.replace(run, config=dataclasses.replace(run.config, version=None))
    executor = scripted(run.executor)  # type: ignore[arg-type]
    go(app_flow.boot(run))
    boot = next(c for c in executor.commands("h1") if "docker run --detach" in c)
    assert "--name app-web-latest " in boot and "registry.example.test/team/app:latest " in boot


def test_maintenance_and_live_only_touch_proxy_roles(tmp_path: Path) -> None:
    run = Project(tmp_path).run(command="app")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    go(app_flow.maintenance(run, message="Back soon"))
    go(app_flow.live(run))
    stops = [(c.host, c.display) for c in executor.calls if "kamal-proxy stop" in c.display]
    assert sorted(h for h, _ in stops) == ["h1", "h2"]
    assert 'kamal-proxy stop app-web --drain-timeout="4s" --message="Back soon"' in stops[0][1]
    assert sorted(executor.hosts_for("kamal-proxy resume app-web")) == ["h1", "h2"]


def test_app_stop_removes_from_proxy_then_stops(tmp_path: Path) -> None:
    run = Project(tmp_path).run(hosts="h2", command="app")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    go(app_flow.stop(run))
    web, worker = (c for c in executor.commands("h2") if "Stopped app" in c)
    assert "kamal-proxy remove app-web" in web and web.index("remove app-web") < web.index("docker stop")
    assert "kamal-proxy" not in worker and "docker stop -t 4" in worker


def test_exec_rejects_detach_with_interactive_or_reuse(tmp_path: Path) -> None:
    run = Project(tmp_path).run(command="app")
    with pytest.raises(UsageError, match="Detach is not compatible with interactive or reuse"):
        go(app_flow.exec_(run, "ls", interactive=True, reuse=True, detach=True))
    with pytest.raises(UsageError, match="No command provided"):
        go(app_flow.exec_(run, "  "))


def test_exec_in_new_containers_logs_in_and_runs_on_every_role(tmp_path: Path) -> None:
    run = Project(tmp_path).run(command="app")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    executor.respond(r"docker run --rm", stdout="done\n")
    go(app_flow.exec_(run, "bin/migrate", env=[("STEP", "1")]))
    assert sorted(executor.hosts_for(r"^docker login")) == ["h1", "h2", "h3"]
    runs = [c for c in executor.commands() if c.startswith("docker run --rm")]
    assert len(runs) == 4 and all('--env STEP="1"' in c and c.endswith("bin/migrate") for c in runs)


def test_app_remove_leaves_images_on_hosts_that_keep_other_roles(tmp_path: Path) -> None:
    run = Project(tmp_path).run(roles="worker", command="app")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    go(app_flow.remove(run))
    assert executor.hosts_for(r"docker image prune --all --force --filter label=service=app") == ["h3"]
    assert sorted(executor.hosts_for(r"docker container prune --force .*label=role=worker")) == ["h2", "h3"]


def test_proxy_reboot_rolling_runs_hooks_per_host(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.add_hooks("pre-proxy-reboot", "post-proxy-reboot")
    run = project.run(command="proxy", subcommand="reboot")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    go(proxy_flow.reboot(run, rolling=True, confirmed=True))
    assert [(n, e["KAMAL_HOSTS"]) for n, e in project.hook_runs()] == [
        ("pre-proxy-reboot", "h1"),
        ("post-proxy-reboot", "h1"),
        ("pre-proxy-reboot", "h2"),
        ("post-proxy-reboot", "h2"),
    ]
    reboot = next(c for c in executor.commands("h1") if "Rebooted proxy" in c)
    assert "docker container stop kamal-proxy" in reboot and "xargs docker run --name kamal-proxy" in reboot
    assert not executor.commands("h3")


def test_proxy_remove_refuses_while_other_apps_are_installed(tmp_path: Path) -> None:
    run = Project(tmp_path).run(command="proxy")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    executor.respond(r"ls .kamal/apps", stdout="2\n")
    go(proxy_flow.remove(run))
    assert not executor.hosts_for("docker container stop kamal-proxy")
    assert "Not removing the proxy, as other apps are installed" in printed(run)
    go(proxy_flow.remove(run, force=True))
    assert sorted(executor.hosts_for("docker container stop kamal-proxy")) == ["h1", "h2"]


def test_prune_keeps_retain_containers_and_checks_it(tmp_path: Path) -> None:
    run = Project(tmp_path).run(command="prune")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    go(prune.containers(run, 3))
    assert all("tail -n +4" in c for c in executor.commands() if "docker ps -q -a" in c)
    assert len([c for c in executor.commands() if "Pruned containers" in c]) == 3
    with pytest.raises(UsageError, match="retain must be at least 1"):
        go(prune.containers(run, 0))


def test_follow_logs_run_the_host_pipeline_through_a_local_ssh_on_the_primary_host(tmp_path: Path) -> None:
    run = Project(tmp_path, CONFIG).run()
    app_argv = app_flow.follow_logs_argv(run, LogQuery(grep="boom"))
    assert "root@h1" in app_argv and "-t" in app_argv
    assert app_argv[-1].endswith('xargs docker logs --timestamps --follow 2>&1 | grep "boom"')
    proxy_argv = proxy_flow.follow_logs_argv(run, LogQuery(timestamps=False))
    assert "root@h1" in proxy_argv
    assert proxy_argv[-1] == "docker logs kamal-proxy --tail 10 --follow 2>&1"


def test_exec_raw_writes_only_what_each_host_printed(tmp_path: Path) -> None:
    run = Project(tmp_path).run(hosts="h1", command="app")
    executor = scripted(run.executor)  # type: ignore[arg-type]
    executor.respond(r"docker run --rm", stdout="  line one\n\n")
    go(app_flow.exec_(run, "cat report", raw=True))
    out = run.output.stream.getvalue()  # type: ignore[attr-defined]
    assert out.endswith("  line one\n\n")  # not stripped, no "App Host:" header
    assert "App Host" not in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interactive": True}, "Raw is not compatible with interactive"),
        ({"detach": True}, "Raw is not compatible with detach"),
        ({"interactive": True, "detach": True}, "Detach is not compatible with interactive"),  # Kamal's order
    ],
)
def test_exec_raw_refuses_interactive_and_detach(
    tmp_path: Path, options: dict[str, bool], message: str
) -> None:
    run = Project(tmp_path).run(command="app")
    with pytest.raises(UsageError, match=message):
        go(app_flow.exec_(run, "ls", raw=True, **options))
