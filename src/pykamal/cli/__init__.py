"""Command-line entry point. Subcommands are imported only when invoked, to keep startup fast."""

from __future__ import annotations

import os
import sys
from typing import Any

from pykamal.cli.core import root


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    quiet_third_party_warnings()
    code = run(args)
    sys.exit(code)


def quiet_third_party_warnings() -> None:
    """Deprecation notices from dependencies (asyncssh's DSA support under a newer cryptography)
    are for their maintainers, not for someone deploying: hide every warning raised outside
    pykamal, unless the user asked for warnings with ``-W`` or ``PYTHONWARNINGS``."""
    if sys.warnoptions:
        return
    import warnings

    warnings.filterwarnings("ignore", module=r"(?!pykamal(\.|$))")


def run(args: list[str]) -> int:
    """Run the CLI and return the exit code; user-facing errors become one red line."""
    import click

    from pykamal.cli.context import Globals
    from pykamal.errors import PykamalError

    globals_ = Globals()
    if _verbose(args):
        _show_config_notes()
    try:
        # without standalone mode click hands back a raised ``Exit`` as its code (e.g. status's 3)
        code = root.main(args=args, prog_name="pykamal", standalone_mode=False, obj=globals_)
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    except PykamalError as exc:
        _print_error(exc, output=globals_._output)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:  # click's form of Ctrl-C (or EOF at a prompt)
        click.echo("Aborted!", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted", err=True)
        return 130
    except Exception as exc:  # last line of defence: never a traceback unless verbose
        if _verbose(args):
            raise
        _print_error(exc, unexpected=True, output=globals_._output)
        return 1
    finally:
        if globals_._output is not None:
            globals_._output.close()
    return 0


def _verbose(args: list[str]) -> bool:
    return "-v" in args or "--verbose" in args or bool(os.environ.get("PYKAMAL_DEBUG"))


def _show_config_notes() -> None:
    """At -v, say how each config file was read (e.g. which ERB renderer ran)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    logger = logging.getLogger("pykamal.config")
    if not logger.handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _print_error(exc: BaseException, unexpected: bool = False, output: Any = None) -> None:
    """One red line (more for several hosts), masked with every secret the run has seen."""
    import click

    message = _printable(str(exc).strip()) or exc.__class__.__name__
    if unexpected:
        message = f"unexpected {exc.__class__.__name__}: {message} (run with -v for details)"
    if output is not None:
        output.failed(message)
        return
    first, *rest = message.split("\n")
    click.secho(f"  ERROR {first}", fg="red", err=True)
    for line in rest:
        click.secho(f"  {line}", fg="red", err=True)


def _printable(text: str) -> str:
    """Control characters from user input (a key, a host name) escaped; only newlines break lines."""
    return "".join(ch if ch == "\n" or ch.isprintable() else repr(ch)[1:-1] for ch in text)
