"""The AWS Secrets Manager adapter with the real `aws` CLI against moto's server on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from secrets_helpers import TRICKY, cli_secrets, json_dump, write_secrets

from pykamal.cli import run

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")
AWS_BIN = Path(sys.executable).parent / "aws"
if not AWS_BIN.exists() and shutil.which("aws") is None:
    pytest.skip("the aws CLI (dev extra `awscli`) is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _seed(endpoint)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _client(endpoint: str, region: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _seed(endpoint: str) -> None:
    east = _client(endpoint, "us-east-1")
    east.create_secret(Name="myapp/prod", SecretString=json.dumps({"DB_PASSWORD": TRICKY, "API_KEY": "k-1"}))
    east.create_secret(Name="plain-secret", SecretString=TRICKY)
    east.create_secret(Name="json-scalar", SecretString="12345")
    for n in range(25):
        east.create_secret(Name=f"bulk/s{n:02d}", SecretString=f"v{n}")
    _client(endpoint, "eu-west-1").create_secret(Name="eu-only", SecretString="from eu")


@pytest.fixture
def aws_env(moto_endpoint: str, tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\n\n[profile eu]\nregion = eu-west-1\n")
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n\n"
        "[eu]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("PATH", os.pathsep.join([str(AWS_BIN.parent), "/usr/bin", "/bin"]))


def fetch(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["secrets", "fetch", "-a", "aws_secrets_manager", *args])
    captured = capfd.readouterr()
    return code, captured.out, captured.err


def test_json_and_plain_secrets(aws_env: None, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = fetch(capfd, "myapp/prod", "plain-secret", "json-scalar")
    assert code == 0, err
    assert (
        out
        == json_dump(
            {
                "myapp/prod/DB_PASSWORD": TRICKY,
                "myapp/prod/API_KEY": "k-1",
                "plain-secret": TRICKY,
                "json-scalar": "12345",
            }
        )
        + "\n"
    )


def test_from_prefix(aws_env: None, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = fetch(capfd, "--from", "myapp", "prod")
    assert code == 0, err
    assert json.loads(out) == {"myapp/prod/DB_PASSWORD": TRICKY, "myapp/prod/API_KEY": "k-1"}


def test_account_is_the_profile(aws_env: None, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = fetch(capfd, "--account", "eu", "eu-only")
    assert code == 0, err
    assert json.loads(out) == {"eu-only": "from eu"}
    code, out, err = fetch(capfd, "eu-only")  # the default profile's region does not have it
    assert (code, out) == (1, "")
    assert "  ERROR eu-only: " in err


def test_more_secrets_than_one_call_accepts(aws_env: None, capfd: pytest.CaptureFixture[str]) -> None:
    names = [f"bulk/s{n:02d}" for n in range(25)]
    code, out, err = fetch(capfd, *names)
    assert code == 0, err
    assert json.loads(out) == {name: f"v{n}" for n, name in enumerate(names)}


def test_unknown_secrets_are_reported_together(aws_env: None, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = fetch(capfd, "unknown1", "plain-secret", "unknown2")
    assert (code, out) == (1, "")
    [line] = [line for line in err.splitlines() if line.startswith("  ERROR")]
    assert line.startswith("  ERROR unknown1: ")
    assert " unknown2: " in line
    assert "Secrets Manager can" in line


def test_missing_credentials(
    aws_env: None, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    code, out, err = fetch(capfd, "plain-secret")
    assert (code, out) == (1, "")
    assert "  ERROR Could not read plain-secret from AWS Secrets Manager" in err


def test_through_secrets_file(aws_env: None) -> None:
    write_secrets(
        "SECRETS=$(kamal secrets fetch --adapter aws_secrets_manager myapp/prod plain-secret)\n"
        "DB_PASSWORD=$(kamal secrets extract DB_PASSWORD ${SECRETS})\n"
        "PLAIN=$(pykamal secrets extract plain-secret $SECRETS)\n"
    )
    secrets = cli_secrets()
    assert secrets.get("DB_PASSWORD") == TRICKY
    assert secrets.get("PLAIN") == TRICKY
    assert not Path("pwned").exists()
