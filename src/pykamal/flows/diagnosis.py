"""Why a container did not come up, in words: what kamal-proxy saw, the container's state, its last
log lines, and one hint naming the setting to look at.

Reads the raw failure report (``commands.app.failure_report``); masking happens when it is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykamal.commands import app

if TYPE_CHECKING:
    from pykamal.config.model import Role
    from pykamal.remote.output import Output


@dataclass(frozen=True)
class ContainerState:
    status: str  # created | running | restarting | exited | dead ...
    exit_code: int
    oom_killed: bool
    restarting: bool

    @classmethod
    def parse(cls, text: str) -> ContainerState | None:
        parts = text.split()
        if len(parts) != 4 or not parts[1].lstrip("-").isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2] == "true", parts[3] == "true")

    def describe(self) -> str:
        if self.oom_killed:
            return f"was killed for lack of memory (OOM, exit code {self.exit_code})"
        if self.restarting:
            return f"keeps restarting (last exit code {self.exit_code})"
        if self.status in ("exited", "dead"):
            return f"exited with code {self.exit_code}"
        return f"is {self.status}"


@dataclass(frozen=True)
class BootReport:
    host: str
    role: Role
    container: str
    reason: str  # the last line the boot printed (kamal-proxy's or the readiness poll's)
    logs: tuple[str, ...]
    state: ContainerState | None
    proxy_error: str  # kamal-proxy's last health check error for this container ("" when none)

    @property
    def what(self) -> str:
        return explain(self)[0]

    @property
    def hint(self) -> str:
        return explain(self)[1]


def parse_report(host: str, role: Role, container: str, reason: str, stdout: str) -> BootReport:
    sections = app.failure_sections(stdout)
    return BootReport(
        host=host,
        role=role,
        container=container,
        reason=reason,
        logs=tuple(line for line in sections["logs"].splitlines() if line.strip()),
        state=ContainerState.parse(sections["state"]),
        proxy_error=_proxy_error(sections["proxy_check"]),
    )


def _proxy_error(line: str) -> str:
    try:
        entry = json.loads(line)
    except ValueError:
        return ""
    return str(entry.get("error") or "") if isinstance(entry, dict) else ""


def health_path(role: Role) -> tuple[str, int]:
    proxy = role.proxy
    if proxy is None:
        return "/up", 80
    return proxy.healthcheck_path or "/up", proxy.app_port


def explain(report: BootReport) -> tuple[str, str]:
    """(what happened, hint): one line each."""
    state = report.state
    role = report.role.name
    if state is not None and (state.oom_killed or state.status in ("exited", "dead") or state.restarting):
        what = f"the container {state.describe()}"
        if state.oom_killed:
            return what, f"give {role} more memory (servers/{role}/options/memory) or use less"
        if report.role.running_proxy:
            hint = f"{role} stopped before its health check passed: its log lines above say why"
        else:
            hint = f"{role} exited during its readiness delay: check servers/{role}/cmd and its logs above"
        return what, hint
    if report.role.running_proxy:
        return _explain_health_check(report)
    return (
        f"the container did not become ready ({report.reason})",
        f"{role} has no proxy: it must keep running (or report healthy) within deploy_timeout",
    )


def _explain_health_check(report: BootReport) -> tuple[str, str]:
    path, port = health_path(report.role)
    check = f"health check GET {path} on port {port}"
    error = report.proxy_error
    status = re.search(r"unexpected status \((\d+)\)", error)
    if status:
        code = status.group(1)
        return (
            f"{check} answered {code}",
            f"health check GET {path} answered {code}: is proxy.healthcheck.path right?",
        )
    if "connection refused" in error:
        return (
            f"{check}: connection refused",
            f"nothing listens on port {port} in the container: is proxy.app_port right?",
        )
    if "timed out" in error.lower() or "deadline" in error.lower():
        return (
            f"{check} timed out",
            f"the app did not answer GET {path} in time: raise proxy.healthcheck.timeout or make {path} fast",
        )
    if "no such host" in error or "i/o timeout" in error:
        return (
            f"{check}: kamal-proxy could not reach the container ({error})",
            "the container must be on the kamal network: check servers/*/options/network",
        )
    if error:
        return f"{check} failed: {error}", f"see the container's log lines above ({report.container})"
    return report.reason, f"see the container's log lines above ({report.container})"


def show(output: Output, reports: Sequence[BootReport]) -> None:
    """Every failure, grouped by role and cause: the cause, the log lines once where the hosts agree,
    and one hint."""
    groups: dict[tuple[str, str], list[BootReport]] = {}
    for report in sorted(reports, key=lambda r: _natural(r.host)):
        groups.setdefault((report.role.name, report.what), []).append(report)
    for (role, what), members in groups.items():
        hosts = ", ".join(r.host for r in members)
        output.error(f"{role} failed on {hosts}: {what}")
        first_reason = members[0].reason
        if first_reason and first_reason not in what:
            source = "kamal-proxy" if members[0].role.running_proxy else "readiness check"
            output.detail(f"{source}: {first_reason}")
        for logs, same in _by_logs(members):
            first = same[0]
            if not logs:
                output.detail(f"{first.container} wrote no log lines on {first.host}")
                continue
            where = first.host if len(same) == 1 else f"{first.host} (the same on {len(same) - 1} more)"
            output.detail(f"Last {len(logs)} log lines of {first.container} on {where}:")
            for line in logs:
                output.detail(f"  {line}")
        output.detail(f"Hint: {members[0].hint}")


def _natural(text: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", text)]


def _by_logs(reports: Sequence[BootReport]) -> list[tuple[tuple[str, ...], list[BootReport]]]:
    """Reports whose logs match once numbers (times, addresses, ports) are set aside, together."""
    groups: dict[tuple[str, ...], list[BootReport]] = {}
    for report in reports:
        key = tuple(re.sub(r"\d+", "#", line) for line in report.logs)
        groups.setdefault(key, []).append(report)
    return [(members[0].logs, members) for members in groups.values()]
