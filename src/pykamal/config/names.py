"""Rules for values that end up in shells, paths, SSH and known_hosts: each returns why a value is
refused, or None when it is fine.

The rules accept what real projects write (host names with underscores, registry servers with a
path, image names with several slashes) and refuse what can leave its place: whitespace, control
and shell characters, a leading ``-``, ``..`` in a name that becomes a folder.
"""

from __future__ import annotations

import ipaddress
import re

_HOST_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_PORT = re.compile(r"[0-9]{1,5}")
HOST_SHAPE = "a host name, an IPv4 address or an [IPv6] address, with an optional :port"


def host_problem(host: str) -> str | None:
    """Why a servers entry cannot be a host; ``name``, ``10.0.0.1``, ``[::1]``, each with ``:port``."""
    if host.startswith("["):
        address, closed, rest = host[1:].partition("]")
        if not closed or not _is_ipv6(address):
            return f"{host!r} is not {HOST_SHAPE}"
        port = rest[1:] if rest.startswith(":") else None
        if rest and (port is None or not _valid_port(port)):
            return f"{host!r} has an invalid port"
        return None
    if host.count(":") > 1:
        return None if _is_ipv6(host) else f"{host!r} is not {HOST_SHAPE}"
    name, colon, port = host.partition(":")
    if not _HOST_NAME.fullmatch(name):
        return f"{host!r} is not {HOST_SHAPE}"
    if colon and not _valid_port(port):
        return f"{host!r} has an invalid port"
    return None


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _valid_port(text: str) -> bool:
    return bool(_PORT.fullmatch(text)) and 0 < int(text) < 65536


def user_problem(user: str) -> str | None:
    """Why an SSH user name is refused (it reaches ``%r`` in proxy commands and ``user@host``)."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.@-]*", user):
        return None
    return f"{user!r} is not a user name (letters, digits, _ . @ -)"


def known_hosts_safe(name: str) -> bool:
    """Whether a host may be written into known_hosts as it is (no pattern, list or marker in it)."""
    return bool(re.fullmatch(r"[A-Za-z0-9_.:\-\[\]]+", name)) and not name.startswith("-")


_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
NAME_SHAPE = "letters, digits, _ . - (not starting with . or -, without ..)"


def name_problem(name: str, what: str) -> str | None:
    """Why a role, accessory, service or destination name cannot be a folder or container name."""
    if _NAME.fullmatch(name) and ".." not in name:
        return None
    return f"{what} {name!r} should be {NAME_SHAPE}"


_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def tag_problem(version: str) -> str | None:
    """Why a version cannot be a Docker image tag."""
    if _TAG.fullmatch(version):
        return None
    return f"{version!r} is not a valid image tag (1-128 letters, digits, _ . -, not starting with . or -)"


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def env_name_problem(name: str) -> str | None:
    """Why a name cannot be an environment variable in the container's env file."""
    if _ENV_NAME.fullmatch(name):
        return None
    return f"{name!r} is not an environment variable name (letters, digits, _ . -, not starting with a digit)"


def relative_path_problem(path: str) -> str | None:
    """Why a path would leave the folder it is placed in."""
    if ".." in path.split("/"):
        return f"{path!r} may not contain '..'"
    return None


# Docker's reference grammar (distribution/reference).
_DOMAIN_PART = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"(?:{_DOMAIN}/)?{_PATH_PART}(?:/{_PATH_PART})*")
_REGISTRY = re.compile(rf"{_DOMAIN}(?:/{_PATH_PART})*")
_DIGEST = r"@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_TAG_OR_DIGEST = rf"(?::{_TAG.pattern})?(?:{_DIGEST})?"
_REFERENCE = re.compile(rf"{_REPOSITORY.pattern}{_TAG_OR_DIGEST}")


def repository_problem(image: str) -> str | None:
    """Why ``image`` (the app's, a tag is added to it) is not a Docker repository name."""
    if _REPOSITORY.fullmatch(image):
        return None
    return f"{image!r} is not an image name (lowercase parts such as owner/app, after an optional registry)"


def reference_problem(image: str) -> str | None:
    """Why an accessory image (``name[:tag][@digest]``) is not a Docker image reference."""
    if _REFERENCE.fullmatch(image):
        return None
    return f"{image!r} is not an image reference (such as mysql:8.0 or owner/app:tag)"


def registry_problem(server: str) -> str | None:
    """Why a registry server (``host[:port][/path]``) cannot prefix an image name."""
    if _REGISTRY.fullmatch(server):
        return None
    return (
        f"{server!r} is not a registry server (host[:port], optionally followed by /path, without https://)"
    )


def docker_url_problem(url: str) -> str | None:
    """Why a remote builder URL is refused: ``ssh://[user@]host[:port]`` is checked part by part."""
    if not url.isprintable() or any(char.isspace() for char in url):
        return f"{url!r} may not contain spaces or control characters"
    if not url.startswith("ssh://"):
        return None
    user, _, host = url.removeprefix("ssh://").rstrip("/").rpartition("@")
    return (user_problem(user) if user else None) or host_problem(host)
