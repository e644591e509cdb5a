"""Servers entries that carry their own SSH port: ``name:2222``, ``10.0.0.5:2222``, ``[fe80::1]:2222``.

The entry as written stays the host's name everywhere (selection, env, output); only the SSH
connection uses the address and port split from it.
"""

from __future__ import annotations


def split_host(host: str) -> tuple[str, int | None]:
    """(address, port) of a servers entry; port None when the entry names none."""
    name = host.removeprefix("jump:")
    if name.startswith("["):
        address, _, rest = name[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return address, int(port) if port.isdigit() else None
    address, colon, port = name.rpartition(":")
    if colon and port.isdigit() and ":" not in address:
        return address, int(port)
    return name, None


def host_address(host: str) -> str:
    return split_host(host)[0]


def host_port(host: str) -> int | None:
    return split_host(host)[1]
