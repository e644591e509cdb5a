"""A small wrapper around the local `docker` CLI, with errors that say how to fix the machine."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from typing import IO, Any

from pykamal.sandbox.errors import SandboxError

INSTALL_HINT = (
    "install Docker (Debian/Ubuntu: `apt-get install docker.io`, or run scripts/install-deps as root)"
)
START_HINT = "start it (`systemctl start docker`, or `dockerd &` as root where there is no systemd)"

LABEL_PREFIX = "dev.pykamal.sandbox"


class Docker:
    """Runs docker CLI commands; every failure becomes a SandboxError naming the command."""

    def __init__(self, executable: str = "docker") -> None:
        self.executable = executable
        self._checked = False

    def ensure_available(self) -> None:
        """Fail with install/start instructions when the client or the engine is missing."""
        if self._checked:
            return
        if shutil.which(self.executable) is None:
            raise SandboxError(
                f"the sandbox needs Docker, but `{self.executable}` is not on PATH: {INSTALL_HINT}"
            )
        result = self.run(["version", "--format", "{{.Server.Version}}"], check=False)
        if result.returncode != 0:
            detail = _last_line(result.stderr) or "no answer"
            raise SandboxError(f"the Docker engine is not running or not reachable ({detail}): {START_HINT}")
        self._checked = True

    def run(
        self,
        args: Sequence[str],
        *,
        check: bool = True,
        input: str | bytes | None = None,
        stdin: IO[bytes] | None = None,
        capture: bool = True,
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `docker <args>`; text output; raises SandboxError when `check` and it fails."""
        argv = [self.executable, *args]
        data = input.decode() if isinstance(input, bytes) else input
        try:
            result = subprocess.run(
                argv,
                input=data,
                stdin=stdin if data is None else None,
                capture_output=capture,
                text=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise SandboxError(f"`{self.executable}` not found: {INSTALL_HINT}") from exc
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"`docker {' '.join(args[:3])}` timed out after {timeout:.0f}s") from exc
        if check and result.returncode != 0:
            reason = _last_line(result.stderr) or f"exit {result.returncode}"
            raise SandboxError(f"`docker {_short(args)}` failed: {reason}")
        return result

    def run_binary_input(self, args: Sequence[str], chunks: Iterable[bytes]) -> str:
        """Run `docker <args>` feeding `chunks` on stdin (for `docker import -` and `docker cp -`)."""
        import tempfile

        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([self.executable, *args], stdin=subprocess.PIPE, stdout=out, stderr=err)
            assert proc.stdin is not None
            try:
                for chunk in chunks:
                    proc.stdin.write(chunk)
            except BrokenPipeError:
                pass
            finally:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            code = proc.wait()
            out.seek(0)
            err.seek(0)
            if code != 0:
                raise SandboxError(
                    f"`docker {_short(args)}` failed: {_last_line(err.read().decode(errors='replace'))}"
                )
            return out.read().decode(errors="replace").strip()

    def inspect(self, kind: str, name: str) -> dict[str, Any] | None:
        """`docker <kind> inspect name` as a dict, or None when it does not exist."""
        result = self.run([kind, "inspect", name], check=False)
        if result.returncode != 0:
            return None
        data = json.loads(result.stdout or "[]")
        return data[0] if data else None

    def image_label(self, image: str, label: str) -> str | None:
        info = self.inspect("image", image)
        if info is None:
            return None
        labels = (info.get("Config") or {}).get("Labels") or {}
        value = labels.get(label)
        return str(value) if value is not None else None

    def names(self, kind: str, label: str) -> list[str]:
        """Names of containers, volumes or networks carrying a label (`key=value`)."""
        if kind == "container":
            args = ["ps", "--all", "--filter", f"label={label}", "--format", "{{.Names}}"]
        else:
            args = [kind, "ls", "--filter", f"label={label}", "--format", "{{.Name}}"]
        out = self.run(args).stdout
        return sorted(line.strip() for line in out.splitlines() if line.strip())


def _short(args: Sequence[str]) -> str:
    shown = [a for a in args if not a.startswith("--")][:3]
    return " ".join(shown)


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
