"""Deploy notifications (``x-pykamal.notify``): webhooks told when a deploy starts, succeeds, fails
or is switched back automatically.

Posting never holds up the deploy: events are queued and each webhook has a task posting its
queue in order while the deploy goes on. The run waits for what is left only at its very end,
after the lock is released, and a webhook that fails or does not answer within its timeout costs
one warning line; one that timed out is not tried again during the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pykamal.config.extensions import KEY
from pykamal.errors import ConfigError, SecretsError

if TYPE_CHECKING:
    from pykamal.config.extensions import Notifier
    from pykamal.flows.context import Run
    from pykamal.remote.output import Redactor

SCHEMA = 1


@dataclass
class Webhook:
    notifier: Notifier
    url: str
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    given_up: bool = False

    @property
    def name(self) -> str:
        return f"{KEY}/notify/{self.notifier.index} ({self.notifier.url_secret})"


class Notifications:
    """The webhooks of one deploy-like run and what they have been told."""

    def __init__(self, run: Run, webhooks: list[Webhook], mask: Redactor) -> None:
        self.run = run
        self.webhooks = webhooks
        self.mask = mask
        self.started = time.monotonic()
        self.previous_version: str | None = None
        self.announced = False

    def send(self, event: str, **fields: Any) -> None:
        """Queue ``event`` for every webhook that wants it; returns at once."""
        body = self.body(event, **fields)
        for webhook in self.webhooks:
            if event in webhook.notifier.events:
                webhook.queue.put_nowait(_masked(body, self.mask))
                if webhook.task is None:
                    webhook.task = asyncio.ensure_future(self._post_queue(webhook))

    def body(self, event: str, **fields: Any) -> dict[str, Any]:
        from pykamal.flows.common import known_version
        from pykamal.remote.identity import performer

        config = self.run.config

        body: dict[str, Any] = {
            "schema": SCHEMA,
            "event": event,
            "command": self.run.command or "deploy",
            "service": config.service,
            "destination": config.destination,
            "version": known_version(self.run),
            "previous_version": self.previous_version,
            "performer": performer(),
            "hosts": list(self.run.selection.hosts),
            "duration": None if event == "start" else round(time.monotonic() - self.started, 1),
            "error": None,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        body.update(fields)
        return body

    async def _post_queue(self, webhook: Webhook) -> None:
        from pykamal.remote.webhook import WebhookError, post_json

        while (body := await webhook.queue.get()) is not None:
            if webhook.given_up:
                continue
            payload = slack_body(body) if webhook.notifier.format == "slack" else body
            try:
                await post_json(webhook.url, payload, webhook.notifier.timeout)
            except WebhookError as exc:
                webhook.given_up = exc.timed_out
                self.run.output.warn(f"  WARN notification {body['event']} to {webhook.name}: {exc}")

    async def close(self) -> None:
        """Wait for the queued posts (each bounded by its webhook's timeout)."""
        for webhook in self.webhooks:
            webhook.queue.put_nowait(None)
        tasks = [w.task for w in self.webhooks if w.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def webhooks(run: Run) -> list[Webhook]:
    """The configured webhooks with their URLs read from the secrets; a missing secret or a value
    that is not an http(s) URL is a configuration error naming the key (never the value)."""
    from pykamal.remote.webhook import is_http_url

    found = []
    for notifier in run.config.extensions.notify:
        key = f"{KEY}/notify/{notifier.index}/url_secret"
        try:
            url = run.config.secrets.get(notifier.url_secret)
        except SecretsError as exc:
            raise ConfigError(f"{key}: {exc}") from None
        if not is_http_url(url):
            raise ConfigError(f"{key}: secret {notifier.url_secret} does not hold an http(s) URL")
        found.append(Webhook(notifier, url.strip()))
    return found


@asynccontextmanager
async def session(run: Run) -> AsyncIterator[Notifications | None]:
    """Around a deploy-like run: ``failure`` or ``success`` at its end, then the queued posts are
    waited for. Nested runs (setup's deploy) share the outer session."""
    current = run.notifications
    if current is not None or run.plan or not run.config.extensions.notify:
        yield current
        return
    notifications = Notifications(run, webhooks(run), _mask_of(run))
    run.notifications = notifications
    try:
        yield notifications
    except BaseException as exc:
        notifications.send("failure", error=_first_line(exc))
        raise
    else:
        notifications.send("success")
    finally:
        run.notifications = None
        await notifications.close()


def started(run: Run, previous_version: str | None) -> None:
    """The deploy holds the lock and has read the hosts: nothing is changed on them yet."""
    notifications = run.notifications
    if notifications is not None and not notifications.announced:
        notifications.run = run  # rollback's run knows the version it goes back to
        notifications.announced = True
        notifications.previous_version = previous_version
        notifications.send("start")


def rolled_back(run: Run, *, hosts: Sequence[str], to_version: str | None, reason: str) -> None:
    """``hosts`` were switched back automatically to ``to_version`` after the run's version failed
    (``reason``, one line). Does nothing when no webhook is configured."""
    notifications = run.notifications
    if notifications is not None and hosts:
        notifications.send(
            "rollback",
            hosts=list(hosts),
            previous_version=to_version or notifications.previous_version,
            error=reason.split("\n", 1)[0],
        )


def _first_line(exc: BaseException) -> str:
    if not isinstance(exc, Exception):
        return "interrupted"
    text = str(exc).strip()
    return text.split("\n", 1)[0] if text else type(exc).__name__


def _mask_of(run: Run) -> Redactor:
    """Every secret value (masked by content wherever it would show in a payload)."""
    from pykamal.remote.output import Redactor

    mask = Redactor()
    mask.add_all(run.config.secrets.all().values())
    return mask


def _masked(value: Any, mask: Redactor) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, mask) for k, v in value.items()}
    return value


