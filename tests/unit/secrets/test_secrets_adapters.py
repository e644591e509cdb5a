"""Every password-manager adapter against a fake of its CLI (tests/fixtures/secrets/bin/).

The fakes accept only the argument shapes the real CLIs document and log every call, so these tests
check both the JSON that `secrets fetch` prints and the exact calls made to get it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from secrets_helpers import TRICKY, Fakes, cli_secrets, json_dump, write_secrets

from pykamal.cli import run


def fetch(capfd: pytest.CaptureFixture[str], *args: str) -> str:
    code = run(["secrets", "fetch", *args])
    captured = capfd.readouterr()
    assert code == 0, captured.err
    return captured.out


def fetch_error(capfd: pytest.CaptureFixture[str], *args: str) -> str:
    code = run(["secrets", "fetch", *args])
    captured = capfd.readouterr()
    assert code == 1
    assert captured.out == ""
    errors = [line for line in captured.err.splitlines() if line.startswith("  ERROR")]
    assert len(errors) == 1, captured.err
    return errors[0].removeprefix("  ERROR ")


def through_secrets_file(fetch_args: list[str], name: str) -> str:
    """Fetch and extract from inside `.kamal/secrets`, as Kamal's documentation shows."""
    fetch_line = shlex.join(["kamal", "secrets", "fetch", *fetch_args])
    write_secrets(
        f"SECRETS=$({fetch_line})\n"
        f"VALUE=$(pykamal secrets extract {shlex.quote(name)} ${{SECRETS}})\n"
        f"AGAIN=$(kamal secrets extract {shlex.quote(name)} $SECRETS)\n"
    )
    secrets = cli_secrets()
    assert secrets.get("VALUE") == secrets.get("AGAIN")
    assert not Path("pwned").exists()
    return secrets.get("VALUE")


# --- 1Password --------------------------------------------------------------------------------------
OP_VAULT = {
    "account": "my.1password.com",
    "signed_in": True,
    "vaults": {
        "My Vault": {
            "Web App": {
                "fields": [
                    {"label": "password", "value": TRICKY},
                    {"label": "DB URL", "section": "Data base", "value": "postgres://u:p@db/app"},
                    {"label": "token", "value": "tok"},
                ]
            },
            "Other": {"fields": [{"label": "password", "value": "other-pw"}]},
        }
    },
}


