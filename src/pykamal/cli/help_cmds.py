"""``help [COMMAND [SUB]]`` and ``tree``, in every command group (``pykamal app help exec``).

Both act on the group they were called from (the parent context), so one command object
serves the root and every subgroup alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from pykamal.cli.core import command


@command("help")
@click.argument("names", nargs=-1, metavar="[COMMAND [SUBCOMMAND]]")
@click.pass_context
def help_(ctx: click.Context, names: tuple[str, ...]) -> None:
    start = ctx.parent or ctx
    if names and isinstance(start.command, click.Group) and start.parent is None:
        alias = _alias_line(start, names[0])
        if alias is not None:
            _print_alias_help(start, names[0], alias)
            return
    target = resolve(start, names)
    click.echo(target.command.get_help(target))


@command("tree")
@click.pass_context
def tree(ctx: click.Context) -> None:
    start = ctx.parent or ctx
    for line in tree_lines(start, depth=0):
        click.echo(line)


def resolve(start: click.Context, names: Sequence[str]) -> click.Context:
    """The context of the command ``names`` leads to from ``start``; a UsageError for a wrong name."""
    from pykamal.errors import PykamalError

    current = start
    for name in names:
        group = current.command
        if not isinstance(group, click.Group):
            raise PykamalError(f'"{current.command_path}" has no subcommand "{name}"')
        found = group.get_command(current, name)
        if found is None:
            raise PykamalError(f'Could not find command "{name}" in "{current.command_path}"')
        current = click.Context(found, info_name=name, parent=current)
    return current


def tree_lines(ctx: click.Context, depth: int) -> list[str]:
    """``ctx``'s command path, its visible commands as branches, then each subgroup's tree indented."""
    group = ctx.command
    assert isinstance(group, click.Group)
    indent = "  " * depth
    shown: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        found = group.get_command(ctx, name)
        if found is not None and not found.hidden and name not in ("help", "tree"):
            shown.append((name, found))
    lines = [f"{indent}{ctx.command_path}"]
    for index, (name, found) in enumerate(shown):
        branch = "└─" if index == len(shown) - 1 else "├─"
        lines.append(f"{indent}  {branch} {name} ({found.get_short_help_str(limit=200).rstrip('.')})")
    for name, found in shown:
        if isinstance(found, click.Group):
            lines.extend(tree_lines(click.Context(found, info_name=name, parent=ctx), depth + 1))
    return lines


def _alias_line(root_ctx: click.Context, name: str) -> str | None:
    """The command line of alias ``name`` in the config the command line names, or None."""
    from pykamal.cli import aliases
    from pykamal.cli.context import Globals
    from pykamal.cli.core import RAW_ARGS_KEY

    group = root_ctx.command
    assert isinstance(group, click.Group)
    if name in group.list_commands(root_ctx):
        return None
    choice = aliases.choice_from_globals(root_ctx.find_object(Globals))
    config = aliases.load(choice.updated(root_ctx.meta.get(RAW_ARGS_KEY, [])))
    if config is None:
        return None
    return dict(config.aliases).get(name)


def _print_alias_help(root_ctx: click.Context, name: str, line: str) -> None:
    """What alias ``name`` runs, then the help of the command it starts with."""
    from pykamal.secrets.shellwords import shellsplit

    click.echo(f"{name}: an alias from the config file for")
    click.echo(f"  {root_ctx.command_path} {line}")
    click.echo()
    current = root_ctx
    for word in shellsplit(line):
        group = current.command
        found = group.get_command(current, word) if isinstance(group, click.Group) else None
        if found is None:
            break
        current = click.Context(found, info_name=word, parent=current)
    if current is not root_ctx:
        click.echo(current.command.get_help(current))
