"""Run the bot: start-up with retries, then long polling or a webhook, both via the inbox.

Start-up (``start``): getMe, the command menu and, in webhook mode, setWebhook are retried
with growing pauses while Telegram is unreachable or answers 5xx, for ``STARTUP_BUDGET``
seconds; a rejected token stops at once (InvalidToken, one line in app.py).

Polling (``poll``): raw updates are fetched with getUpdates and handed to the inbox, which
stores them; only the next getUpdates (its offset) confirms them to Telegram. A failed poll
is one warning line and a pause, never a traceback.

Webhook (``WebhookServer``): Telegram POSTs each update; the reply is 200 once it is stored,
403 without the secret header, 400 for a body that is not a JSON update, 413 above
``MAX_BODY`` bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import tornado.httpserver
import tornado.web
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot.telegram.inbox import Inbox

logger = logging.getLogger(__name__)
T = TypeVar("T")

# How long start-up keeps trying while Telegram is unreachable or failing.
STARTUP_BUDGET = 60.0
# Long-poll length, and the longest pause after a failed poll.
POLL_TIMEOUT = 25
POLL_LONGEST_PAUSE = 30.0
# Telegram sends at most 100 updates per getUpdates.
POLL_LIMIT = 100
# A webhook body larger than this is refused (a text message is at most 4,096 characters).
MAX_BODY = 1_000_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def with_retries(
    what: str,
    call: Callable[[], Awaitable[T]],
    *,
    budget: float = STARTUP_BUDGET,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``call``, retrying transient failures for ``budget`` seconds (not a bad token)."""
    started = time.monotonic()
    pause = 1.0
    while True:
        try:
            return await call()
        except InvalidToken:
            raise
        except (NetworkError, TimedOut) as error:
            if time.monotonic() - started + pause > budget:
                raise
            logger.warning("%s failed (%s); retrying in %.0f s", what, _line(error), pause)
            await sleep(pause)
            pause = min(pause * 2, 15.0)


async def poll(
    bot: Bot,
    inbox: Inbox,
    stop: asyncio.Event,
    allowed_updates: list[str],
    *,
    poll_timeout: int = POLL_TIMEOUT,
) -> None:
    """Fetch updates until ``stop`` is set; each batch is stored before it is confirmed."""
    last = await inbox.storage.last_update_id()
    offset = last + 1 if last is not None else None
    pause = 0.5
    while not stop.is_set():
        kwargs: dict[str, Any] = {
            "timeout": poll_timeout,
            "limit": POLL_LIMIT,
            "allowed_updates": allowed_updates,
        }
        if offset is not None:
            kwargs["offset"] = offset
        fetch = asyncio.ensure_future(_get_updates(bot, kwargs, poll_timeout))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            break
        try:
            raw = fetch.result()
        except InvalidToken:
            raise
        except TelegramError as error:
            logger.warning("getUpdates failed (%s); retrying in %.1f s", _line(error), pause)
            await _pause(stop, pause)
            pause = min(pause * 2, POLL_LONGEST_PAUSE)
            continue
        pause = 0.5
        if not isinstance(raw, list):
            logger.warning("getUpdates answered something that is not a list; retrying")
            await _pause(stop, 1.0)
            continue
        await inbox.accept(raw)
        ids = [u["update_id"] for u in raw if isinstance(u, dict) and _is_id(u.get("update_id"))]
        if ids:
            offset = max(ids) + 1
        elif raw:
            logger.warning("getUpdates sent %d update(s) without an update id", len(raw))
            await _pause(stop, 1.0)


async def _get_updates(bot: Bot, kwargs: dict[str, Any], poll_timeout: int) -> Any:
    # The raw JSON, so that one malformed update cannot make the whole batch unreadable.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return await bot.do_api_request(
            "getUpdates", api_kwargs=kwargs, read_timeout=poll_timeout + 10
        )


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _line(error: TelegramError) -> str:
    return error.message.splitlines()[0][:100] if error.message else type(error).__name__


@tornado.web.stream_request_body
class _WebhookHandler(tornado.web.RequestHandler):
    """Receives Telegram's POSTs: checks the secret and the body, stores, then says 200.

    The body is read in chunks and refused as soon as it passes ``MAX_BODY``, so no request
    can hold the event loop or the memory.
    """

    def initialize(self, inbox: Inbox, secret: str) -> None:
        self.inbox = inbox
        self.secret = secret
        self.body = bytearray()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self._refuse(403, "wrong or missing secret")
            return
        length = self.request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            self._refuse(413, "body too large")

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.body += chunk
        if len(self.body) > MAX_BODY:
            self._refuse(413, "body too large")

    async def post(self) -> None:
        if self._finished:
            return
        try:
            update = json.loads(bytes(self.body))
        except ValueError:
            self._refuse(400, "body is not JSON")
            return
        if not isinstance(update, dict) or not _is_id(update.get("update_id")):
            self._refuse(400, "body is not an update")
            return
        await self.inbox.accept([update])
        self.set_status(200)
        self.finish()

    def _refuse(self, status: int, why: str) -> None:
        logger.warning("Webhook request refused with %d: %s", status, why)
        self.set_status(status)
        self.finish()

    def log_exception(self, *args: Any) -> None:
        """Log failures on one line, without the request (it holds a patient's text)."""
        logger.error("Webhook request failed")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()


class WebhookServer:
    """A small HTTP server for Telegram's webhook POSTs, on one path."""

    def __init__(self, inbox: Inbox, *, path: str, secret: str) -> None:
        app = tornado.web.Application(
            [(f"/{path.strip('/')}", _WebhookHandler, {"inbox": inbox, "secret": secret})],
            log_function=lambda _handler: None,
        )
        # Bodies are checked in the handler; Tornado's own limit only stops absurd ones.
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=64 * MAX_BODY)

    def listen(self, port: int, address: str) -> None:
        """Start listening (raises OSError when the port is taken)."""
        self._server.listen(port, address)

    async def close(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
