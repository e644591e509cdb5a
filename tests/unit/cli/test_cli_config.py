"""``pykamal config``, ``docs`` and ``init``."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kamal_compare import kamal_binary, parse_kamal_yaml, parse_pykamal_yaml
from project_files import BASE

from pykamal.cli import run
from pykamal.cli.config_cmds import DOC_SECTIONS


def cli(args: list[str], capsys: Any) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_config_redacts_key_data_and_reads_no_secrets(write_config: Callable[..., str], capsys: Any) -> None:
    write_config(BASE + "ssh:\n  key_data: [SSH_KEY]\n")
    Path(".kamal").mkdir()
    Path(".kamal/secrets").write_text("SSH_KEY=$(touch ran && echo key)\n")
    code, out, err = cli(["config", "--version", "v1"], capsys)
    assert code == 0, err
    data = yaml.safe_load(out)
    assert data["ssh_options"]["key_data"] == ["[REDACTED]"]
    assert data["version"] == "v1"
    assert not Path("ran").exists()


def test_config_uses_destination_and_config_file_options(
    write_config: Callable[..., str], capsys: Any
) -> None:
    write_config(BASE)
    Path("config/deploy.eu.yml").write_text("servers: [10.9.0.1]\n")
    os.rename("config", "ops")
    code, out, err = cli(["config", "-c", "ops/deploy.yml", "-d", "eu", "--version", "v"], capsys)
    assert code == 0, err
    assert yaml.safe_load(out)["hosts"] == ["10.9.0.1"]


def test_config_error_is_one_line(write_config: Callable[..., str], capsys: Any) -> None:
    write_config(BASE + "bogus: 1\n")
    code, out, err = cli(["config", "--version", "v"], capsys)
    assert code == 1
    assert out == ""
    assert err.strip() == "ERROR unknown key: bogus"


@pytest.mark.usefixtures("project_dir")
def test_config_without_file(tmp_path: Path, capsys: Any) -> None:
    code, _out, err = cli(["config"], capsys)
    assert code == 1
    assert err.strip() == f"ERROR Configuration file not found in {tmp_path}/config/deploy.yml"


@pytest.mark.parametrize("section", DOC_SECTIONS)
def test_docs_for_every_section(section: str, capsys: Any) -> None:
    code, out, err = cli(["docs", section], capsys)
    assert code == 0, err
    assert out.startswith("# ")
    assert len(out.splitlines()) > 8


def test_docs_without_section_is_the_overview(capsys: Any) -> None:
    code, out, _err = cli(["docs"], capsys)
    assert code == 0
    assert out.startswith("# config/deploy.yml")
    for section in DOC_SECTIONS:
        if section not in ("configuration", "role", "alias", "accessory"):
            assert section in out


def test_docs_cover_every_key_of_the_schema(capsys: Any) -> None:
    from pykamal.config import schema

    def text(section: str) -> str:
        return cli(["docs", section], capsys)[1]

    pages = {
        "configuration": schema.ROOT,
        "role": schema.ROLE,
        "builder": schema.BUILDER,
        "proxy": schema.PROXY,
        "accessory": schema.ACCESSORY,
        "ssh": schema.SSH,
        "sshkit": schema.SSHKIT,
        "boot": schema.BOOT,
        "logging": schema.LOGGING,
        "output": schema.OUTPUT,
    }
    for page, fields in pages.items():
        content = text(page)
        missing = [key for key in fields.keys if key not in content]
        assert not missing, f"{page}: {missing}"
    assert all(key in text("proxy") for key in schema.PROXY_RUN.keys)
    assert "file/path" in text("output") and "otel/endpoint" in text("output")
    assert all(key in text("registry") for key in ("server", "username", "password"))


def test_unknown_docs_section(capsys: Any) -> None:
    code, out, err = cli(["docs", "nope"], capsys)
    assert code == 2
    assert out == ""
    assert err.strip() == "ERROR No documentation for 'nope'; sections: " + ", ".join(DOC_SECTIONS)


@pytest.mark.usefixtures("project_dir")
def test_init_creates_files_and_never_overwrites(capsys: Any) -> None:
    Path(".kamal/hooks").mkdir(parents=True)
    Path(".kamal/hooks/pre-build.sample").write_text("mine")
    code, out, _err = cli(["init"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert "Created config/deploy.yml" in lines
    assert "Created .kamal/secrets" in lines
    assert "Skipped .kamal/hooks/pre-build.sample (already exists)" in lines
    assert "Created .kamal/hooks/pre-deploy.sample" in lines
    assert Path(".kamal/hooks/pre-build.sample").read_text() == "mine"
    assert stat.S_IMODE(os.stat(".kamal/hooks/pre-deploy.sample").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(".kamal/secrets").st_mode) == 0o600
    hooks = sorted(p.name for p in Path(".kamal/hooks").iterdir())
    assert len(hooks) == 9

    Path("config/deploy.yml").write_text("edited")
    code, out, _err = cli(["init"], capsys)
    assert all(line.startswith("Skipped ") for line in out.splitlines())
    assert Path("config/deploy.yml").read_text() == "edited"


@pytest.mark.usefixtures("project_dir")
def test_init_template_is_a_valid_config(capsys: Any) -> None:
    cli(["init"], capsys)
    code, out, err = cli(["config", "--version", "v"], capsys)
    assert code == 0, err
    loaded = yaml.safe_load(out)
    assert loaded["repository"] == "localhost:5555/my-user/my-app"
    assert loaded["hosts"] == ["192.168.0.1"]


def _config_of(folder: Path, program: list[str]) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("VERSION", "KAMAL_DESTINATION")}
    result = subprocess.run(
        [*program, "config", "--version", "v1"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, (program, result.stderr)
    return (
        parse_kamal_yaml(result.stdout) if program == [kamal_binary()] else parse_pykamal_yaml(result.stdout)
    )


def _active_lines(path: Path) -> list[str]:
    return [
        line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


_EXAMPLE = re.compile(r"^#(\s+)([a-z_][\w-]*:|- )(.*)$")


def _example_keys(path: Path) -> list[tuple[int, str]]:
    """The commented-out settings of a file (indent, key or list item), prose comments left out."""
    keys = []
    for line in path.read_text().splitlines():
        match = _EXAMPLE.match(line)
        if match:
            indent, head, rest = match.groups()
            keys.append((len(indent), head + rest.split(" #")[0] if head == "- " else head))
    return keys


@pytest.mark.skipif(kamal_binary() is None, reason="the reference `kamal` binary is not on PATH")
def test_init_writes_what_kamal_init_writes(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    pykamal = [sys.executable, "-m", "pykamal"]
    kamal = [kamal_binary() or "kamal"]
    subprocess.run([*pykamal, "init"], cwd=ours, check=True, capture_output=True, timeout=60)
    subprocess.run([*kamal, "init"], cwd=theirs, check=True, capture_output=True, timeout=60)

    # Both tools read the file pykamal wrote, and give the values they give for Kamal's own.
    reference = _config_of(theirs, kamal)
    assert _config_of(ours, kamal) == reference
    assert _config_of(ours, pykamal) == reference
    assert _config_of(theirs, pykamal) == reference

    # Same settings, same commented-out examples (the words of the comments are our own).
    def settings(path: Path) -> list[str]:
        return [line.split("#")[0].rstrip() for line in _active_lines(path)]

    assert settings(ours / "config/deploy.yml") == settings(theirs / "config/deploy.yml")
    assert _example_keys(ours / "config/deploy.yml") == _example_keys(theirs / "config/deploy.yml")
    assert _active_lines(ours / ".kamal/secrets") == _active_lines(theirs / ".kamal/secrets") == []
    assert sorted(p.name for p in (ours / ".kamal/hooks").iterdir()) == sorted(
        p.name for p in (theirs / ".kamal/hooks").iterdir()
    )


def test_init_bundle_adds_the_gem_and_its_binstub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    calls = tmp_path / "calls"
    bundle = tools / "bundle"
    bundle.write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\n'
        'if [ "$1" = binstubs ]; then mkdir -p bin && echo "#!/bin/sh" > bin/kamal; fi\n'
    )
    bundle.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")

    code, out, err = cli(["init", "--bundle"], capsys)
    assert code == 0, err
    assert calls.read_text().splitlines() == ["add kamal", "binstubs kamal"]
    assert "Created bin/kamal" in out.splitlines()
    assert Path("config/deploy.yml").exists()

    code, out, err = cli(["init", "--bundle"], capsys)
    assert code == 0, err
    assert "Skipped bin/kamal (already exists)" in out.splitlines()
    assert calls.read_text().splitlines() == ["add kamal", "binstubs kamal"]  # not run again

    code, out, err = cli(["init", "--no-bundle"], capsys)
    assert code == 0 and "bin/kamal" not in out


@pytest.mark.usefixtures("project_dir")
def test_init_bundle_without_bundler_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _out, err = cli(["init", "--bundle"], capsys)
    assert code == 1
    assert err.strip() == "ERROR init --bundle: `bundle` not found on PATH (it comes with Ruby's bundler)"
    assert Path("config/deploy.yml").exists()  # the stubs are written first, as Kamal does
