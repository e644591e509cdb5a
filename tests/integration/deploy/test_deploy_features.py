"""Custom TLS certificate (0600, read by kamal-proxy), error pages and asset bridging on a real host."""

from __future__ import annotations

import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from deploy_helpers import output, push_images, pykamal

from pykamal.sandbox.core import Sandbox

pytestmark = pytest.mark.integration

DOMAIN = "app.test"


def https_get(host: str, cafile: Path, path: str = "/version") -> tuple[int, str]:
    """GET https://app.test<path> from the sandbox host's address, checking the certificate."""
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection((host, 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=DOMAIN) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
    return int(head.split()[1]), body


def make_project(root: Path, sandbox: Sandbox, host: str) -> tuple[Path, Path]:
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    (root / "errors").mkdir()
    (root / "errors" / "503.html").write_text("<h1>pykamal maintenance page</h1>\n")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={DOMAIN}",
         "-addext", f"subjectAltName=DNS:{DOMAIN}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    (root / ".kamal" / "secrets").write_text(
        f'REGISTRY_PASSWORD=sandbox\nCERT_PEM="{cert.read_text()}"\nKEY_PEM="{key.read_text()}"\n'
    )
    (root / "config" / "deploy.yml").write_text(
        "service: hello\nimage: hello\n"
        f"servers:\n  web:\n    hosts:\n      - {host}\n"
        f"proxy:\n  host: {DOMAIN}\n  app_port: 80\n  healthcheck:\n    path: /up\n    interval: 1\n"
        "  ssl:\n    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n"
        f"registry:\n  server: {sandbox.registry}\n"
        "  username: sandbox\n  password:\n    - REGISTRY_PASSWORD\n"
        "builder:\n  arch: amd64\n"
        f"ssh:\n  config: {sandbox.ssh_config_path}\n"
        "error_pages_path: errors\nasset_path: /app\n"
        "deploy_timeout: 6\ndrain_timeout: 2\n"
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.test", "-C", str(root)]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "project"], check=True)
    return root, cert


def test_tls_error_pages_and_assets(sandbox: Sandbox, tmp_path: Path) -> None:
    host = sandbox.hosts[0]
    sandbox.reset_hosts()
    try:
        push_images(sandbox, {"t1": True, "t2": True})
        project, cert = make_project(tmp_path / "hello", sandbox, host)
        result = pykamal(project, sandbox, "setup", "-P", "--version", "t1")
        assert result.returncode == 0, output(result)
        assert "BEGIN PRIVATE KEY" not in output(result)
        assert https_get(host, cert) == (200, "t1\n")

        tls = "/root/.kamal/proxy/apps-config/hello/tls/web"
        modes = sandbox.run_on_host(host, f"stat -c '%a %u' {tls}/cert.pem {tls}/key.pem").stdout.split("\n")
        proxy_uid = sandbox.run_on_host(
            host, "stat -c %u /proc/$(docker inspect --format '{{.State.Pid}}' kamal-proxy)"
        ).stdout.strip()
        assert modes[:2] == [f"600 {proxy_uid}", f"600 {proxy_uid}"] and proxy_uid != "0"

        result = pykamal(project, sandbox, "deploy", "-P", "--version", "t2")
        assert result.returncode == 0, output(result)
        assert https_get(host, cert) == (200, "t2\n")
        assets = sandbox.run_on_host(host, "ls /root/.kamal/apps/hello/assets/volumes/").stdout.split()
        assert assets == ["web-t2"]  # the old version's copy is cleaned up once t2 is live
        in_volume = sandbox.run_on_host(host, "ls /root/.kamal/apps/hello/assets/volumes/web-t2").stdout
        assert "web" in in_volume.split() and "worker" in in_volume.split()

        result = pykamal(project, sandbox, "app", "maintenance")
        assert result.returncode == 0, output(result)
        status, body = https_get(host, cert)
        assert status == 503 and "pykamal maintenance page" in body
        pages = sandbox.run_on_host(
            host, "ls /root/.kamal/proxy/apps-config/hello/error_pages"
        ).stdout.split()
        assert pages == ["t2"]
        assert pykamal(project, sandbox, "app", "live").returncode == 0
        assert https_get(host, cert) == (200, "t2\n")
    finally:
        sandbox.reset_hosts()
