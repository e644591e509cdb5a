"""``pykamal secrets``: fetch secrets from a password manager, extract one, print the secrets files."""

from __future__ import annotations

import click

from pykamal.cli.core import group


@group("secrets")
def secrets() -> None:
    pass


@secrets.command("fetch", help="Read secrets from a password manager and print them as JSON.")
@click.argument("names", nargs=-1, metavar="[SECRETS]...")
@click.option(
    "-a", "--adapter", required=True, help="Password manager to read from (e.g. 1password, bitwarden)."
)
@click.option("--account", default=None, help="Account or user name for the password manager.")
@click.option(
    "--from", "from_", default=None, metavar="FROM", help="Vault, folder or item prefix to read from."
)
@click.option("--inline", is_flag=True, hidden=True)
def fetch(
    names: tuple[str, ...], adapter: str, account: str | None, from_: str | None, inline: bool
) -> str | None:
    from pykamal.secrets.operations import dump_json
    from pykamal.secrets.operations import fetch as fetch_secrets

    text = dump_json(fetch_secrets(adapter, names, account=account, from_=from_))
    if inline:
        from pykamal.secrets.shellwords import shellescape

        return shellescape(text)
    click.echo(text)
    return None


@secrets.command("extract", help="Pick one value out of the JSON printed by fetch.")
@click.argument("name")
@click.argument("secrets_json", metavar="SECRETS")
@click.option("--inline", is_flag=True, hidden=True)
def extract(name: str, secrets_json: str, inline: bool) -> str | None:
    from pykamal.secrets.operations import extract as extract_value

    value = extract_value(name, secrets_json)
    if inline:
        return value
    _puts(value)
    return None


@secrets.command("print", help="Print the secrets (for debugging; shows every value).")
def print_secrets() -> None:
    from pykamal.cli.context import get_globals

    for key, value in get_globals().config().secrets.all().items():
        _puts(f"{key}={value}")


def _puts(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def run_inline(args: list[str]) -> str:
    """``secrets fetch|extract … --inline`` in this process, for ``$(kamal secrets …)`` in secrets files."""
    from pykamal.errors import SecretsError

    try:
        result = secrets.main(args=args, prog_name="pykamal secrets", standalone_mode=False)
    except click.ClickException as exc:
        raise SecretsError(exc.format_message()) from None
    except click.exceptions.Exit as exc:  # e.g. --help
        raise SecretsError(f"secrets {' '.join(args[:1])} exited with status {exc.exit_code}") from None
    return result if isinstance(result, str) else ""
