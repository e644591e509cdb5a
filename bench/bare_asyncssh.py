#!/usr/bin/env python3
"""A bare asyncssh client doing what ``pykamal server exec true`` does on the wire, as a baseline for
the fan-out benchmark: read config/deploy.yml, connect to every host at once (the ssh config's user,
key and known hosts), append an audit line, run the command, print each host's output.

    python bench/bare_asyncssh.py server exec -q true      # in a project folder, like the tools
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path


async def one(host: str, user: str, config: str, command: str, line: str) -> str:
    import asyncssh

    async with asyncssh.connect(host, username=user, config=[config]) as conn:
        await conn.run(f'mkdir -p .kamal && echo "{line}" >> .kamal/bench-audit.log', check=True)
        result = await conn.run(command, check=True)
        return str(result.stdout)


async def main(command: str) -> None:
    import yaml

    deploy = yaml.safe_load(Path("config/deploy.yml").read_text())
    hosts = deploy["servers"]["web"]
    ssh = deploy["ssh"]
    line = f"[{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}] [bench] Executed cmd '{command}'"
    outputs = await asyncio.gather(*(one(h, ssh["user"], ssh["config"], command, line) for h in hosts))
    for host, output in zip(hosts, outputs, strict=True):
        print(f"App Host: {host}\n{output}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[-1]))
