"""The root command group, Kamal's global options, and lazy loading of subcommands.

Every command (and group) accepts Kamal's global options anywhere on the command line,
e.g. ``pykamal app logs -d staging`` as well as ``pykamal -d staging app logs``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import click

from pykamal import __version__

# name -> "module:attribute"; each module defines a click command or group.
# Keep this table sorted; only commands that really work are listed here.
COMMANDS: dict[str, tuple[str, str]] = {
    # "name": ("pykamal.cli.module", "attribute"), filled in by each command module's author
    "accessory": ("pykamal.cli.accessory", "accessory"),
    "app": ("pykamal.cli.app", "app"),
    "audit": ("pykamal.cli.audit", "audit"),
    "build": ("pykamal.cli.build", "build"),
    "config": ("pykamal.cli.config_cmds", "config"),
    "deploy": ("pykamal.cli.deploy", "deploy"),
    "details": ("pykamal.cli.deploy", "details"),
    "docs": ("pykamal.cli.config_cmds", "docs"),
    "doctor": ("pykamal.cli.status", "doctor"),
    "help": ("pykamal.cli.help_cmds", "help_"),
    "init": ("pykamal.cli.config_cmds", "init"),
    "lock": ("pykamal.cli.lock", "lock"),
    "proxy": ("pykamal.cli.proxy", "proxy"),
    "prune": ("pykamal.cli.prune", "prune"),
    "redeploy": ("pykamal.cli.deploy", "redeploy"),
    "registry": ("pykamal.cli.registry", "registry"),
    "release": ("pykamal.cli.deploy", "release"),
    "remove": ("pykamal.cli.deploy", "remove"),
    "rollback": ("pykamal.cli.deploy", "rollback"),
    "sandbox": ("pykamal.cli.sandbox", "sandbox"),
    "secrets": ("pykamal.cli.secrets", "secrets"),
    "server": ("pykamal.cli.server", "server"),
    "setup": ("pykamal.cli.deploy", "setup"),
    "status": ("pykamal.cli.status", "status"),
    "tree": ("pykamal.cli.help_cmds", "tree"),
    "upgrade": ("pykamal.cli.upgrade", "upgrade"),
    "version": ("pykamal.cli.main_cmds", "version"),
}

# One line per top-level command for `pykamal --help`, so listing them imports no command module.
# Each command uses its entry as its own help (tests/unit/cli/test_help.py checks they agree).
SUMMARIES: dict[str, str] = {
    "accessory": "Boot, inspect and remove accessories (databases, caches, other services)",
    "app": "Work with the app containers: boot, stop, exec, logs, versions",
    "audit": "Print the recent audit log of every server",
    "build": "Build, push and pull the app image; manage the builder",
    "config": "Print the merged configuration (secret values redacted)",
    "deploy": "Build, push and roll out the app to every server with zero downtime",
    "details": "Print the proxy, app and accessory containers on every server",
    "docs": "Print the configuration documentation (all sections, or one SECTION)",
    "doctor": "Check this machine, every server and DNS before a deploy; say how to fix what fails",
    "help": "Describe the commands, or one command (help COMMAND [SUBCOMMAND])",
    "init": "Create config/deploy.yml, .kamal/secrets and sample hooks (never overwrites)",
    "lock": "Take, release or show the deploy lock",
    "proxy": "Run and manage kamal-proxy on the servers",
    "prune": "Remove old app containers and images from the servers",
    "redeploy": "Roll out the app again, without proxy boot or pruning",
    "registry": "Log in to and out of the image registry, here and on the servers",
    "release": "Run the release command (x-pykamal/release) for --version or the running version",
    "remove": "Remove the app, kamal-proxy, accessories and registry logins from the servers",
    "rollback": "Switch back to VERSION (default: the previous version still on every host)",
    "sandbox": "Local throwaway servers (sshd + dockerd), a registry and kamal-proxy to deploy to",
    "secrets": "Fetch, extract and print secrets",
    "server": "Run commands on the servers; install Docker where it is missing",
    "setup": "Install Docker where needed, boot accessories, then deploy",
    "status": "Show what runs where on every server, and flag drift",
    "tree": "Print every command and subcommand as a tree",
    "upgrade": "Move servers set up by Kamal 1.x to Kamal 2 (kamal-proxy instead of Traefik)",
    "version": "Print the pykamal version",
}


def summary(name: str) -> str:
    """The help line of the top-level command ``name``."""
    return SUMMARIES[name]


GLOBAL_OPTION_NAMES = (
    "verbose",
    "quiet",
    "version",
    "primary",
    "hosts",
    "roles",
    "config_file",
    "destination",
    "skip_hooks",
    "lock_wait",
    "lock_wait_timeout",
    "lock_wait_interval",
)


def _global_params() -> list[click.Parameter]:
    return [
        click.Option(["-v", "--verbose"], is_flag=True, default=None, help="Print more detail."),
        click.Option(["-q", "--quiet"], is_flag=True, default=None, help="Print only errors and results."),
        click.Option(
            ["--version"],
            default=None,
            metavar="VERSION",
            help="App version to act on.",
        ),
        click.Option(
            ["-p", "--primary"],
            is_flag=True,
            default=None,
            help="Act on the primary host only.",
        ),
        click.Option(
            ["-h", "--hosts"],
            default=None,
            metavar="HOSTS",
            help="Act only on these hosts (comma separated, * wildcards).",
        ),
        click.Option(
            ["-r", "--roles"],
            default=None,
            metavar="ROLES",
            help="Act only on these roles (comma separated, * wildcards).",
        ),
        click.Option(
            ["-c", "--config-file"],
            default=None,
            metavar="PATH",
            help="Path to config file (default: config/deploy.yml).",
        ),
        click.Option(
            ["-d", "--destination"],
            default=None,
            metavar="DEST",
            help="Destination name, adding deploy.NAME.yml to the config.",
        ),
        click.Option(
            ["-H", "--skip-hooks"], is_flag=True, default=None, help="Do not run the .kamal/hooks scripts."
        ),
        click.Option(
            ["--lock-wait"],
            is_flag=True,
            default=None,
            help="If another deploy holds the deploy lock, wait for it instead of failing.",
        ),
        click.Option(
            ["--lock-wait-timeout"],
            type=click.FloatRange(min=0),
            default=None,
            metavar="SECONDS",
            help="With --lock-wait: give up after this long (default 900).",
        ),
        click.Option(
            ["--lock-wait-interval"],
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="SECONDS",
            help="With --lock-wait: seconds between tries (default 15).",
        ),
    ]


CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["--help"], "max_content_width": 110}


def _absorb_globals(ctx: click.Context, params: dict[str, Any]) -> None:
    """Move global options out of a command's kwargs into the shared Globals object."""
    from pykamal.cli.context import Globals

    globals_ = ctx.find_object(Globals)
    if globals_ is None:
        globals_ = Globals()
        ctx.obj = globals_
    for name in GLOBAL_OPTION_NAMES:
        value = params.pop(name, None)
        if value is not None:
            setattr(globals_, name, value)


