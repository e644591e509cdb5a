"""Accessory flows against a recording executor: which commands run where, in which order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from accessory_flow_helpers import (
    CONFIG,
    DB_PASSWORD,
    FILES,
    REGISTRY_PASSWORD,
    SECRET,
    SECRETS,
    load,
)
from flow_runs import MakeRun, go, index_of

from pykamal.commands.logs import LogQuery
from pykamal.errors import ConfigError, RemoteError, UsageError
from pykamal.flows import accessory as flows
from pykamal.remote.result import FanOutError

SEARCH_ID = re.escape("--filter 'name=^app-search$' --quiet")  # the running container's id


pytestmark = [
    pytest.mark.project(config=CONFIG, secrets=SECRETS, files=FILES),
    pytest.mark.recorded(command="accessory", skip_hooks=True),
]


def test_boot_prepares_uploads_and_runs_on_each_host(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project))
    go(flows.boot(run, "cache"))

    for host in ("h1", "h5"):
        commands = executor.commands(host)
        login = index_of(commands, "docker login registry.example.test")
        network = index_of(commands, "docker network create kamal")
        exists = index_of(commands, "docker ps -a -q --filter label=service=app-cache")
        mkdir_data = index_of(commands, "mkdir -p $PWD/app-cache/data")
        started = index_of(commands, "docker run --name app-cache")
        assert login < network < exists < mkdir_data < started
        assert "mkdir -p /srv/shared" in commands
        assert "chmod 755 app-cache/etc/kv/kv.conf" in commands
        assert "chmod 0700 app-cache/docker-entrypoint.d/init.sh" in commands
        assert "chown 1000:1000 app-cache/docker-entrypoint.d/init.sh" in commands
        assert "mkdir -p .kamal/apps/app/env/accessories" in commands
        assert any("Booted cache accessory" in c for c in commands)

        run_line = commands[started]
        for piece in (
            "--detach --restart unless-stopped --network kamal",
            "--publish 7000:7000",
            f'--env KAMAL_HOST="{host}"',
            '--env GREETING="hello there"',
            "--env-file .kamal/apps/app/env/accessories/cache.env",
            "--volume kvlogs:/logs",
            "--volume $PWD/app-cache/etc/kv/kv.conf:/etc/kv/kv.conf",
            "--volume $PWD/app-cache/data:/data",
            "--volume /srv/shared:/shared:ro",
            '--label service="app-cache" --label tier="data"',
            '--memory "64m"',
            "kv:1 /kv/serve --verbose",
        ):
            assert piece in run_line, piece

        uploads = {call.path: call for call in executor.uploads(host)}
        env_file = uploads[".kamal/apps/app/env/accessories/cache.env"]
        assert env_file.mode == 0o600
        assert env_file.data == f"KV_SECRET={SECRET}\n".encode()
        assert uploads["app-cache/etc/kv/kv.conf"].data == b"greeting=plain\n"
        assert uploads["app-cache/etc/kv/kv.conf"].mode == 0o600  # widened by chmod afterwards

    # secrets: on stdin or in 0600 files only, never on a command line or in the output
    everything = "\n".join(call.shell for call in executor.calls) + stream.getvalue()
    assert REGISTRY_PASSWORD not in everything
    assert SECRET not in everything
    login_call = next(c for c in executor.calls if "docker login" in c.display)
    assert login_call.stdin == REGISTRY_PASSWORD
    assert "--password-stdin" in login_call.display
    # db and search were not booted
    assert not executor.hosts_for("database|app-search")


def test_boot_renders_erb_files_with_the_accessory_env(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project), hosts="h1")
    go(flows.boot(run, "cache"))
    (rendered,) = [c for c in executor.uploads("h1") if c.path == "app-cache/docker-entrypoint.d/init.sh"]
    assert rendered.data == f"#!/bin/sh\necho greeting=hello there\necho secret={SECRET}\n".encode()
    assert executor.uploads("h5") == []  # -h h1: only that host


def test_boot_fails_on_a_missing_local_file_before_connecting(project: Path, make_run: MakeRun) -> None:
    config = load(project)
    (project / "config" / "kv.conf").unlink()
    run, executor, _ = make_run(config)
    with pytest.raises(ConfigError, match=r"accessories/cache/files: missing file: config/kv.conf"):
        go(flows.boot(run, "cache"))
    assert executor.calls == []


def test_boot_skips_hosts_where_the_container_exists(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project))
    executor.respond(r"docker ps -a -q --filter label=service=app-cache", host="h1", stdout="4f2c9a\n")
    go(flows.boot(run, "cache"))
    assert "Skipping booting `cache` on h1, a container already exists" in stream.getvalue()
    assert not [c for c in executor.commands("h1") if c.startswith("docker run")]
    assert executor.uploads("h1") == []
    assert [c for c in executor.commands("h5") if c.startswith("docker run --name app-cache")]


def test_boot_tolerates_an_existing_network_but_not_other_failures(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    executor.respond(
        r"docker network create kamal", exit_status=1, stderr="network with name kamal already exists"
    )
    go(flows.boot(run, "cache"))
    assert executor.hosts_for(r"^docker run --name app-cache") == ["h1", "h5"]

    run, executor, _ = make_run(load(project))
    executor.respond(r"docker network create kamal", host="h5", exit_status=1, stderr="permission denied")
    with pytest.raises(FanOutError, match="h5"):
        go(flows.boot(run, "cache"))


def test_boot_all_boots_every_accessory_under_one_lock(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project))
    executor.respond(SEARCH_ID, stdout="c0ffee\n")
    go(flows.boot(run, "all"))
    assert set(executor.hosts_for(r"^docker run --name app-cache")) == {"h1", "h5"}
    assert set(executor.hosts_for(r"^docker run --name database")) == {"h3", "h4"}
    assert executor.hosts_for(r"^docker run --name app-search") == ["h3"]
    assert stream.getvalue().count("Acquiring the deploy lock...") == 1
    lock_commands = [c for c in executor.calls if "lock-app" in c.display]
    assert {c.host for c in lock_commands} == {"h1"}  # the primary host holds the lock


def test_accessory_with_its_own_registry_logs_in_there(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    go(flows.boot(run, "db"))
    logins = [c for c in executor.calls if "docker login" in c.display]
    assert {c.host for c in logins} == {"h3", "h4"}
    assert all(c.display.startswith("docker login other.example.test -u [REDACTED]") for c in logins)
    assert {c.stdin for c in logins} == {DB_PASSWORD}
    run_line = next(c for c in executor.commands("h3") if c.startswith("docker run"))
    assert "--network backend" in run_line
    commands = executor.commands("h3")
    assert index_of(commands, "docker network create backend") < commands.index(run_line)
    assert run_line.endswith("other.example.test/mysql:8")
    assert "--publish" not in run_line


def test_proxied_accessory_registers_with_kamal_proxy(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    executor.respond(SEARCH_ID, stdout="c0ffee\n")
    go(flows.boot(run, "search"))
    commands = executor.commands("h3")
    deploy = commands[index_of(commands, "kamal-proxy deploy app-search")]
    assert index_of(commands, "docker run --name app-search") < commands.index(deploy)
    assert '--target="c0ffee:9200"' in deploy
    assert '--host="search.example.test"' in deploy
    assert '--health-check-path="/health"' in deploy


def test_proxied_accessory_without_kamal_proxy_is_a_clear_error(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    executor.respond(SEARCH_ID, stdout="c0ffee\n")
    executor.respond(r"kamal-proxy deploy", exit_status=1, stderr="Error: No such container: kamal-proxy")
    with pytest.raises(RemoteError, match=r"kamal-proxy is not running on h3: boot it first"):
        go(flows.boot(run, "search"))


def test_reboot_pulls_before_stopping_then_replaces_the_container(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project), hosts="h5")
    go(flows.reboot(run, "cache"))
    commands = executor.commands("h5")
    login = index_of(commands, "docker login")
    pull = index_of(commands, "docker image pull kv:1")
    stop = index_of(commands, "docker container stop app-cache")
    prune = index_of(commands, "docker container prune --force --filter label=service=app-cache")
    started = index_of(commands, "docker run --name app-cache")
    assert login < pull < stop < prune < started
    assert len([c for c in commands if c.startswith("docker login")]) == 1  # boot does not log in again
    assert executor.commands("h1") == []


def test_stop_and_start_of_a_proxied_accessory(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    go(flows.stop(run, "search"))
    commands = executor.commands("h3")
    assert index_of(commands, "kamal-proxy remove app-search") < index_of(
        commands, "docker container stop app-search"
    )

    run, executor, _ = make_run(load(project))
    executor.respond(SEARCH_ID, stdout="beef01\n")
    go(flows.start(run, "search"))
    commands = executor.commands("h3")
    assert index_of(commands, "docker container start app-search") < index_of(
        commands, '--target="beef01:9200"'
    )


def test_restart_stops_then_starts(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    go(flows.restart(run, "db"))
    for host in ("h3", "h4"):
        commands = executor.commands(host)
        assert index_of(commands, "docker container stop database") < index_of(
            commands, "docker container start database"
        )


def test_unknown_accessory_names_the_choices_and_runs_nothing(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    expected = r"No accessory by the name of 'redis' \(options: cache, db, and search\)"
    with pytest.raises(UsageError, match=expected):
        go(flows.boot(run, "redis"))
    with pytest.raises(UsageError):
        go(flows.start(run, "all"))  # `all` only where Kamal accepts it
    assert executor.calls == []


def test_details_all_prints_each_accessory_by_host(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project))
    listing = "CONTAINER ID   IMAGE\nab12  mysql\n"
    executor.respond(r"docker ps --filter label=service=database", stdout=listing)
    go(flows.details(run, "all"))
    text = stream.getvalue()
    for header in ("Accessory cache Host: h1", "Accessory cache Host: h5", "Accessory db Host: h3"):
        assert header in text
    assert "ab12  mysql" in text
    assert not [c for c in executor.calls if "lock" in c.display]  # read-only: no lock


def test_logs_default_and_filtered(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project), hosts="h1")
    executor.respond(r"docker logs app-cache", stdout="line one\nline two\n")
    go(flows.logs(run, "cache"))
    assert executor.commands("h1")[-1] == "docker logs app-cache --tail 100 --timestamps 2>&1"
    assert "line one\nline two" in stream.getvalue()

    run, executor, _ = make_run(load(project), hosts="h1")
    go(flows.logs(run, "cache", LogQuery(since="5m", grep="set k", timestamps=False)))
    assert executor.commands("h1")[-1] == "docker logs app-cache --since 5m 2>&1 | grep 'set k'"


def test_exec_in_new_and_existing_containers(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project), hosts="h1")
    executor.respond(r"^docker run --rm", stdout="pong\n")
    go(flows.exec_command(run, "cache", "echo pong"))
    commands = executor.commands("h1")
    new = commands[index_of(commands, "docker run --rm")]
    assert index_of(commands, "docker login") < commands.index(new)
    assert new.endswith("kv:1 echo pong")
    assert "--env-file .kamal/apps/app/env/accessories/cache.env" in new
    assert "Accessory cache Host: h1\npong" in stream.getvalue()

    run, executor, _ = make_run(load(project), hosts="h1")
    go(flows.exec_command(run, "cache", "cat /etc/kv/kv.conf", reuse=True))
    commands = executor.commands("h1")
    assert "docker exec app-cache cat /etc/kv/kv.conf" in commands
    assert not [c for c in commands if "docker login" in c]
    assert any("Executed cmd 'cat /etc/kv/kv.conf' on cache accessory" in c for c in commands)


def test_interactive_exec_and_follow_build_ssh_lines(project: Path, make_run: MakeRun) -> None:
    run, _, _ = make_run(load(project))
    argv = go(flows.interactive_exec_argv(run, "cache", "sh", reuse=True, tty=False))
    assert argv[0] == "ssh"
    assert argv[-1] == "docker exec -i app-cache sh"
    assert "root@h1" in argv

    run, _, _ = make_run(load(project), hosts="h5")
    host, argv = flows.follow_logs_argv(run, "cache", LogQuery(grep="err"))
    assert host == "h5"
    assert "root@h5" in argv
    assert argv[-1] == 'docker logs app-cache --timestamps --tail 10 --follow 2>&1 | grep "err"'


def test_remove_takes_everything_away_in_order(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    go(flows.remove(run, "cache"))
    for host in ("h1", "h5"):
        commands = executor.commands(host)
        order = [
            index_of(commands, "docker container stop app-cache"),
            index_of(commands, "docker container prune --force --filter label=service=app-cache"),
            index_of(commands, "docker image rm --force kv:1"),
            index_of(commands, "--filter dangling=true --filter reference=kv | xargs -r docker image rm"),
            index_of(commands, "rm -rf app-cache"),
            index_of(commands, "rm -f .kamal/apps/app/env/accessories/cache.env"),
        ]
        assert order == sorted(order)


def test_remove_all_covers_every_accessory(project: Path, make_run: MakeRun) -> None:
    run, executor, _ = make_run(load(project))
    go(flows.remove(run, "all"))
    assert set(executor.hosts_for(r"^rm -rf app-cache$")) == {"h1", "h5"}
    assert set(executor.hosts_for(r"^rm -rf database$")) == {"h3", "h4"}
    assert executor.hosts_for(r"^rm -rf app-search$") == ["h3"]
    assert executor.hosts_for(r"kamal-proxy remove app-search") == ["h3"]


def test_placement_by_role_tag_and_host_filters(project: Path, make_run: MakeRun) -> None:
    config = load(project)
    run, _, _ = make_run(config)
    assert flows.hosts_for(run, config.accessory("db")) == ("h3", "h4")  # role: jobs
    assert flows.hosts_for(run, config.accessory("search")) == ("h3",)  # tag: batch
    run, _, _ = make_run(config, roles="web")
    assert flows.hosts_for(run, config.accessory("cache")) == ("h1",)  # h5 belongs to no role
    assert flows.hosts_for(run, config.accessory("db")) == ()


def test_upgrade_rolling_reboots_one_host_at_a_time(project: Path, make_run: MakeRun) -> None:
    text = CONFIG.split("  db:")[0]  # only the cache accessory
    run, executor, stream = make_run(load(project, text))
    go(flows.upgrade(run, "all", rolling=True))
    out = stream.getvalue()
    assert "Upgrading all accessories on h1..." in out
    assert out.index("Upgraded all accessories on h1...") < out.index("Upgrading all accessories on h5...")
    runs = [c for c in executor.calls if c.display.startswith("docker run --name app-cache")]
    assert [c.host for c in runs] == ["h1", "h5"]
    assert out.count("Acquiring the deploy lock...") == 1


def test_registry_without_credentials_needs_no_login(project: Path, make_run: MakeRun) -> None:
    app_registry = (
        "registry:\n  server: registry.example.test\n  username: deployer\n"
        "  password: [KAMAL_REGISTRY_PASSWORD]\n"
    )
    assert app_registry in CONFIG
    text = CONFIG.replace(app_registry, "registry:\n  server: localhost:5555\n")
    run, executor, _ = make_run(load(project, text), hosts="h1")
    go(flows.boot(run, "cache"))
    assert not [c for c in executor.commands("h1") if "docker login" in c]


def test_exec_and_logs_output_masks_the_accessory_secrets(project: Path, make_run: MakeRun) -> None:
    run, executor, stream = make_run(load(project), hosts="h1")
    executor.respond(r"^docker exec app-cache", stdout=f"KV_SECRET={SECRET}\n")
    go(flows.exec_command(run, "cache", "env", reuse=True))
    assert SECRET not in stream.getvalue()
    assert "KV_SECRET=[REDACTED]" in stream.getvalue()

    run, executor, stream = make_run(load(project), hosts="h1")
    executor.respond(r"^docker logs app-cache", stdout=f"boot with {SECRET}\n")
    go(flows.logs(run, "cache"))
    assert "boot with [REDACTED]" in stream.getvalue()


def test_network_and_repository_helpers(project: Path) -> None:
    from dataclasses import replace

    from pykamal.commands.accessory import custom_network, repository_of

    db = load(project).accessory("db")
    assert custom_network(db) == "backend"
    for network in ("kamal", "host", "bridge", "none", "container:other"):
        assert custom_network(replace(db, network=network)) is None
    assert repository_of("127.0.0.1:5000/kv:latest") == "127.0.0.1:5000/kv"
    assert repository_of("127.0.0.1:5000/kv") == "127.0.0.1:5000/kv"
    assert repository_of("mysql:8@sha256:0123") == "mysql"
