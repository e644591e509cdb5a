"""The live terminal view: one line per host, redrawn in place, with its step and elapsed time.

Imported only when a terminal view is drawn (rich is not loaded by `version`, `config` or pipes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from pykamal.remote.board import SUMMARY_HEADER, Board, summary_rows

if TYPE_CHECKING:
    from rich.console import RenderableType

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
REFRESH_PER_SECOND = 8


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
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1, style="dim")
        frame = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        for line in self.board.hosts.values():
            if line.failed_step is not None:
                mark, what = Text("✗", style="red"), Text(line.result, style="red")
            elif line.step is not None:
                mark, what = Text(frame, style="cyan"), Text(line.step)
            elif line.steps_done:
                mark, what = Text("✓", style="green"), Text("done", style="green")
            else:
                mark, what = Text("·", style="dim"), Text("waiting", style="dim")
            detail = self.mask(line.last_output) if line.step is not None else ""
            grid.add_row(
                mark,
                line.host,
                ",".join(line.roles),
                what,
                f"{line.seconds:.1f}s" if line.first_started is not None else "",
                detail,
            )
        return grid


def summary_table(board: Board) -> Any:
    """The end-of-run table, as a rich renderable."""
    from rich.table import Table

    table = Table(box=None, padding=(0, 2), pad_edge=True, header_style="bold")
    for name in SUMMARY_HEADER:
        table.add_column(name, no_wrap=name != "RESULT", overflow="ellipsis")
    for row in summary_rows(board):
        style = "red" if row[3].startswith(("failed", "stopped")) else None
        table.add_row(*row, style=style)
    return table