class KamalCommand(click.Command):
    """A command that also accepts the global options, parsed by Kamal's rules (cli/thor_args.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from pykamal.cli.thor_args import add_negations

        kwargs.setdefault("context_settings", CONTEXT_SETTINGS)
        super().__init__(*args, **kwargs)
        self.params.extend(_global_params())
        add_negations(self.params)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from pykamal.cli.thor_args import reorder

        return super().parse_args(ctx, reorder(self, ctx, args))

    def invoke(self, ctx: click.Context) -> Any:
        _absorb_globals(ctx, ctx.params)
        return super().invoke(ctx)


# Commands every group has, as Thor's have: `app help exec`, `app tree`.
GROUP_BUILT_INS = ("help", "tree")


class KamalGroup(click.Group):
    """A group whose subcommands default to KamalCommand / KamalGroup, with `help` and `tree`."""

    command_class = KamalCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from pykamal.cli.thor_args import add_negations

        kwargs.setdefault("context_settings", CONTEXT_SETTINGS)
        super().__init__(*args, **kwargs)
        self.params.extend(_global_params())
        add_negations(self.params)

    def invoke(self, ctx: click.Context) -> Any:
        _absorb_globals(ctx, ctx.params)
        return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(GROUP_BUILT_INS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in GROUP_BUILT_INS:
            found = getattr(importlib.import_module("pykamal.cli.help_cmds"), COMMANDS[cmd_name][1])
        return found


RAW_ARGS_KEY = "pykamal.raw_args"


class RootGroup(KamalGroup):
    """Root group: loads subcommands lazily from COMMANDS, and resolves config aliases."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(COMMANDS) | set(self.commands)
        return sorted(names)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[RAW_ARGS_KEY] = list(args)  # `--help` lists the aliases of the config named here
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.list_commands(ctx):
            args = self._expand_alias(ctx, args) or args
        return super().resolve_command(ctx, args)

    def _expand_alias(self, ctx: click.Context, args: list[str]) -> list[str] | None:
        """An alias replaced by its command line (the config loaded for it is kept when still valid)."""
        from pykamal.cli import aliases
        from pykamal.cli.context import Globals

        globals_ = ctx.find_object(Globals)
        base = aliases.choice_from_globals(globals_)
        choice = base.updated(args[1:])
        config = aliases.load(choice)
        if config is None:
            return None
        expanded = aliases.expand(config, args, self.list_commands(ctx))
        if expanded is not None and aliases.asks_for_help(args[1:]):
            return ["help", args[0], *aliases.split_global_options(args[1:])[0]]
        if expanded is not None and globals_ is not None and base.updated(expanded) == choice:
            globals_._config = config
        return expanded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        from pykamal.cli import aliases
        from pykamal.errors import PykamalError

        try:
            config = aliases.load(aliases.ConfigChoice().updated(ctx.meta.get(RAW_ARGS_KEY, [])))
        except PykamalError:
            return  # help must work with a broken config; commands will report the error
        if config is not None and config.aliases:
            built_in = set(self.list_commands(ctx))
            rows = [
                (name, f"{line}  [ignored: conflicts with a built-in command]" if name in built_in else line)
                for name, line in config.aliases
            ]
            with formatter.section("Aliases (from the config file)"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module = importlib.import_module(target[0])
        command: click.Command = getattr(module, target[1])
        return command


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], KamalCommand]:
    """Decorator for a standalone top-level command (registered through COMMANDS)."""
    kwargs.setdefault("cls", KamalCommand)
    if args and args[0] in SUMMARIES:
        kwargs.setdefault("help", SUMMARIES[args[0]])
    return click.command(*args, **kwargs)


def group(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], KamalGroup]:
    """Decorator for a top-level command group (registered through COMMANDS)."""
    kwargs.setdefault("cls", KamalGroup)
    if args and args[0] in SUMMARIES:
        kwargs.setdefault("help", SUMMARIES[args[0]])
    return click.group(*args, **kwargs)


@click.group(cls=RootGroup, invoke_without_command=False)
@click.pass_context
def root(ctx: click.Context) -> None:
    """pykamal: deploy web apps anywhere, with zero downtime (reads Kamal's config/deploy.yml)."""


KamalGroup.group_class = KamalGroup  # subgroups made with @group.group() are KamalGroups too
__all__ = ["COMMANDS", "KamalCommand", "KamalGroup", "__version__", "command", "group", "root"]
