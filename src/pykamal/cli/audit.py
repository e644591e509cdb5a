"""``pykamal audit``: the last lines of the audit log on every selected host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykamal.cli.context import get_globals
from pykamal.cli.core import command

if TYPE_CHECKING:
    from pykamal.flows.context import Run


@command("audit")
def audit() -> None:
    from pykamal.cli.running import execute
    from pykamal.commands import auditor
    from pykamal.remote.executor import run_on
    from pykamal.remote.output import print_by_host

    quiet = get_globals().quiet

    async def main(run: Run) -> None:
        await run.pre_connect()

        async def one(host: str) -> None:
            result = await run.executor.run(host, auditor.reveal(run.config))
            print_by_host(run.output, host, result.stdout, quiet=quiet)

        await run_on(run.selection.hosts, one, output=run.output, label="audit log")

    execute("audit", None, main)