def test_one_password_fields_of_one_item(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("op", OP_VAULT)
    out = fetch(
        capfd,
        "-a",
        "1password",
        "--account",
        "my.1password.com",
        "--from",
        "op://My Vault/Web App",
        "password",
        "Data base/DB URL",
    )
    assert (
        out
        == json_dump(
            {"My Vault/Web App": TRICKY, "My Vault/Web App/Data base/DB URL": "postgres://u:p@db/app"}
        )
        + "\n"
    )
    assert fakes.calls("op") == [
        ["--version"],
        ["account", "get", "--account", "my.1password.com"],
        [
            "item",
            "get",
            "Web App",
            "--vault",
            "My Vault",
            "--format",
            "json",
            "--account",
            "my.1password.com",
            "--fields",
            "label=password,label=Data base.DB URL",
        ],
    ]


def test_one_password_several_items_and_a_single_field(
    fakes: Fakes, capfd: pytest.CaptureFixture[str]
) -> None:
    fakes.vault("op", OP_VAULT)
    out = fetch(
        capfd,
        "--adapter",
        "one_password",
        "--account",
        "my.1password.com",
        "--from",
        "My Vault",
        "Web App/token",
        "Other",
    )
    assert out == json_dump({"My Vault/Web App/token": "tok", "My Vault/Other": "other-pw"}) + "\n"
    assert [c[2] for c in fakes.calls("op")[2:]] == ["Web App", "Other"]


def test_one_password_all_fields_of_an_item(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("op", OP_VAULT)
    out = fetch(capfd, "-a", "1password", "--account", "my.1password.com", "--from", "op://My Vault/Web App")
    assert (
        out
        == json_dump(
            {
                "My Vault/Web App": TRICKY,
                "My Vault/Web App/Data base/DB URL": "postgres://u:p@db/app",
                "My Vault/Web App/token": "tok",
            }
        )
        + "\n"
    )
    assert fakes.calls("op")[-1] == [
        "item",
        "get",
        "Web App",
        "--vault",
        "My Vault",
        "--format",
        "json",
        "--account",
        "my.1password.com",
    ]


def test_one_password_signs_in_and_uses_the_session(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("op", {**OP_VAULT, "signed_in": False, "session": "S3SS10N"})
    out = fetch(capfd, "-a", "1password", "--account", "my.1password.com", "My Vault/Other")
    assert out == json_dump({"My Vault/Other": "other-pw"}) + "\n"
    assert fakes.calls("op")[1:] == [
        ["account", "get", "--account", "my.1password.com"],
        ["signin", "--account", "my.1password.com", "--force", "--raw"],
        [
            "item",
            "get",
            "Other",
            "--vault",
            "My Vault",
            "--format",
            "json",
            "--account",
            "my.1password.com",
            "--fields",
            "label=password",
        ],
    ]
    assert [env.get("OP_SESSION_my.1password.com") for env in fakes.call_env("op")][-1] == "S3SS10N"


def test_one_password_failed_sign_in(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("op", {**OP_VAULT, "signed_in": False, "signin_works": False})
    error = fetch_error(capfd, "-a", "1password", "--account", "my.1password.com", "My Vault/Other")
    assert error.startswith("Failed to login to 1Password: run `op signin --account my.1password.com`")


def test_one_password_unknown_item(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("op", OP_VAULT)
    error = fetch_error(capfd, "-a", "1password", "--account", "my.1password.com", "My Vault/Nope/x")
    assert error == "Could not read x from Nope in the My Vault 1Password vault"


def test_one_password_through_secrets_file(fakes: Fakes) -> None:
    fakes.vault("op", OP_VAULT)
    args = [
        "-a",
        "1password",
        "--account",
        "my.1password.com",
        "--from",
        "My Vault/Web App",
        "password",
        "token",
    ]
    assert through_secrets_file(args, "Web App") == TRICKY


# --- Bitwarden --------------------------------------------------------------------------------------
BW_VAULT = {
    "email": "me@example.com",
    "session": "BW+SESSION/KEY==",
    "status": "unlocked",
    "items": {
        "web app": {"login": {"username": "me", "password": TRICKY}},
        "api": {
            "login": {"password": None},
            "fields": [
                {"name": "KEY", "value": "k1", "type": 1},
                {"name": "OTHER", "value": "o1", "type": 1},
            ],
        },
        "note": {"secureNote": {"type": 0}, "notes": "n"},
    },
}


def test_bitwarden_login_password_and_fields(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("bw", BW_VAULT)
    out = fetch(capfd, "-a", "bitwarden", "--account", "me@example.com", "web app", "api/OTHER")
    assert out == json_dump({"web app": TRICKY, "api/OTHER": "o1"}) + "\n"
    assert fakes.calls("bw") == [
        ["--version"],
        ["status"],
        ["sync"],
        ["get", "item", "web app"],
        ["get", "item", "api"],
    ]


def test_bitwarden_item_with_only_fields_gives_them_all(
    fakes: Fakes, capfd: pytest.CaptureFixture[str]
) -> None:
    fakes.vault("bw", BW_VAULT)
    out = fetch(capfd, "-a", "bitwarden", "--account", "me@example.com", "--from", "api", "KEY")
    assert out == json_dump({"api/KEY": "k1"}) + "\n"
    out = fetch(capfd, "-a", "bitwarden", "--account", "me@example.com", "api")
    assert out == json_dump({"api/KEY": "k1", "api/OTHER": "o1"}) + "\n"


def test_bitwarden_logs_in_unlocks_and_passes_the_session(
    fakes: Fakes, capfd: pytest.CaptureFixture[str]
) -> None:
    fakes.vault("bw", {**BW_VAULT, "status": "unauthenticated"})
    out = fetch(capfd, "-a", "bitwarden", "--account", "me@example.com", "web app")
    assert out == json_dump({"web app": TRICKY}) + "\n"
    assert fakes.calls("bw") == [
        ["--version"],
        ["status"],
        ["login", "me@example.com"],
        ["status"],
        ["unlock", "--raw"],
        ["status"],
        ["sync"],
        ["get", "item", "web app"],
    ]
    sessions = [env.get("BW_SESSION") for env in fakes.call_env("bw")]
    assert sessions == [None] * 5 + ["BW+SESSION/KEY=="] * 3


def test_bitwarden_failed_unlock(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("bw", {**BW_VAULT, "status": "locked", "unlock_works": False})
    error = fetch_error(capfd, "-a", "bitwarden", "--account", "me@example.com", "web app")
    assert error.startswith(
        "Failed to login to and unlock Bitwarden: run `bw login me@example.com` and `bw unlock`"
    )


def test_bitwarden_errors(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("bw", BW_VAULT)
    assert fetch_error(capfd, "-a", "bitwarden", "--account", "me@example.com", "note") == (
        "Item note is not a login type item and no fields were specified"
    )
    assert fetch_error(capfd, "-a", "bitwarden", "--account", "me@example.com", "missing") == (
        "Could not read missing from Bitwarden"
    )
    assert fetch_error(capfd, "-a", "bitwarden", "--account", "me@example.com", "api/NOPE") == (
        "Could not find field NOPE in item api in Bitwarden"
    )


def test_bitwarden_through_secrets_file(fakes: Fakes) -> None:
    fakes.vault("bw", BW_VAULT)
    assert (
        through_secrets_file(["-a", "bitwarden", "--account", "me@example.com", "web app"], "web app")
        == TRICKY
    )


# --- Bitwarden Secrets Manager ------------------------------------------------------------------------
BWS_VAULT = {
    "token": "0.access-token",
    "secrets": [
        {
            "id": "82aeb5bd-6958-4a89-8197-eacab758acce",
            "project": "p-1",
            "key": "KAMAL_REGISTRY_PASSWORD",
            "value": TRICKY,
        },
        {"id": "6f8cdf27-de2b-4c77-a35d-07df8050e332", "project": "p-2", "key": "OTHER", "value": "x"},
    ],
}


def test_bitwarden_sm_by_id_all_and_project(
    fakes: Fakes, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.vault("bws", BWS_VAULT)
    monkeypatch.setenv("BWS_ACCESS_TOKEN", "0.access-token")
    out = fetch(
        capfd,
        "-a",
        "bitwarden-sm",
        "82aeb5bd-6958-4a89-8197-eacab758acce",
        "6f8cdf27-de2b-4c77-a35d-07df8050e332",
    )
    assert out == json_dump({"KAMAL_REGISTRY_PASSWORD": TRICKY, "OTHER": "x"}) + "\n"
    assert (
        fetch(capfd, "-a", "bitwarden-sm", "all")
        == json_dump({"KAMAL_REGISTRY_PASSWORD": TRICKY, "OTHER": "x"}) + "\n"
    )
    assert (
        fetch(capfd, "-a", "bitwarden_secrets_manager", "--from", "p-2", "all")
        == json_dump({"OTHER": "x"}) + "\n"
    )
    assert fakes.calls("bws") == [
        ["--version"],
        ["project", "list"],
        ["secret", "get", "82aeb5bd-6958-4a89-8197-eacab758acce"],
        ["secret", "get", "6f8cdf27-de2b-4c77-a35d-07df8050e332"],
        ["--version"],
        ["project", "list"],
        ["secret", "list"],
        ["--version"],
        ["project", "list"],
        ["secret", "list", "p-2"],
    ]


def test_bitwarden_sm_errors(
    fakes: Fakes, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.vault("bws", BWS_VAULT)
    assert fetch_error(capfd, "-a", "bitwarden-sm", "all").startswith(
        "Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?"
    )
    monkeypatch.setenv("BWS_ACCESS_TOKEN", "0.access-token")
    assert (
        fetch_error(capfd, "-a", "bitwarden-sm")
        == "You must specify what to retrieve from Bitwarden Secrets Manager"
    )
    assert (
        fetch_error(capfd, "-a", "bitwarden-sm", "nope")
        == "Could not read nope from Bitwarden Secrets Manager"
    )


def test_bitwarden_sm_through_secrets_file(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.vault("bws", BWS_VAULT)
    monkeypatch.setenv("BWS_ACCESS_TOKEN", "0.access-token")
    assert through_secrets_file(["-a", "bitwarden-sm", "all"], "KAMAL_REGISTRY_PASSWORD") == TRICKY


# --- LastPass ---------------------------------------------------------------------------------------
LPASS_VAULT = {
    "email": "me@example.com",
    "logged_in": True,
    "entries": {
        "SECRET1": TRICKY,
        "Folder 1/FSECRET1": "f1",
        "Folder 1/FSECRET2": "f2",
        "$(touch pwned) 'q' \"d\"": "odd name",
    },
}


def test_lastpass_names_and_folders(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("lpass", LPASS_VAULT)
    out = fetch(capfd, "-a", "lastpass", "--account", "me@example.com", "SECRET1", "Folder 1/FSECRET1")
    assert out == json_dump({"SECRET1": TRICKY, "Folder 1/FSECRET1": "f1"}) + "\n"
    out = fetch(capfd, "-a", "last_pass", "--account", "me@example.com", "--from", "Folder 1", "FSECRET2")
    assert out == json_dump({"Folder 1/FSECRET2": "f2"}) + "\n"
    assert fakes.calls("lpass") == [
        ["--version"],
        ["status", "--color", "never"],
        ["show", "SECRET1", "Folder 1/FSECRET1", "--json"],
        ["--version"],
        ["status", "--color", "never"],
        ["show", "Folder 1/FSECRET2", "--json"],
    ]


def test_lastpass_names_reach_the_cli_untouched(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("lpass", LPASS_VAULT)
    name = "$(touch pwned) 'q' \"d\""
    out = fetch(capfd, "-a", "lastpass", "--account", "me@example.com", name)
    assert out == json_dump({name: "odd name"}) + "\n"
    assert fakes.calls("lpass")[-1] == ["show", name, "--json"]
    assert not Path("pwned").exists()


def test_lastpass_login(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("lpass", {**LPASS_VAULT, "logged_in": False})
    out = fetch(capfd, "-a", "lastpass", "--account", "me@example.com", "SECRET1")
    assert out == json_dump({"SECRET1": TRICKY}) + "\n"
    assert fakes.calls("lpass")[1:3] == [["status", "--color", "never"], ["login", "me@example.com"]]

    fakes.vault("lpass", {**LPASS_VAULT, "logged_in": False, "login_works": False})
    (fakes.root / "state" / "lpass.logged_in").unlink()
    error = fetch_error(capfd, "-a", "lastpass", "--account", "me@example.com", "SECRET1")
    assert error == "Failed to login to LastPass: run `lpass login me@example.com` and try again"


def test_lastpass_missing_entry(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("lpass", LPASS_VAULT)
    error = fetch_error(capfd, "-a", "lastpass", "--account", "me@example.com", "SECRET1", "NOPE")
    assert error == "Could not read SECRET1, NOPE from LastPass"


def test_lastpass_through_secrets_file(fakes: Fakes) -> None:
    fakes.vault("lpass", LPASS_VAULT)
    assert (
        through_secrets_file(["-a", "lastpass", "--account", "me@example.com", "SECRET1"], "SECRET1")
        == TRICKY
    )


# --- Doppler ----------------------------------------------------------------------------------------
DOPPLER_VAULT = {
    "logged_in": True,
    "projects": {"my-project": {"prd": {"SECRET1": TRICKY, "FSECRET1": "f1"}}},
    "service_token_config": ["my-project", "prd"],
}


def test_doppler_project_and_config(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("doppler", DOPPLER_VAULT)
    out = fetch(capfd, "-a", "doppler", "--from", "my-project/prd", "SECRET1", "FSECRET1")
    assert out == json_dump({"SECRET1": TRICKY, "FSECRET1": "f1"}) + "\n"
    out = fetch(capfd, "-a", "doppler", "my-project/prd/FSECRET1")
    assert out == json_dump({"FSECRET1": "f1"}) + "\n"
    assert fakes.calls("doppler") == [
        ["--version"],
        ["me", "--json"],
        ["secrets", "get", "SECRET1", "FSECRET1", "--json", "-p", "my-project", "-c", "prd"],
        ["--version"],
        ["me", "--json"],
        ["secrets", "get", "FSECRET1", "--json", "-p", "my-project", "-c", "prd"],
    ]


def test_doppler_service_token(
    fakes: Fakes, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.vault("doppler", DOPPLER_VAULT)
    monkeypatch.setenv("DOPPLER_TOKEN", "dp.st.prd.xxxx")
    assert fetch(capfd, "-a", "doppler", "SECRET1") == json_dump({"SECRET1": TRICKY}) + "\n"
    assert fakes.calls("doppler")[-1] == ["secrets", "get", "SECRET1", "--json"]


def test_doppler_needs_project_and_config(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("doppler", DOPPLER_VAULT)
    assert (
        fetch_error(capfd, "-a", "doppler", "SECRET1")
        == "Missing project or config from '--from=project/config' option"
    )


def test_doppler_login(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("doppler", {**DOPPLER_VAULT, "logged_in": False})
    assert (
        fetch(capfd, "-a", "doppler", "--from", "my-project/prd", "FSECRET1")
        == json_dump({"FSECRET1": "f1"}) + "\n"
    )
    assert fakes.calls("doppler")[1:3] == [["me", "--json"], ["login", "-y"]]
    (fakes.root / "state" / "doppler.logged_in").unlink()
    fakes.vault("doppler", {**DOPPLER_VAULT, "logged_in": False, "login_works": False})
    assert fetch_error(capfd, "-a", "doppler", "--from", "my-project/prd", "FSECRET1").startswith(
        "Failed to login to Doppler: run `doppler login`"
    )


def test_doppler_through_secrets_file(fakes: Fakes) -> None:
    fakes.vault("doppler", DOPPLER_VAULT)
    assert through_secrets_file(["-a", "doppler", "--from", "my-project/prd", "SECRET1"], "SECRET1") == TRICKY


# --- Google Cloud Secret Manager ----------------------------------------------------------------------
GCP_VAULT = {
    "accounts": ["user@example.com", "ci@example.com"],
    "default_project": "proj-default",
    "secrets": {
        "proj-default/mypassword": {"versions": ["old", TRICKY]},
        "other-project/item1": {"versions": ["one", "two"]},
        "other-project/via-sa": {
            "versions": ["sa"],
            "impersonate": "sa1@p.iam.gserviceaccount.com,sa2@p.iam.gserviceaccount.com",
        },
    },
}


def test_gcp_versions_projects_accounts(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("gcloud", GCP_VAULT)
    out = fetch(capfd, "-a", "gcp", "--account", "default", "mypassword", "other-project/item1/1")
    assert out == json_dump({"default/mypassword": TRICKY, "other-project/item1": "one"}) + "\n"
    out = fetch(
        capfd, "-a", "gcp_secret_manager", "--account", "ci@example.com", "--from", "other-project", "item1"
    )
    assert out == json_dump({"other-project/item1": "two"}) + "\n"
    assert fakes.calls("gcloud") == [
        ["--version"],
        ["auth", "list", "--format=json"],
        ["secrets", "versions", "access", "latest", "--secret=mypassword", "--format=json"],
        ["secrets", "versions", "access", "1", "--secret=item1", "--project=other-project", "--format=json"],
        ["--version"],
        ["auth", "list", "--format=json"],
        [
            "secrets",
            "versions",
            "access",
            "latest",
            "--secret=item1",
            "--project=other-project",
            "--account=ci@example.com",
            "--format=json",
        ],
    ]


def test_gcp_service_account_impersonation(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("gcloud", GCP_VAULT)
    chain = "sa1@p.iam.gserviceaccount.com,sa2@p.iam.gserviceaccount.com"
    out = fetch(capfd, "-a", "gcp", "--account", f"user@example.com|{chain}", "other-project/via-sa")
    assert out == json_dump({"other-project/via-sa": "sa"}) + "\n"
    assert fakes.calls("gcloud")[-1] == [
        "secrets",
        "versions",
        "access",
        "latest",
        "--secret=via-sa",
        "--project=other-project",
        "--account=user@example.com",
        f"--impersonate-service-account={chain}",
        "--format=json",
    ]


def test_gcp_login(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("gcloud", {**GCP_VAULT, "logged_in": False})
    assert (
        fetch(capfd, "-a", "gcp", "--account", "default", "mypassword")
        == json_dump({"default/mypassword": TRICKY}) + "\n"
    )
    assert fakes.calls("gcloud")[1:4] == [
        ["auth", "list", "--format=json"],
        ["auth", "login"],
        ["auth", "list", "--format=json"],
    ]
    (fakes.root / "state" / "gcloud.logged_in").unlink()
    fakes.vault("gcloud", {**GCP_VAULT, "logged_in": False, "login_works": False})
    assert fetch_error(capfd, "-a", "gcp", "--account", "default", "mypassword") == (
        "could not login to gcloud: run `gcloud auth login` and try again"
    )


def test_gcp_missing_secret(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("gcloud", GCP_VAULT)
    assert fetch_error(capfd, "-a", "gcp", "--account", "default", "nope") == (
        "Could not read default/nope from Google Secret Manager"
    )


def test_gcp_through_secrets_file(fakes: Fakes) -> None:
    fakes.vault("gcloud", GCP_VAULT)
    assert through_secrets_file(["-a", "gcp", "--account", "default", "mypassword"], "mypassword") == TRICKY


# --- Enpass -----------------------------------------------------------------------------------------
ENPASS_VAULT = {
    "vaults": {
        "/home/me/Enpass Vaults/primary": {
            "master_password": "master pw",
            "entries": [
                {"title": "FooBar", "label": "SECRET_1", "password": TRICKY},
                {"title": "FooBar", "label": "SECRET_2", "password": "p2"},
                {"title": "FooBar", "label": "", "password": "p3"},
                {"title": "FooBar", "label": "EMPTY", "password": "  "},
                {"title": "FooBar Copy", "label": "SECRET_1", "password": "not this one"},
                {"title": "Twice", "label": "A", "password": "1"},
                {"title": "Twice", "label": "A", "password": "2"},
            ],
        }
    }
}
ENPASS_PATH = "/home/me/Enpass Vaults/primary"


def test_enpass_one_password_and_whole_item(
    fakes: Fakes, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.vault("enpass-cli", ENPASS_VAULT)
    monkeypatch.setenv("MASTERPW", "master pw")
    out = fetch(capfd, "-a", "enpass", "--from", ENPASS_PATH, "FooBar/SECRET_1")
    assert out == json_dump({"FooBar/SECRET_1": TRICKY}) + "\n"
    out = fetch(capfd, "-a", "enpass", "--from", ENPASS_PATH, "FooBar")
    assert out == json_dump({"FooBar/SECRET_1": TRICKY, "FooBar/SECRET_2": "p2", "FooBar": "p3"}) + "\n"
    assert fakes.calls("enpass-cli") == [
        ["version"],
        ["-json", "-vault", ENPASS_PATH, "show", "FooBar"],
        ["version"],
        ["-json", "-vault", ENPASS_PATH, "show", "FooBar"],
    ]


def test_enpass_errors(
    fakes: Fakes, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.vault("enpass-cli", ENPASS_VAULT)
    monkeypatch.setenv("MASTERPW", "master pw")
    assert (
        fetch_error(capfd, "-a", "enpass", "--from", ENPASS_PATH, "Twice")
        == "Twice/A is present more than once"
    )
    assert fetch_error(capfd, "-a", "enpass", "FooBar").startswith("Enpass: --from VAULT_PATH is required")
    monkeypatch.setenv("MASTERPW", "wrong")
    assert (
        fetch_error(capfd, "-a", "enpass", "--from", ENPASS_PATH, "FooBar")
        == "Could not read FooBar from Enpass"
    )


def test_enpass_through_secrets_file(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
    fakes.vault("enpass-cli", ENPASS_VAULT)
    monkeypatch.setenv("MASTERPW", "master pw")
    assert (
        through_secrets_file(["-a", "enpass", "--from", ENPASS_PATH, "FooBar/SECRET_1"], "SECRET_1") == TRICKY
    )


# --- Passbolt ---------------------------------------------------------------------------------------
PASSBOLT_VAULT = {
    "folders": [
        {"id": "f-1", "folder_parent_id": "", "name": "my-project"},
        {"id": "f-2", "folder_parent_id": "f-1", "name": "sub folder"},
        {"id": "f 3", "folder_parent_id": "", "name": "other"},
    ],
    "resources": [
        {"id": "r1", "folder_parent_id": "", "name": "ROOT_SECRET", "password": "root"},
        {"id": "r2", "folder_parent_id": "f-1", "name": "SECRET1", "password": TRICKY},
        {"id": "r3", "folder_parent_id": "f-2", "name": "DEEP", "password": "deep"},
        {"id": "r4", "folder_parent_id": "f 3", "name": "SECRET1", "password": "other folder"},
        {"id": "r5", "folder_parent_id": "", "name": "we\"ird' \\name", "password": "weird"},
    ],
}


def test_passbolt_root_and_folders(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("passbolt", PASSBOLT_VAULT)
    out = fetch(capfd, "-a", "passbolt", "ROOT_SECRET", "we\"ird' \\name")
    assert out == json_dump({"ROOT_SECRET": "root", "we\"ird' \\name": "weird"}) + "\n"
    assert fakes.calls("passbolt") == [
        ["--version"],
        ["verify"],
        [
            "list",
            "resources",
            "--filter",
            'Name == "ROOT_SECRET" || Name == "we\\"ird\' \\\\name"',
            "--column",
            "Name",
            "--column",
            "Password",
            "--json",
        ],
    ]


def test_passbolt_nested_folders(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("passbolt", PASSBOLT_VAULT)
    out = fetch(capfd, "-a", "passbolt", "my-project/SECRET1", "my-project/sub folder/DEEP", "other/SECRET1")
    # two resources share a name; as in Kamal, the keys are bare names and the last one wins
    assert out == json_dump({"SECRET1": "other folder", "DEEP": "deep"}) + "\n"
    out = fetch(capfd, "-a", "passbolt", "--from", "my-project", "SECRET1")
    assert out == json_dump({"SECRET1": TRICKY}) + "\n"
    assert fakes.calls("passbolt")[-3:] == [
        ["verify"],
        ["list", "folders", "--filter", 'Name == "my-project"', "--json"],
        [
            "list",
            "resources",
            "--filter",
            '(Name == "SECRET1" && FolderParentID == "f-1")',
            "--folder",
            "f-1",
            "--column",
            "Name",
            "--column",
            "Password",
            "--json",
        ],
    ]
    nested_calls = fakes.calls("passbolt")[2:5]
    assert nested_calls == [
        ["list", "folders", "--filter", 'Name == "my-project" || Name == "other"', "--json"],
        ["list", "folders", "--filter", 'Name == "sub folder" && FolderParentID == "f-1"', "--json"],
        [
            "list",
            "resources",
            "--filter",
            '(Name == "SECRET1" && FolderParentID == "f-1") || '
            '(Name == "DEEP" && FolderParentID == "f-2") || '
            '(Name == "SECRET1" && FolderParentID == "f 3")',
            "--folder",
            "f-1",
            "--folder",
            "f 3",
            "--folder",
            "f-2",
            "--column",
            "Name",
            "--column",
            "Password",
            "--json",
        ],
    ]


def test_passbolt_errors(fakes: Fakes, capfd: pytest.CaptureFixture[str]) -> None:
    fakes.vault("passbolt", PASSBOLT_VAULT)
    assert fetch_error(capfd, "-a", "passbolt", "ROOT_SECRET", "NOPE") == (
        "Could not find the following secrets in Passbolt: NOPE"
    )
    assert (
        fetch_error(capfd, "-a", "passbolt", "nowhere/X")
        == "Could not find the following folders in Passbolt: nowhere"
    )
    assert fetch_error(capfd, "-a", "passbolt") == "No secrets given to fetch"
    fakes.vault("passbolt", {**PASSBOLT_VAULT, "configured": False})
    assert fetch_error(capfd, "-a", "passbolt", "ROOT_SECRET").startswith("Failed to login to Passbolt")


def test_passbolt_through_secrets_file(fakes: Fakes) -> None:
    fakes.vault("passbolt", PASSBOLT_VAULT)
    assert through_secrets_file(["-a", "passbolt", "--from", "my-project", "SECRET1"], "SECRET1") == TRICKY


# --- all adapters -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("adapter", "account", "title", "executable"),
    [
        ("1password", "a", "1Password", "op"),
        ("bitwarden", "a", "Bitwarden", "bw"),
        ("bitwarden-sm", None, "Bitwarden Secrets Manager", "bws"),
        ("lastpass", "a", "LastPass", "lpass"),
        ("aws_secrets_manager", None, "AWS", "aws"),
        ("doppler", None, "Doppler", "doppler"),
        ("gcp", "default", "Google Cloud (gcloud)", "gcloud"),
        ("enpass", None, "Enpass", "enpass-cli"),
        ("passbolt", None, "Passbolt", "passbolt"),
    ],
)
def test_missing_cli_is_one_line_naming_adapter_and_install(
    no_clis: None,
    capfd: pytest.CaptureFixture[str],
    adapter: str,
    account: str | None,
    title: str,
    executable: str,
) -> None:
    args = ["-a", adapter, "--from", "x", "NAME"] + (["--account", account] if account else [])
    error = fetch_error(capfd, *args)
    assert error.startswith(
        f"{title} CLI is not installed: the {adapter} adapter runs `{executable}`; install it ("
    )


@pytest.mark.parametrize("adapter", ["1password", "bitwarden", "lastpass", "gcp", "test"])
def test_adapters_that_need_an_account(
    workdir: Path, capfd: pytest.CaptureFixture[str], adapter: str
) -> None:
    assert fetch_error(capfd, "-a", adapter, "NAME") == "No value provided for required options '--account'"


def test_unknown_adapter(workdir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert (
        fetch_error(capfd, "-a", "vaultwarden", "--account", "a", "NAME")
        == "Unknown secrets adapter: vaultwarden"
    )


def test_cli_that_fails_its_version_check(
    fakes: Fakes, capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "lpass").write_text("#!/bin/sh\nexit 127\n")
    (broken / "lpass").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}:/usr/bin:/bin")
    assert fetch_error(capfd, "-a", "lastpass", "--account", "a", "X").startswith(
        "LastPass CLI is not installed"
    )
