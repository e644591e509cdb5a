"""``pykamal audit``: the last lines of the audit log on every selected host."""

from __future__ import annotations

from pykamal.cli.context import get_globals
from pykamal.cli.core import command


@command("audit", help="Show audit log from servers")
def audit() -> None:
    from pykamal.cli.selection import from_globals
    from pykamal.commands import auditor
    from pykamal.remote.executor import run_on
    from pykamal.remote.hooks import run_hook
    from pykamal.remote.output import print_by_host
    from pykamal.remote.runtime import make_output, run_async, ssh_executor

    globals_ = get_globals()
    config = globals_.config()
    selection = from_globals(globals_)
    output = make_output(globals_)

    async def main() -> None:
        await run_hook(
            config,
            "pre-connect",
            output,
            skip=globals_.skip_hooks,
            selection=selection,
            command="audit",
            with_secrets=True,
        )
        async with ssh_executor(config, output) as executor:

            async def one(host: str) -> None:
                result = await executor.run(host, auditor.reveal(config))
                print_by_host(output, host, result.stdout, quiet=globals_.quiet)

            await run_on(selection.hosts, one, output=output, label="audit log")

    run_async(main)
