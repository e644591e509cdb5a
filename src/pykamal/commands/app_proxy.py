"""``kamal-proxy`` commands run inside the proxy container: deploy, remove, resume and stop a service.

The flags and their order follow Kamal's, so the proxy ends up with the same service settings
whichever tool deployed last.
"""

from __future__ import annotations

from typing import Any

from pykamal.commands.args import docker, optionize
from pykamal.commands.base import Arg, Command
from pykamal.config.model import Config, ProxyConfig

PROXY_CONTAINER = "kamal-proxy"
APPS_CONTAINER_DIRECTORY = "/home/kamal-proxy/.apps-config"
DEFAULT_LOG_REQUEST_HEADERS = ("Cache-Control", "Last-Modified", "User-Agent")


def _seconds(value: int | float | None) -> str | None:
    return None if value is None else f"{value}s"


def app_container_directory(config: Config) -> str:
    return f"{APPS_CONTAINER_DIRECTORY}/{config.service_and_destination}"


def error_pages_directory(config: Config) -> str:
    """Where error pages are uploaded on the host (one subdirectory per version)."""
    return f"{config.proxy_apps_config_directory}/error_pages"


def tls_directory(config: Config) -> str:
    return f"{config.proxy_apps_config_directory}/tls"


def host_tls_cert(config: Config, role_name: str | None) -> str:
    """Host path of a custom TLS certificate (upload it with mode 0600)."""
    return "/".join(p for p in (tls_directory(config), role_name, "cert.pem") if p)


def host_tls_key(config: Config, role_name: str | None) -> str:
    """Host path of a custom TLS private key (upload it with mode 0600)."""
    return "/".join(p for p in (tls_directory(config), role_name, "key.pem") if p)


def _container_tls_path(config: Config, role_name: str | None, filename: str) -> str:
    parts = (app_container_directory(config), "tls", role_name, filename)
    return "/".join(p for p in parts if p)


def _deploy_options(config: Config, proxy: ProxyConfig, role_name: str | None) -> list[tuple[str, Any]]:
    """The options of ``kamal-proxy deploy`` (after ``--target``), in Kamal's order; unset ones left out."""
    custom_tls = proxy.custom_ssl_certificate
    error_pages = (
        f"{app_container_directory(config)}/error_pages/{config.version}" if config.error_pages_path else None
    )
    options: list[tuple[str, Any]] = [
        ("host", list(proxy.hosts)),
        ("tls", True if proxy.ssl else None),
        ("tls-certificate-path", _container_tls_path(config, role_name, "cert.pem") if custom_tls else None),
        ("tls-private-key-path", _container_tls_path(config, role_name, "key.pem") if custom_tls else None),
        ("deploy-timeout", _seconds(config.deploy_timeout)),
        ("drain-timeout", _seconds(config.drain_timeout)),
        ("health-check-interval", _seconds(proxy.healthcheck_interval)),
        ("health-check-timeout", _seconds(proxy.healthcheck_timeout)),
        ("health-check-path", proxy.healthcheck_path),
        ("target-timeout", _seconds(proxy.response_timeout)),
        ("buffer-requests", proxy.buffering_requests),
        ("buffer-responses", proxy.buffering_responses),
        ("buffer-memory", proxy.buffering_memory),
        ("max-request-body", proxy.buffering_max_request_body),
        ("max-response-body", proxy.buffering_max_response_body),
        ("path-prefix", list(proxy.path_prefixes)),
        ("strip-path-prefix", proxy.strip_path_prefix),
        ("forward-headers", proxy.forward_headers),
        ("tls-redirect", proxy.ssl_redirect),
        ("log-request-header", list(proxy.log_request_headers)),
        ("log-response-header", list(proxy.log_response_headers)),
        ("error-pages", error_pages),
    ]
    return [(k, v) for k, v in options if v is not None]


def _deploy_args(config: Config, proxy: ProxyConfig, target: str, role_name: str | None) -> list[Arg]:
    """``--target="<container id>:<app port>"`` followed by every configured option."""
    options = [("target", f"{target}:{proxy.app_port}"), *_deploy_options(config, proxy, role_name)]
    return optionize(options, joined=True)


def _proxy_exec(*args: Arg) -> Command:
    return docker("exec", PROXY_CONTAINER, "kamal-proxy", *args)


def deploy(config: Config, service: str, proxy: ProxyConfig, target: str, role_name: str | None) -> Command:
    """Point ``service`` at the container ``target``; kamal-proxy health-checks it, then switches."""
    return _proxy_exec("deploy", service, *_deploy_args(config, proxy, target, role_name))


def remove(service: str) -> Command:
    return _proxy_exec("remove", service)


def resume(service: str) -> Command:
    return _proxy_exec("resume", service)


def stop(service: str, *, drain_timeout: int | None = None, message: str | None = None) -> Command:
    """Put a service in maintenance: drain, then answer with a 503 (and ``message``)."""
    options = [
        (k, v) for k, v in (("drain-timeout", _seconds(drain_timeout)), ("message", message)) if v is not None
    ]
    return _proxy_exec("stop", service, *optionize(options, joined=True))
