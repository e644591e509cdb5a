"""Running a flow to its end, for real or as a plan (``--plan``: print every command, run none)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pykamal.flows.context import Run
    from pykamal.remote.deploy_log import LogSink
    from pykamal.remote.fake import RecordingExecutor

T = TypeVar("T")

PLAN_NOTE = (
    "Plan only: nothing was run on any host. Remote state is not read, so the commands are those "
    "for hosts where nothing of this app runs yet."
)


async def run_flow(run: Run, flow: Callable[[Run], Awaitable[T]]) -> T:
    """Run ``flow`` on ``run`` (its log also where ``output:`` says), close its connections, and
    under ``--plan`` print what it recorded."""
    try:
        with deploy_log(run):
            result = await flow(run)
    finally:
        await run.executor.close()
    if run.plan:
        print_plan(run)
    return result


# Kamal 2.12 records these in its ``output`` log: the commands that change the servers.
RECORDED = {
    "deploy": None,
    "redeploy": None,
    "rollback": None,
    "setup": None,
    "remove": None,
    "upgrade": None,
    "release": None,
    "app": {"boot", "start", "stop", "remove", "live", "maintenance", "remove_container",
            "remove_containers", "remove_images", "remove_app_directories"},
    "proxy": {"boot", "reboot", "start", "stop", "restart", "remove", "remove_container", "remove_image",
              "remove_proxy_directory"},
    "accessory": {"boot", "reboot", "start", "stop", "restart", "remove", "remove_container",
                  "remove_image", "remove_service_directory", "directories", "upload", "upgrade",
                  "pull_image"},
    "prune": {"all", "images", "containers"},
    "server": {"bootstrap"},
}  # fmt: skip


def is_recorded(command: str, subcommand: str | None) -> bool:
    if command not in RECORDED:
        return False
    subcommands = RECORDED[command]
    return subcommands is None or subcommand in subcommands


@contextmanager
def deploy_log(run: Run) -> Iterator[None]:
    """While a state-changing command runs, its log also goes where ``output:`` says."""
    settings = run.config.output
    if run.plan or not settings.enabled or not is_recorded(run.command or "", run.subcommand):
        yield
        return
    from pykamal.remote import deploy_log as sinks

    output = run.output
    started = time.monotonic()
    opened = open_sinks(run)
    for sink in opened:
        output.add_sink(sink)
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        seconds = time.monotonic() - started
        for sink in opened:
            output.remove_sink(sink)
            try:
                note = sink.finish(seconds, error)
            except Exception as exc:
                sinks.warn_on_stderr(f"Could not finish the output log: {exc}")
            else:
                output.puts(note)


def open_sinks(run: Run) -> list[LogSink]:
    from pykamal import __version__
    from pykamal.errors import ConfigError
    from pykamal.remote import deploy_log as sinks
    from pykamal.remote.identity import performer

    config = run.config
    info = sinks.RunInfo(
        command=run.command or "",
        subcommand=run.subcommand,
        service=config.service,
        destination=config.destination,
        # the file needs no version: commands that work without git must not need one for it
        version=config.version if config.output.otel_endpoint is not None else "",
        performer=performer(),
    )
    opened: list[LogSink] = []
    if config.output.file_path is not None:
        try:
            opened.append(sinks.FileSink(config.output.file_path, info))
        except OSError as exc:
            raise ConfigError(
                f"output/file/path: cannot write {config.output.file_path}: {exc.strerror}"
            ) from None
    if config.output.otel_endpoint is not None:
        opened.append(sinks.OtelSink(config.output.otel_endpoint, info, __version__, warn=run.output.warn))
    return opened


def print_plan(run: Run) -> None:
    """Every recorded command, grouped by host, in the order it would run there."""
    executor: RecordingExecutor = run.executor  # type: ignore[assignment]
    output = run.output
    hosts = list(dict.fromkeys(call.host for call in executor.calls))
    for host in hosts:
        output.puts(f"Host {host}:")
        number = 0
        for call in executor.calls:
            if call.host != host:
                continue
            number += 1
            if call.kind == "upload":
                size = len(call.data or b"")
                output.puts(f"  {number:>2}. upload {call.path} (mode {call.mode or 0:04o}, {size} bytes)")
            elif call.kind == "run":
                output.puts(f"  {number:>2}. {call.display}")
        output.puts()
    output.say(PLAN_NOTE, None)
