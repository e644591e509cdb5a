"""Property: any .kamal/secrets text gives values or one ERROR line — never a traceback.

Files are built from dotenv pieces (keys, ``export``, quotes of every kind, escapes, ``$VAR`` and
``${VAR}`` references, comments, blank lines) plus a fixed set of harmless ``$(...)`` substitutions
(``echo``, ``printf``, ``false``, ``exit 3``). Random characters never include ``(``, a backtick or
shell operators, so no generated text can form any other command. Each file is read by the loader
(``Secrets.all``) and through the CLI in this process (``secrets print``, and ``config`` and
``deploy --plan`` of a deploy.yml whose registry password and env secret come from the file).
"""

from __future__ import annotations

import pytest
from fuzz_helpers import cli, note, project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykamal.errors import PykamalError
from pykamal.secrets import Secrets

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DEPLOY_YML = """service: app
image: team/app
servers:
  web:
    - 10.0.0.1
registry:
  username: user
  password:
    - REGISTRY_TOKEN
env:
  secret:
    - DB_PASSWORD
builder:
  arch: amd64
"""

# no "(", "`", ";", "|", "&", "<", ">" : random text cannot start or extend a command substitution
SAFE_CHARS = "abxyzAB_019 =#'\"\\${}:.-\t/é"
SUBSTITUTIONS = [
    "$(echo ok)", '$(printf %s "$REGISTRY_TOKEN")', "$(false)", "$(exit 3)", "$(echo)",
    "$(echo 'a b')", '$(printf "x\\ny")', "$(echo", "$(printf '%s' )",
]  # fmt: skip
KEYS = ["REGISTRY_TOKEN", "DB_PASSWORD", "A", "b_1", "_X", "1BAD", "", "a-b", "é"]

keys = st.sampled_from(KEYS)
fragments = st.one_of(
    st.text(alphabet=SAFE_CHARS, max_size=12),
    st.sampled_from(SUBSTITUTIONS),
    st.sampled_from(["$A", "${A}", "${REGISTRY_TOKEN}", "\\$A", "${", "$", "\\n", "\\", "'", '"', " # c"]),
)
values = st.lists(fragments, max_size=4).map("".join)
quoted = st.one_of(
    values,
    values.map(lambda v: f'"{v}"'),
    values.map(lambda v: f"'{v}'"),
    values.map(lambda v: f'"{v}\n{v}"'),  # a double-quoted value spanning lines
)
lines = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", keys, quoted),
    st.builds(lambda k, v: f"export {k}={v}", keys, quoted),
    st.builds(lambda k, v: f"{k}: {v}", keys, quoted),
    st.builds(lambda k: f"export {k}", keys),
    st.sampled_from(["", "# comment", "   ", "=value", "export", "export =", "KEY"]),
    st.text(alphabet=SAFE_CHARS + "\n", max_size=30),
)
files = st.lists(lines, max_size=8).map(lambda ls: "\n".join(ls) + "\n")
# the two secrets the deploy needs, with fuzzed values, then random lines (which may break them)
deploy_files = st.builds(
    lambda token, password, rest: f"REGISTRY_TOKEN={token}\nDB_PASSWORD={password}\n{rest}",
    quoted,
    quoted,
    st.lists(lines, max_size=4).map("\n".join),
)


def read_or_fail_cleanly(text: str) -> None:
    with project({".kamal/secrets": text}):
        try:
            found = Secrets(".kamal/secrets").all()
        except PykamalError as error:
            assert "\n" not in str(error).strip(), str(error)
            note("loader: error")
        else:
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in found.items())
            note("loader: values")
        outcome = cli(["secrets", "print"])
        outcome.assert_clean("secrets print")


@FUZZ
@given(files)
def test_secrets_files_give_values_or_one_error_line(text: str) -> None:
    read_or_fail_cleanly(text)


@FUZZ
@given(deploy_files, st.sampled_from([["config"], ["deploy", "--plan", "--skip-push"]]))
def test_deploy_reading_fuzzed_secrets_gives_a_plan_or_one_error_line(text: str, command: list[str]) -> None:
    with project({".kamal/secrets": text, "config/deploy.yml": DEPLOY_YML}):
        outcome = cli([*command, "--version", "fuzz"])
    outcome.assert_clean(" ".join(command))
    note(f"{command[0]}: {'ok' if outcome.code == 0 else 'error'}")


@pytest.mark.parametrize(
    "text",
    [
        'A="unterminated\n',
        "A='unterminated\n",
        "A=$(echo\n",
        "A=${\n",
        "export A\n",
        "A=$(exit 3)\n",
        "\ufeffA=1\n",
        "A=\x00\n",
        "A=\\\n",
    ],
)
def test_known_awkward_files(text: str) -> None:
    read_or_fail_cleanly(text)
