"""Accessories on sandbox hosts, driven through the real ``pykamal`` CLI.

The tests run in file order and share one deployed project (see conftest.py): boot, use from the
app container, reboot onto a new image, exec, logs, stop/start, the proxied accessory, removal.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from accessory_project import KV_REGISTRY_PASSWORD, KV_SECRET, PROXY_HOST, VERSION, Project

pytestmark = pytest.mark.integration

KV_ENV_FILE = ".kamal/apps/hello/env/accessories/kv.env"


def app_container(project: Project) -> str:
    names = project.on_host(project.app_host, "docker ps --filter label=service=hello --format '{{.Names}}'")
    (name,) = names.split()
    return name


def from_app(project: Project, path: str) -> str:
    """GET http://hello-kv:7000<path> from inside the app container (the host's kamal network)."""
    container = app_container(project)
    return project.on_host(
        project.app_host, f"docker exec {container} wget -qO- 'http://hello-kv:7000{path}'"
    )


def proxied_get(project: Project, path: str, timeout: float = 3) -> tuple[int, str]:
    request = urllib.request.Request(f"http://{project.proxy_host}{path}", headers={"Host": PROXY_HOST})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def inspect(project: Project, host: str, container: str) -> dict:  # type: ignore[type-arg]
    return json.loads(project.on_host(host, f"docker inspect {container}"))[0]


