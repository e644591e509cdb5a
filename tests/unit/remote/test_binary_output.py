"""Commands marked ``binary_output`` give back exactly the bytes they wrote (``exec --raw``)."""

from __future__ import annotations

import asyncio
import io

from remote_helpers import Captured

from pykamal.commands.base import Command, Raw, raw_bytes
from pykamal.remote.local import LocalExecutor
from pykamal.remote.output import Output

BYTES = b"\xff\xfe\x00binary\r\n\n\xc3\xa9"


def run_locally(command: Command) -> str:
    async def main() -> str:
        async with LocalExecutor(Captured("error").output) as executor:
            return (await executor.run("", command)).stdout

    return asyncio.run(main())


def test_binary_output_keeps_every_byte() -> None:
    printf = Command((Raw(r"printf '\377\376\000binary\r\n\n\303\251'"),), binary_output=True)
    assert raw_bytes(run_locally(printf)) == BYTES


def test_text_output_replaces_undecodable_bytes() -> None:
    printf = Command((Raw(r"printf '\377ok'"),))
    assert run_locally(printf) == "\ufffdok"


def test_write_raw_passes_bytes_through_unmasked() -> None:
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="utf-8")
    output = Output("error", stream=stream, color=False)
    output.redactor.add("secret-value")
    output.write_raw(b"secret-value\xff\n")
    assert buffer.getvalue() == b"secret-value\xff\n"
