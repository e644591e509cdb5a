"""A real terminal for tests: a tmux session running bash, driven with send-keys and read with
capture-pane, so the CLI is seen exactly as a person sees it."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

EXIT = re.compile(r"__EXIT_(\d+)__")
TIMES = re.compile(r"\d+\.\d+(s| seconds)")


class Terminal:
    def __init__(self, cwd: Path, env: Mapping[str, str], *, width: int = 100, height: int = 50) -> None:
        self.name = f"pykamal-test-{uuid.uuid4().hex[:8]}"
        variables = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self._tmux(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), "-c", str(cwd),
            *variables, "bash --norc --noprofile",
        )  # fmt: skip
        self._tmux("set-option", "-t", self.name, "history-limit", "10000")
        self.send("PS1='$ '; clear")
        time.sleep(0.3)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout

    def send(self, text: str, enter: bool = True) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)
        if enter:
            self._tmux("send-keys", "-t", self.name, "Enter")

    def key(self, name: str) -> None:
        self._tmux("send-keys", "-t", self.name, name)

    def screen(self, history: bool = False) -> str:
        """What the terminal shows now (with ``history``, also what scrolled off)."""
        extra = ["-S", "-", "-J"] if history else []
        return self._tmux("capture-pane", "-p", "-t", self.name, *extra)

    def cursor_visible(self) -> bool:
        return self._tmux("display-message", "-p", "-t", self.name, "#{cursor_flag}").strip() == "1"

    def run(self, command: str, timeout: float = 240) -> tuple[int, str]:
        """Type ``command``, wait until it ends; its exit status and everything it showed."""
        self._tmux("send-keys", "-t", self.name, "clear", "Enter")
        time.sleep(0.2)
        self._tmux("clear-history", "-t", self.name)
        self.send(f"{command}; echo __EXIT_$?__")
        return self.wait_for_exit(timeout)

    def wait_for_exit(self, timeout: float = 240) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen(history=True)
            found = EXIT.search(text)
            if found:
                return int(found.group(1)), text[: found.start()]
            time.sleep(0.25)
        raise AssertionError(f"command did not end within {timeout} s:\n{self.screen(history=True)}")

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not shown within {timeout} s:\n{self.screen(history=True)}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)


def masked(text: str) -> str:
    """The screen with times masked, trailing blanks and the typed command line dropped."""
    lines = [TIMES.sub(lambda m: "#.#" + m.group(1), line.rstrip()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("$ ")]
    return "\n".join(lines)