def test_boot_all_starts_both_accessories_with_every_setting(project: Project) -> None:
    host = project.app_host
    project.sandbox.clear_command_log(host)
    result = project.pykamal("accessory", "boot", "all")
    output = result.stdout + result.stderr
    for secret in (KV_SECRET, KV_REGISTRY_PASSWORD):
        assert secret not in output
        assert not [line for line in project.sandbox.command_log(host) if secret in line]
    assert "docker login" in output and "--password-stdin" in output

    info = inspect(project, host, "hello-kv")
    assert info["State"]["Running"]
    assert info["Config"]["Image"] == f"{project.sandbox.registry}/pykamal-test-kv:latest"
    assert info["Config"]["Labels"]["service"] == "hello-kv"
    assert info["Config"]["Labels"]["tier"] == "data"
    assert info["Config"]["Hostname"] == "kv-box"
    assert info["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert list(info["NetworkSettings"]["Networks"]) == ["kamal"]
    assert info["Config"]["Cmd"] == ["/kv/serve"]
    env = info["Config"]["Env"]
    assert f"KAMAL_HOST={host}" in env and "GREETING=hello from erb" in env
    assert f"KV_SECRET={KV_SECRET}" in env  # from the env file, not from the command line

    # files (the .erb one rendered with the accessory's env), directories and the env file
    home = "/root"
    assert project.on_host(host, f"cat {home}/hello-kv/etc/kv/kv.conf") == (
        "# rendered by pykamal\ngreeting=hello from erb\nsecret=present\n"
    )
    assert project.on_host(host, f"stat -c %a {home}/hello-kv/etc/kv/kv.conf").strip() == "755"
    assert project.on_host(host, f"stat -c %a {home}/hello-kv/etc/kv/notes.txt").strip() == "640"
    assert project.on_host(host, f"test -d {home}/hello-kv/data && echo dir").strip() == "dir"
    assert project.on_host(host, f"stat -c %a {home}/{KV_ENV_FILE}").strip() == "600"
    assert project.on_host(host, f"cat {home}/{KV_ENV_FILE}") == f"KV_SECRET={KV_SECRET}\n"

    # the published port answers on the host's loopback
    assert project.on_host(host, "curl -s http://127.0.0.1:7001/up").strip() == "OK"
    # kvweb went to the second host only
    assert project.on_host(project.proxy_host, "docker ps -q --filter label=service=hello-kvweb").strip()
    assert not project.on_host(host, "docker ps -aq --filter label=service=hello-kvweb").strip()


def test_app_container_reaches_the_accessory_over_the_kamal_network(project: Project) -> None:
    assert from_app(project, "/cgi-bin/kv?set=visits&v=forty%20two").strip() == "stored visits"
    assert from_app(project, "/cgi-bin/kv?get=visits").strip() == "forty two"
    info = from_app(project, "/cgi-bin/kv?info").strip()
    assert info == f"release=1 host={project.app_host} greeting=hello from erb secret_set=yes"


def test_boot_again_skips_the_host_with_a_container(project: Project) -> None:
    result = project.pykamal("accessory", "boot", "kv")
    assert f"Skipping booting `kv` on {project.app_host}, a container already exists" in result.stdout


def test_reboot_pulls_the_new_image_before_stopping_and_keeps_data(project: Project) -> None:
    host = project.app_host
    old_id = project.on_host(host, "docker inspect -f '{{.Id}}' hello-kv").strip()
    project.push_kv("2")
    project.sandbox.clear_command_log(host)
    project.pykamal("accessory", "reboot", "kv")

    log = project.sandbox.command_log(host)
    pull = next(i for i, c in enumerate(log) if "docker image pull" in c and "pykamal-test-kv" in c)
    stop = next(i for i, c in enumerate(log) if "docker container stop hello-kv" in c)
    run = next(i for i, c in enumerate(log) if c.startswith("docker run --name hello-kv"))
    assert pull < stop < run
    assert project.on_host(host, "docker inspect -f '{{.Id}}' hello-kv").strip() != old_id
    assert from_app(project, "/cgi-bin/kv?info").startswith("release=2 ")
    assert from_app(project, "/cgi-bin/kv?get=visits").strip() == "forty two"  # the data directory stayed


def test_exec_in_new_and_running_containers(project: Project) -> None:
    result = project.pykamal("accessory", "exec", "kv", "--reuse", "cat /etc/kv/kv.conf")
    assert f"Accessory kv Host: {project.app_host}" in result.stdout
    assert "greeting=hello from erb" in result.stdout

    result = project.pykamal("accessory", "exec", "kv", "sh -c 'echo release=$KV_RELEASE on $(hostname)'")
    assert "release=2 on kv-box" in result.stdout  # a new container with the accessory's options
    containers = project.on_host(project.app_host, "docker ps -a --format '{{.Names}} {{.Image}}'")
    using_kv = [line.split()[0] for line in containers.splitlines() if "pykamal-test-kv" in line]
    assert using_kv == ["hello-kv"]  # the exec container was removed (--rm)

    secret = project.pykamal("accessory", "exec", "kv", "--reuse", "sh -c 'echo $KV_SECRET'")
    assert KV_SECRET not in secret.stdout + secret.stderr
    assert "[REDACTED]" in secret.stdout

    aliased = project.pykamal("kv-conf", "-q")  # options after the alias apply to its command
    assert aliased.stdout.strip() == "# rendered by pykamal\ngreeting=hello from erb\nsecret=present"
    aliased = project.pykamal("-q", "app-version")  # an alias of `app exec`
    assert aliased.stdout.strip() == VERSION


def test_logs_and_the_logs_alias(project: Project) -> None:
    result = project.pykamal("accessory", "logs", "kv")
    assert "kv release 2 starting on port 7000" in result.stdout
    assert re.search(r"^\d{4}-\d\d-\d\dT", result.stdout, re.M)  # timestamps by default

    grepped = project.pykamal("accessory", "logs", "kv", "--grep", "starting", "-T")
    lines = [line for line in grepped.stdout.splitlines() if "kv release" in line]
    assert lines and all(line.startswith("kv release") for line in lines)

    aliased = project.pykamal("kv-logs")
    assert "kv release 2 starting" in aliased.stdout


def test_interactive_exec_and_follow_run_over_local_ssh(project: Project) -> None:
    result = project.pykamal("accessory", "exec", "kv", "-i", "--reuse", "cat /etc/kv/kv.conf", input="")
    assert "greeting=hello from erb" in result.stdout
    result = project.pykamal(
        "accessory", "exec", "kv", "--interactive", "sh -c 'echo new-$KV_RELEASE'", input=""
    )
    assert "new-2" in result.stdout

    process = subprocess.Popen(
        [*project.pykamal_argv(), "accessory", "logs", "kv", "--follow"],
        cwd=project.root, env=project.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True)
    reader.start()
    seen: list[str] = []

    def wait_for_line(text: str) -> None:
        deadline = time.monotonic() + 60
        while not any(text in line for line in seen):
            assert time.monotonic() < deadline, f"no {text!r} in: " + "".join(seen)
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert process.poll() is None, "".join(seen)

    try:
        wait_for_line("Following logs on")
        time.sleep(1)  # let docker logs attach before the new line is written
        from_app(project, "/cgi-bin/kv?set=followed&v=1")
        wait_for_line("kv: set followed")  # a line written after following began
        assert process.poll() is None  # still following
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_details_stop_start_restart(project: Project) -> None:
    host = project.app_host
    details = project.pykamal("accessory", "details", "all")
    assert f"Accessory kv Host: {host}" in details.stdout
    assert f"Accessory kvweb Host: {project.proxy_host}" in details.stdout
    assert "hello-kv" in details.stdout

    project.pykamal("accessory", "stop", "kv")
    assert project.on_host(host, "docker inspect -f '{{.State.Running}}' hello-kv").strip() == "false"
    project.pykamal("accessory", "start", "kv")
    assert project.on_host(host, "docker inspect -f '{{.State.Running}}' hello-kv").strip() == "true"
    started = project.on_host(host, "docker inspect -f '{{.State.StartedAt}}' hello-kv")
    project.pykamal("accessory", "restart", "kv")
    assert project.on_host(host, "docker inspect -f '{{.State.StartedAt}}' hello-kv") != started
    assert from_app(project, "/up").strip() == "OK"


def wait_for(check, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.3)


def test_proxied_accessory_answers_through_kamal_proxy(project: Project) -> None:
    status, body = proxied_get(project, "/cgi-bin/kv?info")
    assert status == 200
    assert body.startswith("release=2 host=") or body.startswith("release=1 host=")
    assert f"host={project.proxy_host}" in body
    services = project.on_host(project.proxy_host, "docker exec kamal-proxy kamal-proxy list")
    assert "hello-kvweb" in services

    project.pykamal("accessory", "stop", "kvweb")
    assert proxied_get(project, "/up")[0] != 200
    assert "hello-kvweb" not in project.on_host(
        project.proxy_host, "docker exec kamal-proxy kamal-proxy list"
    )

    project.pykamal("accessory", "start", "kvweb")
    wait_for(lambda: proxied_get(project, "/up")[0] == 200)

    project.pykamal("accessory", "reboot", "kvweb")  # picks up release 2, re-registered with the proxy
    status, body = proxied_get(project, "/cgi-bin/kv?info")
    assert status == 200 and body.startswith("release=2 ")


def test_unknown_accessory_is_an_error(project: Project) -> None:
    result = project.pykamal("accessory", "boot", "redis", check=False)
    assert result.returncode != 0
    assert "No accessory by the name of 'redis' (options: kv and kvweb)" in result.stderr


def test_remove_leaves_nothing_behind(project: Project) -> None:
    declined = project.pykamal("accessory", "remove", "kv", input="n\n")
    assert "Are you sure?" in declined.stdout and "Aborted" in declined.stdout
    assert project.on_host(project.app_host, "docker ps -q --filter label=service=hello-kv").strip()

    project.pykamal("accessory", "remove", "all", "-y")
    for host, service in ((project.app_host, "hello-kv"), (project.proxy_host, "hello-kvweb")):
        assert project.on_host(host, f"docker ps -aq --filter label=service={service}").strip() == ""
        images = project.on_host(host, "docker images --format '{{.Repository}}'")
        assert "pykamal-test-kv" not in images
        assert project.on_host(host, f"ls -a /root/{service} 2>/dev/null || echo gone").strip() == "gone"
        env_files = project.on_host(host, "ls /root/.kamal/apps/hello/env/accessories/ 2>/dev/null || true")
        assert env_files.strip() == ""
    assert "hello-kvweb" not in project.on_host(
        project.proxy_host, "docker exec kamal-proxy kamal-proxy list"
    )
    assert proxied_get(project, "/up")[0] != 200
    # the app itself is untouched
    assert app_container(project).startswith("hello-web-")
    assert VERSION in app_container(project)
