"""Requests to Telegram that survive faults, and never send an answer twice.

Every Bot API call goes through ``ResilientRequest``, which wraps the real HTTP layer:

- HTTP 429: waits the ``retry_after`` Telegram gives, every time, then tries again.
- HTTP 5xx, a refused or dropped connection, or no answer before a request was sent:
  nothing reached Telegram, so the call is tried again with growing pauses, for a bounded
  number of attempts and time.
- The ambiguous case: a call that delivers something to the patient (a message, an edit)
  timed out after the request was sent, or Telegram answered 200 with a body that cannot be
  read. The message may well have arrived, so it is not sent again, and no "something went
  wrong" follows it: ``MaybeDelivered`` is raised and the handlers stay quiet. The one
  exception is an urgent or crisis reply: it is sent again, because a second copy of "call
  your emergency number" is better than none.

Deliveries go out one at a time, and just before each ``before_send`` is awaited (the inbox
records that the update's reply is going out): a crash then leaves at most one reply in
doubt, and the inbox does not send it again. Reads and button answers are not held back.
Each incident is logged on one line: method, what happened, what next.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

logger = logging.getLogger(__name__)

# Bot API methods that show something to a patient: never repeated when they may have arrived.
DELIVERS = frozenset(
    {"sendMessage", "editMessageText", "answerInlineQuery", "editMessageReplyMarkup"}
)
# Long polling retries in its own loop (see polling.py), never here.
NOT_RETRIED = frozenset({"getUpdates"})

# Set while a reply to an emergency is being sent: it is resent even when it may have arrived.
urgent_reply: contextvars.ContextVar[bool] = contextvars.ContextVar("urgent_reply", default=False)


class MaybeDelivered(NetworkError):
    """The call may have reached Telegram; it is not repeated (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a call is retried before the bot gives up on it."""

    attempts: int = 6
    first_pause: float = 0.5
    longest_pause: float = 8.0
    # Total time spent retrying one call (429 waits included).
    budget: float = 120.0

    def pause(self, attempt: int) -> float:
        """Return the pause after the given failed attempt (1, 2, ...): doubling, capped."""
        return float(min(self.longest_pause, self.first_pause * 2 ** (attempt - 1)))


def retry_after(payload: bytes) -> float | None:
    """Return Telegram's ``retry_after`` from an error body, or None."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    parameters = data.get("parameters") if isinstance(data, dict) else None
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return float(value) if isinstance(value, int | float) else None


def readable(payload: bytes) -> bool:
    """Return True when a 2xx body is the JSON object Telegram sends."""
    try:
        return isinstance(json.loads(payload), dict)
    except ValueError:
        return False


class ResilientRequest(BaseRequest):
    """Wraps another request object with the retry and delivery rules above."""

    def __init__(
        self,
        inner: BaseRequest,
        *,
        policy: RetryPolicy | None = None,
        before_send: Callable[[], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        deliveries_at_once: int = 1,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self.before_send = before_send
        self.deliveries_at_once = deliveries_at_once
        self._deliveries: asyncio.Semaphore | None = None
        self._sleep = sleep

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def _deliver(self, call: Awaitable[tuple[int, bytes]]) -> tuple[int, bytes]:
        """Send one delivery, after telling the inbox, while no other delivery is out.

        One delivery at a time: when the process is killed, at most one reply is in doubt
        (and it is not sent again), rather than every reply that happened to be in flight.
        """
        if self._deliveries is None:
            self._deliveries = asyncio.Semaphore(self.deliveries_at_once)
        async with self._deliveries:
            if self.before_send is not None:
                await self.before_send()
            return await call

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """Parse Telegram's JSON without logging the body (it can hold a patient's text)."""
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError as error:
            raise TelegramError("Telegram sent a reply that is not JSON") from error
        if not isinstance(data, dict):
            raise TelegramError("Telegram sent a reply that is not a JSON object")
        return data

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        delivers = endpoint in DELIVERS
        started = time.monotonic()
        slept = 0.0
        attempt = 0
        while True:
            attempt += 1
            outcome: tuple[int, bytes] | None = None
            try:
                call = self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout,
                    write_timeout,
                    connect_timeout,
                    pool_timeout,
                )
                if delivers:
                    outcome = await self._deliver(call)
                else:
                    outcome = await call
            except TimedOut as error:
                if delivers and _after_sending(error) and not urgent_reply.get():
                    logger.warning("%s timed out after it was sent; not sent again", endpoint)
                    raise MaybeDelivered(f"{endpoint} timed out after it was sent") from error
                problem, pause = "timed out", self.policy.pause(attempt)
            except NetworkError as error:
                problem, pause = _short(error), self.policy.pause(attempt)
            if outcome is not None:
                code, payload = outcome
                if code == 429:
                    wait = retry_after(payload)
                    problem = "too many requests"
                    pause = wait + 0.1 if wait is not None else self.policy.pause(attempt)
                elif code >= 500:
                    problem, pause = f"HTTP {code}", self.policy.pause(attempt)
                elif 200 <= code < 300 and not readable(payload):
                    if delivers and not urgent_reply.get():
                        logger.warning(
                            "%s answered with an unreadable body; not sent again", endpoint
                        )
                        raise MaybeDelivered(f"{endpoint} answered with an unreadable body")
                    problem, pause = "an unreadable answer", self.policy.pause(attempt)
                else:
                    return outcome
            # Slept time counts even when the clock is a test's (then no real time passes).
            spent = max(time.monotonic() - started, slept)
            if endpoint in NOT_RETRIED:
                # The caller retries and says so on one line (serve.py).
                if outcome is not None:
                    return outcome
                raise NetworkError(f"{endpoint} failed: {problem}")
            if attempt >= self.policy.attempts or spent + pause > self.policy.budget:
                logger.warning(
                    "%s failed (%s); giving up after %d attempt(s)", endpoint, problem, attempt
                )
                if outcome is not None:
                    return outcome
                raise NetworkError(f"{endpoint} failed: {problem}")
            logger.warning("%s failed (%s); retry %d in %.1f s", endpoint, problem, attempt, pause)
            await self._sleep(pause)
            slept += pause


def _after_sending(error: TimedOut) -> bool:
    """Return True when the request was sent and only the answer was late (a read timeout).

    A connect, write or pool timeout means the request never reached Telegram whole.
    """
    cause = error.__cause__
    return not isinstance(cause, httpx.ConnectTimeout | httpx.WriteTimeout | httpx.PoolTimeout)


def _short(error: TelegramError) -> str:
    """Return a one-line description of a network error (no URL, so no token)."""
    text = error.message.split(":", 1)[0] if error.message.startswith("httpx.") else error.message
    return text.splitlines()[0][:80] if text else type(error).__name__
