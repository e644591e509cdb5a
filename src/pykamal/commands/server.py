"""Host preparation: the run directory, and Docker installation for ``server bootstrap``."""

from __future__ import annotations

from pykamal.commands.base import Command, Raw, Script, any_of, cmd, pipe

RUN_DIRECTORY = ".kamal"
DOCKER_INSTALL_SCRIPT = "https://get.docker.com"


def ensure_run_directory() -> Command:
    return cmd("mkdir", "-p", RUN_DIRECTORY)


def docker_installed() -> Command:
    """Fails when the Docker client is missing."""
    return cmd("docker", "-v")


def docker_running() -> Command:
    return cmd("docker", "version")


def superuser() -> Command:
    """Succeeds when we are root or may run ``usermod`` through sudo without a password."""
    return cmd(Raw('[ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null'))


def root() -> Command:
    return cmd(Raw('[ "${EUID:-$(id -u)}" -eq 0 ]'))


def in_docker_group() -> Command:
    return cmd(Raw('id -nG "${USER:-$(id -un)}" | grep -qw docker'))


def add_to_docker_group() -> Command:
    return cmd(Raw('sudo -n usermod -aG docker "${USER:-$(id -un)}"'))


def refresh_session() -> Command:
    """Make the new group membership effective by ending the SSH session's shell."""
    return cmd(Raw("kill -HUP $PPID"))


def install_docker() -> Command:
    """Docker's convenience install script, fetched with curl or wget, piped to sh."""
    fetch = any_of(
        cmd("curl", "-fsSL", DOCKER_INSTALL_SCRIPT),
        cmd("wget", Raw("-O -"), DOCKER_INSTALL_SCRIPT),
        cmd("echo", Raw('"exit 1"')),
    )
    return pipe(cmd("sh", "-c", Script(fetch)), cmd("sh"))