# --- Slack incoming-webhook body ---------------------------------------------------------------


def slack_body(body: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the notification line) and blocks with the fields."""
    text = slack_text(body)
    facts = [
        f"*Service:* {_escape(body['service'])}",
        f"*Version:* {_escape(body['version'])}",
        f"*Previous:* {_escape(body['previous_version'] or 'none')}",
        f"*By:* {_escape(body['performer'])}",
        f"*Hosts:* {_escape(', '.join(body['hosts']))}",
    ]
    if body["destination"]:
        facts.insert(1, f"*Destination:* {_escape(body['destination'])}")
    if body["duration"] is not None:
        facts.append(f"*Duration:* {body['duration']:g}s")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": fact} for fact in facts]},
    ]
    if body["error"]:
        error = {"type": "mrkdwn", "text": f"*Error:* {_escape(body['error'])}"}
        blocks.append({"type": "context", "elements": [error]})
    return {"text": text, "blocks": blocks}


def slack_text(body: dict[str, Any]) -> str:
    where = body["service"] + (f" ({body['destination']})" if body["destination"] else "")
    version = _escape(body["version"] or "?")
    who = _escape(body["performer"])
    count = len(body["hosts"])
    hosts = f"{count} host{'s' if count != 1 else ''}"
    event = body["event"]
    if body["command"] == "rollback":  # a rollback someone asked for (not an automatic switch back)
        what, on = f"{_escape(where)} to {version}", f"on {hosts}"
        going, done, failed = "is rolling back", "rolled back", "roll back"
    else:
        what, on = f"{_escape(where)} {version}", f"to {hosts}"
        going, done, failed = "is deploying", "deployed", "deploy"
    if event == "start":
        previous = body["previous_version"]
        was = f" (replacing {_escape(previous)})" if previous else ""
        return f":rocket: {who} {going} {what}{was} {on}"
    if event == "success":
        return f":white_check_mark: {who} {done} {what} {on} in {body['duration']:g}s"
    if event == "rollback":
        back = _escape(body["previous_version"] or "the previous version")
        return f":leftwards_arrow_with_hook: {what} failed; {hosts} switched back to {back}"
    error = _escape(body["error"] or "")
    return f":x: {who} failed to {failed} {what} after {body['duration']:g}s: {error}"


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
