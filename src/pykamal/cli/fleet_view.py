"""Tables for ``status`` and ``doctor``, drawn with rich (imported only here, when a table is drawn).

On a terminal: colour and box lines. Piped, or with ``NO_COLOR`` or ``TERM=dumb``: plain text with
no colour and no cursor movement, columns separated by spaces and ``-`` for an empty cell.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from pykamal.printable import visible

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from pykamal.flows.doctor import DoctorReport
    from pykamal.flows.status import FleetStatus

EMPTY = "-"
PROBLEM_COLUMNS = ("STATE", "DOCKER")  # where an unreachable host or a broken Docker says why
PROBLEM_WIDTH = 48


def plain_output(stream: TextIO | None = None) -> bool:
    """True when output must be plain: not a terminal, ``NO_COLOR`` set, or ``TERM=dumb``."""
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return not tty or bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"


def console(stream: TextIO | None = None) -> Console:
    from rich.console import Console

    stream = stream or sys.stdout
    if plain_output(stream):
        return Console(
            file=stream,
            color_system=None,
            force_terminal=False,
            no_color=True,
            highlight=False,
            emoji=False,
            width=int(os.environ.get("COLUMNS", "0") or 0) or 240,
            soft_wrap=True,
        )
    return Console(file=stream, highlight=False, emoji=False)


def show(view: RenderableType, *, plain: bool, stream: TextIO | None = None) -> None:
    """Print a view; plain output (pipes, files, dumb terminals) without the spaces the table
    pads its last column with, so each line ends where its text does."""
    target = console(stream)
    if not plain:
        target.print(view)
        return
    with target.capture() as captured:
        target.print(view)
    text = "\n".join(line.rstrip() for line in captured.get().splitlines())
    (stream or sys.stdout).write(text + "\n")


def format_age(seconds: float | None) -> str:
    if seconds is None:
        return EMPTY
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def _table(title: str | None, columns: list[str], plain: bool) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        box=None if plain else box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 2) if plain else (0, 1),
        header_style="" if plain else "bold",
        title_style="" if plain else "bold",
    )
    for name in columns:
        if name in PROBLEM_COLUMNS and not plain:
            # a long reason would squeeze the other columns out; the drift list shows it in full
            table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=PROBLEM_WIDTH)
        else:
            table.add_column(name, no_wrap=True, overflow="fold")
    return table


def _cell(text: object, style: str | None = None) -> Any:
    from rich.text import Text

    value = EMPTY if text is None or text == "" else visible(str(text))
    return Text(value, style=style or "")


def _mark(flagged: bool) -> Any:
    from rich.text import Text

    return Text("!" if flagged else " ", style="bold red")


def status_view(fleet: FleetStatus, *, plain: bool, footer: str | None = None) -> RenderableType:
    """The whole ``status`` screen: roles, accessories, hosts, the lock and the drift list."""
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = []
    name = fleet.service + (f" ({fleet.destination})" if fleet.destination else "")
    parts.append(Text(f"{name}: fleet status at {fleet.checked_at:%Y-%m-%d %H:%M:%S} UTC", style="bold"))

    roles = _table(None, ["", "ROLE", "HOST", "VERSION", "STATE", "UPTIME", "PROXY", "OTHER VERSIONS"], plain)
    # git-sha versions are cut like git's short ones, so ROLE and HOST keep their room (--json has them whole)
    short = short_version
    for row in fleet.roles:
        flagged = fleet.drift_for(row.host, row.role)
        mark = _mark(bool(flagged))
        if row.problem is not None:
            roles.add_row(
                mark,
                _cell(row.role),
                _cell(row.host),
                _cell("?"),
                _cell(_brief(row.problem), "red"),
                "",
                "",
                "",
            )
            continue
        running = row.state in ("running", "restarting")
        state_style = "red" if flagged else "green" if running else ""
        roles.add_row(
            mark,
            _cell(row.role),
            _cell(row.host),
            _cell(
                f"{short(row.version or '')} (canary)" if row.canary else short(row.version or ""),
                "bold" if not flagged else "bold red",
            ),
            _cell(row.state or "no container", state_style),
            _cell(format_age(row.uptime)),
            _cell(
                _proxy_text(row, short), None if row.proxy is None or row.proxy.routes_to_current else "red"
            ),
            _cell(", ".join(short(v) for v in row.other_versions)),
        )
    parts.append(roles)

    if fleet.accessories:
        accessories = _table("Accessories", ["ACCESSORY", "HOST", "STATE", "IMAGE", "UPTIME"], plain)
        for acc in fleet.accessories:
            state = _brief(acc.problem) if acc.problem else acc.state or "not booted"
            style = "green" if acc.state == "running" else "red"
            accessories.add_row(
                _cell(acc.accessory),
                _cell(acc.host),
                _cell(state, style),
                _cell(acc.image),
                _cell(format_age(acc.uptime)),
            )
        parts.append(accessories)

    hosts = _table("Hosts", ["", "HOST", "DOCKER", "KAMAL-PROXY", "PROXY STATE"], plain)
    for host in fleet.hosts:
        host_flagged = any(d.role is None for d in fleet.drift_for(host.host))
        if not host.reachable:
            hosts.add_row(_mark(True), _cell(host.host), _cell(f"unreachable: {host.error}", "red"), "", "")
            continue
        docker = "running" if host.docker == "ok" else host.error
        hosts.add_row(
            _mark(host_flagged),
            _cell(host.host),
            _cell(docker, "green" if host.docker == "ok" else "red"),
            _cell(host.proxy_version),
            _cell(host.proxy_state),
        )
    parts.append(hosts)

    parts.append(Text(_lock_text(fleet)))
    if fleet.drift:
        parts.append(Text(f"Drift ({len(fleet.drift)}):", style="bold red"))
        for item in fleet.drift:
            parts.append(Text(f"  ! {visible(item.message)}", style="red"))
    else:
        parts.append(Text("No drift: every host runs what it should.", style="green"))
    if footer:
        parts.append(Text(footer, style="dim"))
    return Group(*parts)


def _brief(problem: str) -> str:
    """The kind of problem (``unreachable``, ``Docker does not answer``): the reason is in the
    Hosts table and the drift list, where it has room."""
    return problem.split(":", 1)[0]


SHORT_VERSION = 7  # as git abbreviates a commit


def short_version(version: str) -> str:
    """A long version (a git sha, with ``_uncommitted_…``) cut to 7 characters and an ellipsis."""
    return version if len(version) <= SHORT_VERSION + 5 else version[:SHORT_VERSION] + "…"


def _same(version: str) -> str:
    return version


def _proxy_text(row: Any, short: Any = _same) -> str:
    proxy = row.proxy
    if proxy is None:
        return EMPTY
    if proxy.target is None:
        return f"no route ({proxy.state})" if proxy.state else "no route"
    target = proxy.target
    if short is not _same and row.container and row.version and row.container.endswith(row.version):
        prefix = row.container[: -len(row.version)]
        if target.startswith(prefix):  # the routed container by its version alone
            target = short(target[len(prefix) :])
    if proxy.routes_to_current:
        return f"{proxy.state} -> {target}"
    state = proxy.target_state or "missing"
    return f"{proxy.state} -> {target} ({state})"


def _lock_text(fleet: FleetStatus) -> str:
    lock = fleet.lock
    if lock is None:
        return "Deploy lock: free"
    who = lock.locked_by or "unknown"
    text = f"Deploy lock: held by {who} on {lock.host} for {format_age(lock.age)}"
    if lock.message:
        text += f": {lock.message}"
    if lock.version:
        text += f" (version {lock.version})"
    return visible(text)


VERDICT_LABELS = {
    "ok": ("ok", "green"),
    "warn": ("WARN", "yellow"),
    "fail": ("FAIL", "bold red"),
    "skip": ("skip", "dim"),
}


def doctor_view(report: DoctorReport, *, plain: bool) -> RenderableType:
    """One line per check (verdict, what, detail), the fix under each failure and warning, grouped
    by where the check ran; a summary line last."""
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = []
    group: tuple[str, str | None] | None = None
    width = max((len(visible(c.name)) for c in report.checks), default=0)
    for check in report.checks:
        if (check.scope, check.target) != group:
            group = (check.scope, check.target)
            parts.append(Text(_group_title(check.scope, check.target), style="" if plain else "bold"))
        label, style = VERDICT_LABELS.get(check.verdict, (check.verdict, ""))
        line = Text("  ")
        line.append(f"{label:<4}", style="" if plain else style)
        line.append(f"  {visible(check.name):<{width}}  {visible(check.detail)}")
        parts.append(line)
        if check.fix and check.verdict in ("fail", "warn"):
            fix = f"  {'':<4}  {'':<{width}}  fix: {visible(check.fix)}"
            parts.append(Text(fix, style="" if plain else "dim"))
    summary = (
        f"{len(report.checks)} checks: {report.count('ok')} ok, {report.count('warn')} warnings, "
        f"{report.count('fail')} failed, {report.count('skip')} skipped"
    )
    parts.append(Text(summary, style="" if plain else ("bold red" if not report.ok else "bold green")))
    return Group(*parts)


def _group_title(scope: str, target: str | None) -> str:
    if scope == "local":
        return "This machine"
    if scope == "dns":
        return f"DNS {visible(str(target))}"
    return f"Host {visible(str(target))}"
