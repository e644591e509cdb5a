"""Hostile values in every name and path field of deploy.yml: refused at load, or carried intact.

Each payload class (``;``, ``&``, ``|``, ``$()``, backticks, quotes, newline, NUL, a leading ``-``,
unicode, globs, ``..``) is put into one field at a time. Either the config is refused with one error
line naming the key, or the commands ``deploy`` / ``accessory boot`` would run (recorded by the plan's
executor) are run for real under bash and dash, with recording stubs for docker and the other
programs they call. Then no payload may have run a command (the canary file is never created), the
same programs must run as with a harmless value in the field, and every argument must be exactly the
one the harmless run received with the harmless value replaced by the payload.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzz_helpers import cli, project

from pykamal.commands.base import Quoted, _plain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "commands"))
from shell_stub import SHELLS, StubBin, shell_available

BENIGN = "zqxbenign"
CANARY_DIR = Path(tempfile.mkdtemp(prefix="pykamal-canary-"))
CANARY = CANARY_DIR / "CANARY"
TOUCH = f"touch {CANARY}"

PAYLOADS = {
    "semicolon": f"a;{TOUCH};b",
    "ampersand": f"a&{TOUCH}&b",
    "pipe": f"a|{TOUCH}|b",
    "dollar-paren": f"a$({TOUCH})b",
    "backticks": f"a`{TOUCH}`b",
    "quotes": f"a'\";{TOUCH};'\"b",
    "newline": f"a\n{TOUCH}\nb",
    "nul": "a\0b",
    "leading-dash": "--privileged",
    "unicode": "é→🚀\u202eb",
    "globs": "a*?[ab]{c..d}",
    "dotdot": "../../../etc",
}

BASE: dict[str, Any] = {
    "service": "app",
    "image": "org/app",
    "servers": {"web": ["1.1.1.1"]},
    "registry": {"server": "reg.example", "username": "u", "password": "p"},
    "builder": {"arch": "amd64"},
    "proxy": {"host": "app.example"},
    "accessories": {"db": {"image": "redis:7", "host": "1.1.1.5"}},
}
DEPLOY = ["deploy", "--skip-push", "--version", "v1"]
ACCESSORY = ["accessory", "boot", "all", "--version", "v1"]

# field -> (where the value goes, the command that uses it); the value replaces "VALUE" in the data
FIELDS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "service": ({"service": "VALUE"}, DEPLOY),
    "image": ({"image": "org/VALUE"}, DEPLOY),
    "servers (role name)": ({"servers": {"VALUE": ["1.1.1.1"]}, "primary_role": "VALUE"}, DEPLOY),
    "servers/web/hosts": ({"servers": {"web": ["VALUE"]}}, DEPLOY),
    "servers/web/labels": ({"servers": {"web": {"hosts": ["1.1.1.1"], "labels": {"k": "VALUE"}}}}, DEPLOY),
    "labels (name)": ({"labels": {"VALUE": "v"}}, DEPLOY),
    "env/clear (value)": ({"env": {"clear": {"A": "VALUE"}}}, DEPLOY),
    "env/clear (name)": ({"env": {"clear": {"VALUE": "v"}}}, DEPLOY),
    "volumes (host path)": ({"volumes": ["VALUE:/data"]}, DEPLOY),
    "volumes (absolute)": ({"volumes": ["/srv/VALUE:/data"]}, DEPLOY),
    "asset_path": ({"asset_path": "/assets/VALUE"}, DEPLOY),
    "registry/server": ({"registry": {"server": "VALUE", "username": "u", "password": "p"}}, DEPLOY),
    "registry/username": ({"registry": {"server": "r.io", "username": "VALUE", "password": "p"}}, DEPLOY),
    "proxy/host": ({"proxy": {"host": "VALUE.example"}}, DEPLOY),
    "proxy/healthcheck/path": ({"proxy": {"host": "a.example", "healthcheck": {"path": "/VALUE"}}}, DEPLOY),
    "logging/options": ({"logging": {"options": {"tag": "VALUE"}}}, DEPLOY),
    "ssh/user": ({"ssh": {"user": "VALUE"}}, DEPLOY),
    "accessories (name)": (
        {"accessories": {"db": None, "VALUE": {"image": "redis:7", "host": "1.1.1.5"}}}, ACCESSORY
    ),
    "accessories/db/service": ({"accessories": {"db": {"service": "VALUE"}}}, ACCESSORY),
    "accessories/db/image": ({"accessories": {"db": {"image": "VALUE"}}}, ACCESSORY),
    "accessories/db/port": ({"accessories": {"db": {"port": "VALUE"}}}, ACCESSORY),
    "accessories/db/network": ({"accessories": {"db": {"network": "VALUE"}}}, ACCESSORY),
    "accessories/db/volumes": ({"accessories": {"db": {"volumes": ["/srv/VALUE:/data"]}}}, ACCESSORY),
    "accessories/db/directories": ({"accessories": {"db": {"directories": ["VALUE:/data"]}}}, ACCESSORY),
    "accessories/db/labels": ({"accessories": {"db": {"labels": {"k": "VALUE"}}}}, ACCESSORY),
    "accessories/db/options": ({"accessories": {"db": {"options": {"memory": "VALUE"}}}}, ACCESSORY),
    "accessories/db/env": ({"accessories": {"db": {"env": {"clear": {"X": "VALUE"}}}}}, ACCESSORY),
}  # fmt: skip

# programs the recorded commands call: stubs record them (mkdir also makes relative folders inside
# the scratch tree, so redirections into them work); sh, touch, date and shell builtins are real
STUBBED = (
    "docker", "rm", "chmod", "chown", "cp", "mv", "ln", "cat", "tee", "find", "xargs", "grep", "tail",
    "head", "tr", "sleep", "stat", "sed", "awk", "sort", "cut", "wc", "base64", "ssh",
)  # fmt: skip
DOCKER_STUB = """#!/bin/sh
printf '%s\\0' "$#" "${0##*/}" "$@" >> "$STUB_LOG"
echo running
"""
MKDIR_STUB = """#!/bin/sh
printf '%s\\0' "$#" "${0##*/}" "$@" >> "$STUB_LOG"
for dir in "$@"; do
  case "$dir" in -*|/*|*..*) ;; *) /bin/mkdir -p -- "$dir" 2>/dev/null ;; esac
done
exit 0
"""


def _fill(template: Any, value: str) -> Any:
    if isinstance(template, dict):
        return {_fill(k, value): _fill(v, value) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, value) for v in template]
    return template.replace("VALUE", value) if isinstance(template, str) else template


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "servers":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _names_key(field: str, err: str) -> bool:
    path = field.split(" ")[0]
    if path == "servers/web/hosts" and re.search(r"\bservers/web/0: ", err):  # the role's list of hosts
        return True
    key = path.split("/")[-1]
    return key.lower().replace("_", " ") in err.lower().replace("_", " ")


def recorded_lines(field: str, value: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, list[str]]:
    """Exit status, error output and the shell lines of every remote command, in order."""
    from pykamal.cli import running
    from pykamal.remote.fake import RecordingExecutor

    executors: list[RecordingExecutor] = []
    original_init = RecordingExecutor.__init__

    def remembering_init(self: RecordingExecutor, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        executors.append(self)

    original_make = running.make_run
    monkeypatch.setattr(RecordingExecutor, "__init__", remembering_init)
    monkeypatch.setattr(
        running, "make_run", lambda c, s=None, *, plan=False, **o: original_make(c, s, plan=True, **o)
    )
    template, command = FIELDS[field]
    data = _merge(BASE, _fill(template, value))
    files = {"config/deploy.yml": yaml.safe_dump(data, allow_unicode=True), ".kamal/secrets": "S=x\n"}
    with project(files):
        outcome = cli(command)
    outcome.assert_clean(f"{field} = {value!r}")
    lines = [call.shell for ex in executors for call in ex.calls if call.kind == "run"]
    return outcome.code, outcome.err, lines


# numbers, and random hex ids: a 12-character id (container hostnames) has no digit in about one
# case in 130,000, often enough across this file's runs to need the second form
_VARYING = re.compile(r"[0-9a-f]{12,}|[0-9a-f]*[0-9][0-9a-f]*")


def _normal(text: str) -> str:
    """Times, process ids and random ids differ from run to run; nothing else may."""
    return _VARYING.sub("#", text)


def run_each(
    stubs: StubBin, shell: str, lines: list[str], value: str
) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Per line, what ran, in an order that does not depend on the value (a line may start reads
    side by side with ``&``)."""

    def key(call: tuple[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
        return call[0], tuple(_normal(a.replace(value, BENIGN)) for a in call[1])

    return [sorted(((c.program, c.args) for c in stubs.run(shell, line)), key=key) for line in lines]


@pytest.fixture(scope="module")
def stubs() -> Iterator[StubBin]:
    with tempfile.TemporaryDirectory(prefix="pykamal-payloads-") as folder:
        root = Path(folder) / "a" / "b" / "c" / "d" / "e" / "f"  # room for ../../../ to stay inside
        bin_ = StubBin(root, STUBBED)
        (bin_.bin / "docker").write_text(DOCKER_STUB)
        (bin_.bin / "mkdir").write_text(MKDIR_STUB)
        (bin_.bin / "mkdir").chmod(0o755)
        yield bin_


SHELLS_HERE = [s for s in SHELLS if shell_available(s)]
CASES = [(f, p) for f in FIELDS for p in PAYLOADS]


@pytest.mark.parametrize(("field", "payload"), CASES, ids=[f"{f}-{p}" for f, p in CASES])
def test_a_payload_is_refused_at_load_or_reaches_every_program_as_written(
    field: str, payload: str, stubs: StubBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = PAYLOADS[payload]
    code, err, lines = recorded_lines(field, value, monkeypatch)
    if code != 0:
        assert _names_key(field, err), f"{field}: {err}"
        return
    assert payload != "nul", f"{field}: a NUL byte is refused when the config is loaded"
    _, _, baseline = recorded_lines(field, BENIGN, monkeypatch)
    assert len(lines) == len(baseline), f"{field}: {len(lines)} commands, {len(baseline)} with a plain value"
    for shell in SHELLS_HERE:
        CANARY.unlink(missing_ok=True)
        expected = run_each(stubs, shell, baseline, BENIGN)
        received = run_each(stubs, shell, lines, value)
        assert not CANARY.exists(), f"{field} = {value!r} ran a command under {shell}"
        for number, (want, got) in enumerate(zip(expected, received, strict=True), 1):
            assert len(got) == len(want), f"{field} under {shell}, command {number}: other programs ran"
            for (program, args), (wanted_program, wanted_args) in zip(got, want, strict=True):
                assert program == wanted_program, f"{field} under {shell}, command {number}"
                assert _same_args(args, wanted_args, value), f"{field} under {shell}: {program} {args}"


def _same_args(got: tuple[str, ...], want: tuple[str, ...], value: str) -> bool:
    """Each argument is the harmless run's with the value in its place: as written, or, inside the
    ``KEY="value"`` words Kamal writes for labels and env, as Kamal's double quotes leave it
    (control characters as backslash escapes, the same text Docker gets from Kamal)."""
    if len(got) != len(want):
        return False
    as_kamal_quotes = _plain(Quoted(value))
    return all(
        _normal(g) in (_normal(w.replace(BENIGN, value)), _normal(w.replace(BENIGN, as_kamal_quotes)))
        for g, w in zip(got, want, strict=True)
    )
