"""On the hosts: pull the image, check its label, read the registry mirror; and the whole pull as
one remote command.
"""

from __future__ import annotations

from pykamal.commands.args import docker
from pykamal.commands.base import Command, Quoted, Raw, Subst, any_of, chain, cmd, combine, pipe, word
from pykamal.config.model import Config


def pull(config: Config) -> Command:
    return docker("pull", config.absolute_image)


def clean(config: Config) -> Command:
    """Remove the local copy of the version's image before pulling it again."""
    return docker("image", "rm", "--force", config.absolute_image)


def validate_image(config: Config) -> Command:
    """Fails unless the image carries ``service=<service>`` (refuses other apps' images)."""
    message = f"Image {config.absolute_image} is missing the 'service' label"
    return pipe(
        docker("inspect", "-f", "{{ .Config.Labels.service }}", config.absolute_image),
        any_of(
            cmd("grep", "-x", config.service),
            cmd(Raw("(echo"), Quoted(message), Raw("&& exit 1)")),
        ),
    )


def first_mirror() -> Command:
    """The host's first registry mirror (fails when it has none)."""
    return docker("info", "--format", "{{index .RegistryConfig.Mirrors 0}}")


NO_MIRROR_TEXT = "error calling index: reflect: slice index out of range"


def no_mirror(error_output: str) -> bool:
    """True when ``first_mirror`` failed only because no mirror is configured."""
    return NO_MIRROR_TEXT in error_output


# --- a host's whole pull in one remote command -----------------------------------------------------
# Instead of Kamal's separate login, mirror read, audit line, clean, pull and label check. Each step
# that can fail ends the script with its own exit status, so a refused login, a missing tag and a
# missing ``service`` label stay distinguishable. The password reaches ``docker login
# --password-stdin`` on stdin, read by that first step only.

# exit statuses of ``pull_on_host``
LOGIN_FAILED = 81
PULL_FAILED = 82
LABEL_MISSING = 83
MIRROR_UNREADABLE = 84

# the line a host with a registry mirror prints instead of pulling (marked like the probes' lines)
MIRROR_LINE = "@pykamal mirror"


def _exit_on_failure(command: Command, status: int) -> Command:
    """``{ <command> || exit <status>; }``."""
    return cmd(Raw("{"), command, Raw(f"|| exit {status}; }}"), stdin=command.stdin)


def login_step(login: Command) -> Command:
    """``docker login`` whose output is shown only when it fails (then the script exits)."""
    return cmd(
        word(Raw("out="), Subst(cmd(login, Raw("2>&1")))),
        Raw(f"|| {{ printf '%s\\n' \"$out\" >&2; exit {LOGIN_FAILED}; }}"),
        stdin=login.stdin,
    )


def mirror_step() -> Command:
    """On a host with a registry mirror: print ``@pykamal mirror <url>`` and stop (it pulls later,
    once one host per mirror has seeded it). Without a mirror, go on; any other error stops."""
    return cmd(
        Raw("if"),
        word(Raw("mirror="), Subst(cmd(first_mirror(), Raw("2>&1")))),
        Raw(f'; then echo {MIRROR_LINE} "$mirror"; exit 0; fi;'),
        Raw(f'case "$mirror" in *"{NO_MIRROR_TEXT}"*) ;;'),
        Raw(f"*) printf '%s\\n' \"$mirror\" >&2; exit {MIRROR_UNREADABLE} ;; esac"),
    )


def stopped_at_mirror(stdout: str) -> str | None:
    """The mirror a host named instead of pulling (``mirror_step``), or None when it pulled."""
    for line in stdout.splitlines():
        words = line.split()
        if len(words) == 3 and " ".join(words[:2]) == MIRROR_LINE:
            return words[2]
    return None


def pull_steps(config: Config, audit: Command) -> Command:
    """The audit line, Kamal's clean (failure ignored), the pull and the ``service`` label check."""
    clean_then_pull = chain(clean(config), _exit_on_failure(pull(config), PULL_FAILED))
    return combine(
        audit,
        cmd(Raw("{"), clean_then_pull, Raw("; }")),
        _exit_on_failure(validate_image(config), LABEL_MISSING),
    )


DOCKER_HUB = frozenset({"docker.io", "index.docker.io"})


def mirrors_can_serve(image: str) -> bool:
    """Whether a Docker daemon's ``registry-mirrors`` can serve ``image``: they mirror Docker Hub only.

    As Docker reads a reference, a first path part with a ``.``, a ``:`` or a capital letter, or
    ``localhost``, names a registry; without one the image is on Docker Hub."""
    first, slash, _ = image.partition("/")
    names_registry = "." in first or ":" in first or first == "localhost" or first != first.lower()
    if not slash or not names_registry:
        return True
    return first in DOCKER_HUB


def pull_on_host(
    config: Config, *, audit: Command, login: Command | None = None, check_mirror: bool = False
) -> Command:
    """Log in (unless ``login`` is None), stop early on a mirror host (``check_mirror``), then pull."""
    return chain(
        login_step(login) if login is not None else None,
        mirror_step() if check_mirror else None,
        pull_steps(config, audit),
    )
