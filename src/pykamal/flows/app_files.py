"""Files an app version needs on its hosts before it boots: error pages, assets, TLS certificates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pykamal.commands import app, app_proxy, proxy
from pykamal.commands.args import make_directory
from pykamal.commands.base import Command, combine
from pykamal.remote.executor import run_on

if TYPE_CHECKING:
    from pykamal.config.model import Config, Role
    from pykamal.flows.context import Run
    from pykamal.flows.host_state import HostState

ERROR_PAGE_PATTERNS = ("4??.html", "5??.html")
ERROR_PAGE_MODE = 0o644  # read by kamal-proxy, which runs as its own user
TLS_MODE = 0o600


def error_pages(config: Config) -> list[Path]:
    if not config.error_pages_path:
        return []
    folder = Path(config.error_pages_path)
    found = {path for pattern in ERROR_PAGE_PATTERNS for path in folder.glob(pattern) if path.is_file()}
    return sorted(found)


def tls_roles(run: Run, host: str) -> list[Role]:
    return [
        role
        for role in run.selection.roles_on(host)
        if role.proxy is not None and role.proxy.custom_ssl_certificate
    ]


def error_pages_version_directory(config: Config) -> str:
    return f"{app_proxy.error_pages_directory(config)}/{config.version}"


async def prepare(run: Run, config: Config, hosts: Sequence[str], states: dict[str, HostState]) -> None:
    pages = error_pages(config)

    async def one(host: str) -> None:
        roles = run.selection.roles_on(host)
        state = states.get(host)
        steps: list[Command] = []
        if pages:
            steps.append(make_directory(error_pages_version_directory(config)))
        for role in roles:
            if app.has_assets(config, role):
                steps.append(app.prepare_assets(config, role, state.current(role) if state else None))
        certified = tls_roles(run, host)
        for role in certified:
            run.output.log("info", f"Writing SSL certificates for {role.name} on {host}")
            steps.append(app.create_ssl_directory(config, role))
        if not steps:
            return
        await run.executor.run(host, combine(*steps))
        for page in pages:
            remote = f"{error_pages_version_directory(config)}/{page.name}"
            await run.executor.upload(host, page.read_bytes(), remote, mode=ERROR_PAGE_MODE)
        paths: list[str] = []
        for role in certified:
            assert role.proxy is not None
            for secret, path in (
                (role.proxy.ssl_certificate_pem_secret, app_proxy.host_tls_cert(config, role.name)),
                (role.proxy.ssl_private_key_pem_secret, app_proxy.host_tls_key(config, role.name)),
            ):
                if secret:
                    await run.executor.upload(host, config.secret(secret).value, path, mode=TLS_MODE)
                    paths.append(path)
        if paths:
            await run.executor.run(host, proxy.hand_to_proxy(*paths))

    await run_on(hosts, one)
