"""Docker itself: is it installed and running, install it, the ``kamal`` network, local checks."""

from __future__ import annotations

from pykamal.commands.args import docker
from pykamal.commands.base import Command, Quoted, Raw, Script, any_of, cmd, pipe, subshell

NETWORK = "kamal"
INSTALL_SCRIPT_URL = "https://get.docker.com"


def installed() -> Command:
    """Fails when the docker client is missing."""
    return docker("-v")


def running() -> Command:
    """Fails when the docker daemon is not reachable."""
    return docker("version")


def superuser() -> Command:
    """Succeeds for root, or a user who may run ``sudo usermod`` without a password."""
    return cmd(Raw('[ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null'))


def root() -> Command:
    return cmd(Raw('[ "${EUID:-$(id -u)}" -eq 0 ]'))


def in_docker_group() -> Command:
    return cmd(Raw('id -nG "${USER:-$(id -un)}" | grep -qw docker'))


def add_to_docker_group() -> Command:
    return cmd(Raw('sudo -n usermod -aG docker "${USER:-$(id -un)}"'))


def refresh_session() -> Command:
    """Make sshd drop the connection so the next one picks up the new group."""
    return cmd(Raw("kill -HUP $PPID"))


def install() -> Command:
    """Docker's convenience install script, fetched with curl or wget, piped to ``sh``."""
    fetch = any_of(
        cmd("curl", "-fsSL", INSTALL_SCRIPT_URL),
        cmd("wget", Raw("-O -"), INSTALL_SCRIPT_URL),
        cmd("echo", Quoted("exit 1")),
    )
    return pipe(cmd("sh", "-c", Script(fetch)), cmd("sh"))


def create_network(name: str = NETWORK) -> Command:
    """``docker network create <name>``; a failure saying "already exists" is fine (``network_exists``)."""
    return docker("network", "create", name)


def ensure_network() -> Command:
    """The ``kamal`` network: created unless it exists (a real failure still fails)."""
    return subshell(
        any_of(
            docker("network", "inspect", NETWORK, Raw(">/dev/null 2>&1")),
            docker("network", "create", NETWORK, Raw(">/dev/null")),
        )
    )


def network_exists(error_output: str) -> bool:
    """True when ``create_network`` failed only because the network is already there."""
    return "already exists" in error_output


# --- on the deploying machine ----------------------------------------------------------------------


def local_docker_version() -> Command:
    return docker("--version")


def local_buildx_version() -> Command:
    return docker("buildx", "version")


def local_architecture() -> Command:
    """``docker info`` of the local daemon's architecture (see ``normalize_arch``)."""
    return docker("info", "--format", "{{.Architecture}}")


def normalize_arch(reported: str) -> str:
    """Docker's ``aarch64``/``x86_64`` as the ``arm64``/``amd64`` used in ``builder.arch``."""
    reported = reported.strip()
    if "aarch64" in reported:
        return "arm64"
    if "x86_64" in reported:
        return "amd64"
    return reported


BUILD_CHECK_TAG = "kamal-local-build-check"

# Lists the files a build would send to docker (the build context after .dockerignore).
BUILD_CHECK_DOCKERFILE = """FROM busybox
COPY . app
WORKDIR app
CMD find . -type f | sed "s|^\\./||"
"""


def build_context_check(dockerfile_path: str) -> Command:
    """Build the throwaway image that lists the build context (``build dev`` warnings)."""
    return docker("buildx", "build", f"-t={BUILD_CHECK_TAG}", f"-f={dockerfile_path}", ".")


def list_build_context() -> Command:
    return docker("run", "--rm", BUILD_CHECK_TAG)
