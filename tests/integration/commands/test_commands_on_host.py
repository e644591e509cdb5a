"""The command builders' lines, sent over SSH to a real host, do what they say.

Not a deploy flow: each step runs one builder's ``shell()`` the way the remote executor will (one
SSH command per line, in the login directory) and checks the result on the host: quoting of odd
values, env files, kamal-proxy switching, maintenance, health status, version lookup, logs, exec,
accessories with files and directories, pruning and removal.
"""

from __future__ import annotations

import dataclasses
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pykamal.commands import accessory, app, builder, docker, env_file, proxy, prune
from pykamal.commands.base import Command
from pykamal.commands.logs import LogQuery
from pykamal.config.build import build_config
from pykamal.config.model import Config
from pykamal.config.validate import validate
from pykamal.sandbox.core import Sandbox
from pykamal.sandbox.docker import Docker

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello"
VERSION = "cmd1"
ODD_VALUE = 'say "hi" $HOME ${KEEP} `x` it\'s #{y} \\ end'
SECRET = "s3cret with 'quotes' \"double\" $(id) and spaces"


def ssh(
    sandbox: Sandbox, host: str, command: Command | str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    line = command.shell() if isinstance(command, Command) else command
    argv = ["ssh", "-F", str(sandbox.ssh_config_path), "-o", "BatchMode=yes", host, line]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def ok(sandbox: Sandbox, host: str, command: Command | str, stdin: str | None = None) -> str:
    result = ssh(sandbox, host, command, stdin)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def upload(sandbox: Sandbox, host: str, path: str, content: str, mode: str = "0600") -> None:
    directory = path.rsplit("/", 1)[0]
    ok(sandbox, host, f"mkdir -p {directory} && cat > {path} && chmod {mode} {path}", stdin=content)


def env_value(env_output: str, name: str) -> str:
    values = [line.split("=", 1)[1] for line in env_output.splitlines() if line.startswith(f"{name}=")]
    assert len(values) == 1, f"{name} not in {env_output}"
    return values[0]


def http_get(host: str, name: str, path: str = "/") -> tuple[int, str]:
    request = urllib.request.Request(f"http://{host}{path}", headers={"Host": name})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def make_config(sandbox: Sandbox, host: str) -> Config:
    raw: dict[str, Any] = {
        "service": "cmdtest",
        "image": "cmdtest",
        "registry": {"server": sandbox.registry, "username": "unused", "password": "unused"},
        "servers": {"web": [host], "workers": {"hosts": [host], "cmd": "/app/worker"}},
        "proxy": {"host": "cmdtest.example", "healthcheck": {"interval": 1, "timeout": 2}},
        "env": {"clear": {"ODD": ODD_VALUE}, "secret": ["APP_SECRET"]},
        "builder": {"arch": "amd64"},
        "drain_timeout": 5,
        "accessories": {
            "kv": {
                "image": "pykamal-sandbox/busybox:latest",
                "host": host,
                "cmd": "sh -c 'echo accessory up; exec sleep 600'",
                "env": {"clear": {"GREETING": "hello there"}, "secret": ["KV_PASSWORD"]},
                "files": ["kv.conf:/etc/kv.conf"],
                "directories": ["data:/data"],
            }
        },
    }
    validate(raw)
    config = build_config(raw, config_file="config/deploy.yml", destination=None, version=VERSION)
    return dataclasses.replace(config, secrets={"APP_SECRET": SECRET, "KV_PASSWORD": "kv pw"})


@pytest.fixture(scope="module")
def image(sandbox: Sandbox) -> str:
    name = f"{sandbox.registry}/cmdtest:{VERSION}"
    local = Docker()
    local.run(["build", "--quiet", "--label", "service=cmdtest", "--tag", name, str(EXAMPLE)])
    local.run(["push", name], timeout=120)
    local.run(["rmi", name], check=False)
    return name


def test_app_proxy_and_accessory_commands_on_a_real_host(
    sandbox: Sandbox, image: str, tmp_path: Path
) -> None:
    host = sandbox.hosts[0]
    sandbox.reset_hosts()
    config = make_config(sandbox, host)
    web, workers = config.role("web"), config.role("workers")
    secrets = config.secrets

    # network: created once, "already exists" recognised the second time
    ok(sandbox, host, docker.create_network())
    again = ssh(sandbox, host, docker.create_network())
    assert again.returncode != 0 and docker.network_exists(again.stderr)

    # proxy from the legacy boot settings (no proxy.run): defaults when no files exist
    assert "basecamp/kamal-proxy:v0.9.2" in ok(sandbox, host, proxy.boot_config())
    ok(sandbox, host, proxy.ensure_apps_config_directory())
    ok(sandbox, host, proxy.start_or_run(config, host))
    assert ok(sandbox, host, proxy.version()).strip() == "v0.9.2"
    assert not proxy.is_older_version("v0.9.2")

    # pull and label check
    ssh(sandbox, host, builder.clean(config))
    ok(sandbox, host, builder.pull(config))
    ok(sandbox, host, builder.validate_image(config))
    wrong = ssh(sandbox, host, builder.validate_image(dataclasses.replace(config, service="otherapp")))
    assert wrong.returncode != 0 and "is missing the 'service' label" in wrong.stdout

    # web role: env file, run, proxy switch
    ok(sandbox, host, app.ensure_env_directory(config))
    for role in (web, workers):
        path, content = env_file.role_env_file(config, role, host, secrets)
        upload(sandbox, host, path, content)
    assert ok(sandbox, host, f"stat -c %a {config.role_env_file(web)}").strip() == "600"
    ok(sandbox, host, app.run(config, web, host, hostname=app.hostname(host, "0123456789ab")))
    target = ok(sandbox, host, app.container_id_for_version(config, web)).strip()
    assert target
    ok(sandbox, host, app.deploy(config, web, target))
    assert http_get(host, "cmdtest.example", "/version") == (200, f"{VERSION}\n")

    # the container sees Kamal's variables, the odd clear value and the secret exactly
    env = ok(sandbox, host, app.execute_in_existing_container(config, web, "env"))
    assert "KAMAL_CONTAINER_NAME=cmdtest-web-cmd1" in env
    assert f"KAMAL_HOST={host}" in env
    assert f"APP_SECRET={SECRET}" in env
    odd = env_value(env, "ODD")
    home = ok(sandbox, host, 'printf %s "$HOME"')
    # as with Kamal: $HOME is kept literally, ${KEEP} expands on the host (empty here), the rest as written
    assert odd == ODD_VALUE.replace("${KEEP}", "").replace("#{y}", "\\#{y}")
    assert home not in odd
    hostname = ok(sandbox, host, app.execute_in_existing_container(config, web, "hostname")).strip()
    assert hostname == f"{host}-0123456789ab"

    # worker role without the proxy: health status, then versions
    ok(sandbox, host, app.run(config, workers, host))
    assert ok(sandbox, host, app.status(config, workers, VERSION)).strip() == "running"
    assert ok(sandbox, host, app.current_running_version(config, web)).strip() == VERSION
    ok(sandbox, host, app.tag_latest_image(config))
    assert ok(sandbox, host, app.current_running_version(config, web)).strip() == VERSION
    assert ok(sandbox, host, app.list_versions(config, workers)).split() == [VERSION]
    assert "serving" in ok(sandbox, host, app.logs(config, web, LogQuery(lines=20, grep="serving")))
    one_off = ok(sandbox, host, app.execute_in_new_container(config, web, host, "env", random_hex="abcdef"))
    assert env_value(one_off, "ODD") == odd

    # maintenance and back
    ok(sandbox, host, app.maintenance(web, drain_timeout=1, message="back soon"))
    status, body = http_get(host, "cmdtest.example")
    assert status == 503 and "back soon" in body
    ok(sandbox, host, app.live(web))
    assert http_get(host, "cmdtest.example", "/up")[0] == 200

    # accessory with a file, a directory, secrets and its own logs
    acc = config.accessory("kv")
    ok(sandbox, host, accessory.ensure_env_directory(config))
    path, content = env_file.accessory_env_file(config, acc, secrets)
    upload(sandbox, host, path, content)
    (conf,) = accessory.files(acc)
    ok(sandbox, host, accessory.make_file_directory(conf))
    upload(sandbox, host, conf.host_path, "answer=42\n", mode="0644")
    for command in accessory.file_permissions(conf):
        ok(sandbox, host, command)
    for directory in accessory.directories(acc):
        for command in accessory.create_directory(directory):
            ok(sandbox, host, command)
    assert ok(sandbox, host, accessory.info(acc, all=True, quiet=True)).strip() == ""
    ok(sandbox, host, accessory.run(config, acc, host))
    assert (
        ok(sandbox, host, accessory.execute_in_existing_container(acc, "cat /etc/kv.conf")) == "answer=42\n"
    )
    acc_env = ok(sandbox, host, accessory.execute_in_existing_container(acc, "env"))
    assert env_value(acc_env, "KV_PASSWORD") == "kv pw"
    assert env_value(acc_env, "GREETING") == "hello there"
    assert env_value(acc_env, "KAMAL_HOST") == host
    assert ok(sandbox, host, accessory.execute_in_existing_container(acc, "ls -d /data")) == "/data\n"
    assert "accessory up" in ok(sandbox, host, accessory.logs(acc))
    ok(sandbox, host, accessory.stop(acc))
    ok(sandbox, host, accessory.remove_container(acc))
    ok(sandbox, host, accessory.remove_service_directory(acc))
    assert ok(sandbox, host, "ls -a ~").count("cmdtest-kv") == 0

    # stop, prune and remove everything of the app
    ok(sandbox, host, app.remove(web))
    ok(sandbox, host, app.stop(config, web))
    ok(sandbox, host, app.stop(config, workers))
    ok(sandbox, host, prune.app_containers(config, retain=1))
    assert len(ok(sandbox, host, app.list_containers(config)).strip().splitlines()) == 2  # header + 1 kept
    ok(sandbox, host, app.remove_containers(config, None))
    ok(sandbox, host, prune.dangling_images(config))
    ok(sandbox, host, app.remove_images(config))
    assert image not in ok(sandbox, host, "docker images --format '{{.Repository}}:{{.Tag}}'")
    ok(sandbox, host, f"rm -r {config.apps_directory}")
    ok(sandbox, host, proxy.stop())
    ok(sandbox, host, proxy.remove_container())
    # Kamal finds the proxy container by the OCI title label of the upstream image
    assert ok(sandbox, host, "docker ps -a --format '{{.Names}}'").split() == []
    ok(sandbox, host, proxy.remove_image())
    assert "basecamp/kamal-proxy" not in ok(sandbox, host, "docker images --format '{{.Repository}}'")
