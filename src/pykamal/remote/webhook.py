"""POST a JSON body to a webhook URL, bounded by a timeout, without blocking the event loop.

The request runs in a daemon thread: one that never answers is abandoned at the timeout and
cannot hold up the end of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import urllib.error
import urllib.request
from typing import Any


class WebhookError(Exception):
    """The webhook did not take the body: a short reason, never the URL."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


def is_http_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


async def post_json(url: str, body: dict[str, Any], timeout: float) -> int:
    """POST ``body``; return the HTTP status. Raises WebhookError on a refusal, an error status or
    no answer within ``timeout`` seconds (connecting, sending and reading all included)."""
    data = json.dumps(body).encode()
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[int] = loop.create_future()

    def settle(status: int | None, error: WebhookError | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(status or 0)

    def send() -> None:
        status, error = None, None
        try:
            status = _post(url.strip(), data, timeout)
        except WebhookError as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for the answer any more
            loop.call_soon_threadsafe(settle, status, error)

    threading.Thread(target=send, name="webhook", daemon=True).start()
    try:
        return await asyncio.wait_for(answer, timeout)
    except TimeoutError:
        raise WebhookError(f"no answer within {timeout:g}s", timed_out=True) from None


def _post(url: str, data: bytes, timeout: float) -> int:
    from pykamal import __version__

    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"pykamal/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise WebhookError(f"answered {exc.code} {exc.reason}".rstrip()) from None
    except urllib.error.URLError as exc:
        raise WebhookError(_reason(exc.reason), timed_out=isinstance(exc.reason, TimeoutError)) from None
    except TimeoutError:
        raise WebhookError(f"no answer within {timeout:g}s", timed_out=True) from None
    except (OSError, ValueError) as exc:
        raise WebhookError(_reason(exc)) from None


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "no answer in time"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__
