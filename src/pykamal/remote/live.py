"""The live terminal view: one line per host, redrawn in place, with its step and elapsed time.

Imported only when a terminal view is drawn (rich is not loaded by `version`, `config` or pipes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from pykamal.printable import visible
from pykamal.remote.board import Board, HostLine

if TYPE_CHECKING:
    from rich.console import RenderableType

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
REFRESH_PER_SECOND = 4  # each redraw costs about 1 ms of CPU


class LiveView:
    def __init__(self, board: Board, stream: TextIO, mask: Callable[[str], str]) -> None:
        from rich.console import Console
        from rich.live import Live

        self.board = board
        self.mask = mask
        self.console = Console(file=stream, highlight=False, soft_wrap=False)
        self._live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=REFRESH_PER_SECOND,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def print(self, text: str, style: str | None = None) -> None:
        """A line above the live area (messages, errors)."""
        from rich.text import Text

        self.console.print(Text(text, style=style or ""), soft_wrap=True)

    def stop(self) -> None:
        self._live.stop()

    def render(self) -> RenderableType:
        """``⠋ host  3.2s  boot web  roles  last output line``, each cut to the terminal's width."""
        from rich.console import Group
        from rich.text import Text

        width = max(self.console.size.width - 1, 10)
        hosts = list(self.board.hosts.values())
        host_width = max((len(line.host) for line in hosts), default=0)
        role_width = max((len(",".join(line.roles)) for line in hosts), default=0)
        step_width = max((len(_what(line)) for line in hosts), default=0)
        show_roles = host_width + role_width + step_width + 14 <= width
        frame = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        rows = []
        for line in hosts:
            mark, style = _mark(line, frame)
            row = Text(f"{mark} ", style=style)
            row.append(f"{line.host:<{host_width}} {_elapsed(line):>6}  ")
            row.append(f"{_what(line):<{step_width}}", style=style if line.step is None else "")
            if show_roles:
                row.append(f"  {','.join(line.roles):<{role_width}}", style="dim")
            if line.step is not None and line.last_output:
                row.append("  " + visible(self.mask(line.last_output)), style="dim")
            row.truncate(width, overflow="ellipsis")
            rows.append(row)
        return Group(*rows)


def _what(line: HostLine) -> str:
    if line.failed_step is not None:
        return line.result
    if line.step is not None:
        return line.step
    return "done" if line.steps_done else "waiting"


def _mark(line: HostLine, frame: str) -> tuple[str, str]:
    if line.failed_step is not None:
        return "✗", "red"
    if line.step is not None:
        return frame, "cyan"
    if line.steps_done:
        return "✓", "green"
    return "·", "dim"


def _elapsed(line: HostLine) -> str:
    """The step's time while in a step, the host's total once done."""
    if line.step is not None:
        return f"{time.monotonic() - line.step_started:.1f}s"
    return f"{line.seconds:.1f}s" if line.first_started is not None else ""
