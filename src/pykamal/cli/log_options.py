"""The options of ``app logs``, ``accessory logs`` and ``proxy logs``, handed over as one LogQuery."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click


def log_options(*, grep_options: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the log options and call the command with ``query`` (a LogQuery) and ``follow``.

    ``grep_options=False`` leaves out ``--grep-options`` (``proxy logs`` has none, as in Kamal)."""
    options = [
        click.option(
            "-s",
            "--since",
            default=None,
            help="Only entries newer than this time (timestamp, or an age such as 42m)",
        ),
        click.option("-n", "--lines", type=int, default=None, help="How many lines to print per host"),
        click.option(
            "-g", "--grep", default=None, help="Only lines matching this grep pattern (e.g. a request id)"
        ),
        click.option("--grep-options", default=None, help="Extra flags passed to grep")
        if grep_options
        else None,
        click.option(
            "-f",
            "--follow",
            is_flag=True,
            default=False,
            help="Keep streaming from the primary host (or the one given with --hosts)",
        ),
        click.option(
            "-T",
            "--skip-timestamps",
            is_flag=True,
            default=False,
            help="Leave out the timestamp of each line",
        ),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_query(
            *args: Any,
            since: str | None,
            lines: int | None,
            grep: str | None,
            skip_timestamps: bool,
            grep_options: str | None = None,
            **kwargs: Any,
        ) -> Any:
            from pykamal.commands.logs import LogQuery

            query = LogQuery(
                since=since, lines=lines, grep=grep, grep_options=grep_options, timestamps=not skip_timestamps
            )
            return command(*args, query=query, **kwargs)

        decorated: Callable[..., Any] = with_query
        for option in reversed(options):
            if option is not None:
                decorated = option(decorated)
        return decorated

    return decorate
