"""The request layer's retry rules, against a scripted HTTP layer and a fake clock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.telegram.request import MaybeDelivered, ResilientRequest, RetryPolicy, urgent_reply
from tests.telegram.harness import InProcessRequest

URL = "https://api.example.org/bot123:abc/"
OK = (200, json.dumps({"ok": True, "result": True}).encode())

Step = tuple[int, bytes] | Callable[[], Any]


def fail(error: Exception) -> Callable[[], Any]:
    def raise_it() -> Any:
        raise error

    return raise_it


def status(code: int, **extra: Any) -> tuple[int, bytes]:
    body = {"ok": False, "error_code": code, "description": f"error {code}", **extra}
    return code, json.dumps(body).encode()


def read_timeout() -> TimedOut:
    error = TimedOut()
    error.__cause__ = httpx.ReadTimeout("late")
    return error


def connect_timeout() -> TimedOut:
    error = TimedOut()
    error.__cause__ = httpx.ConnectTimeout("no route")
    return error


class Scripted(InProcessRequest):
    """An HTTP layer that answers from a script, one step per call."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.calls = 0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        step = self.steps.pop(0)
        if callable(step):
            return step()  # type: ignore[no-any-return]
        return step


class Clock:
    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)


def resilient(inner: Scripted, clock: Clock, **policy: Any) -> ResilientRequest:
    return ResilientRequest(inner, policy=RetryPolicy(**policy), sleep=clock.sleep)


async def call(request: ResilientRequest, method: str) -> tuple[int, bytes]:
    return await request.do_request(URL + method, "POST")


async def test_5xx_and_dropped_connections_are_retried_with_growing_pauses() -> None:
    inner = Scripted(
        status(502),
        fail(NetworkError("httpx.RemoteProtocolError: Server disconnected")),
        status(500),
        OK,
    )
    clock = Clock()
    assert await call(resilient(inner, clock), "sendMessage") == OK
    assert inner.calls == 4
    assert clock.pauses == [0.5, 1.0, 2.0]


async def test_retry_after_is_honoured_every_time() -> None:
    inner = Scripted(*(status(429, parameters={"retry_after": 3}) for _ in range(5)), OK)
    clock = Clock()
    assert await call(resilient(inner, clock, attempts=8), "sendMessage") == OK
    assert clock.pauses == [3.1] * 5


async def test_a_read_timeout_on_a_send_is_not_repeated() -> None:
    inner = Scripted(fail(read_timeout()), OK)
    clock = Clock()
    with pytest.raises(MaybeDelivered):
        await call(resilient(inner, clock), "sendMessage")
    assert inner.calls == 1, "the message may have arrived: never sent twice"


async def test_an_unreadable_200_on_a_send_counts_as_delivered() -> None:
    inner = Scripted((200, b"<html>oops"), OK)
    with pytest.raises(MaybeDelivered):
        await call(resilient(inner, Clock()), "sendMessage")
    assert inner.calls == 1


async def test_an_urgent_reply_is_resent_even_when_it_may_have_arrived() -> None:
    inner = Scripted(fail(read_timeout()), OK)
    token = urgent_reply.set(True)
    try:
        assert await call(resilient(inner, Clock()), "sendMessage") == OK
    finally:
        urgent_reply.reset(token)
    assert inner.calls == 2


async def test_a_connect_timeout_never_reached_telegram_and_is_retried() -> None:
    inner = Scripted(fail(connect_timeout()), OK)
    assert await call(resilient(inner, Clock()), "sendMessage") == OK
    assert inner.calls == 2


async def test_reads_are_retried_after_a_read_timeout() -> None:
    inner = Scripted(fail(read_timeout()), OK)
    assert await call(resilient(inner, Clock()), "getMe") == OK
    assert inner.calls == 2


async def test_retries_stop_after_the_attempts_and_return_the_last_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner = Scripted(*(status(503) for _ in range(3)))
    clock = Clock()
    with caplog.at_level(logging.WARNING):
        code, _payload = await call(resilient(inner, clock, attempts=3), "sendMessage")
    assert code == 503
    assert inner.calls == 3
    assert "giving up after 3 attempt(s)" in caplog.text
    assert "123:abc" not in caplog.text, "never the token"


async def test_retries_stop_when_the_time_budget_is_spent() -> None:
    inner = Scripted(*(status(429, parameters={"retry_after": 50}) for _ in range(5)))
    clock = Clock()
    code, _payload = await call(resilient(inner, clock, attempts=10, budget=120), "sendMessage")
    assert code == 429
    assert clock.pauses == [50.1, 50.1]


async def test_a_network_error_at_the_end_is_raised_as_one() -> None:
    inner = Scripted(*(fail(NetworkError("httpx.ConnectError: refused")) for _ in range(2)))
    with pytest.raises(NetworkError, match="sendMessage failed"):
        await call(resilient(inner, Clock(), attempts=2), "sendMessage")


async def test_get_updates_is_never_retried_here() -> None:
    inner = Scripted(status(502), OK)
    code, _payload = await call(resilient(inner, Clock()), "getUpdates")
    assert code == 502
    assert inner.calls == 1


async def test_the_inbox_hears_before_every_send_attempt() -> None:
    inner = Scripted(status(502), OK)
    heard: list[str] = []

    async def before_send() -> None:
        heard.append("send")

    request = ResilientRequest(inner, before_send=before_send, sleep=Clock().sleep)
    assert await call(request, "sendMessage") == OK
    assert heard == ["send", "send"]
    await call(ResilientRequest(Scripted(OK), before_send=before_send), "getMe")
    assert heard == ["send", "send"], "reads are not deliveries"


def test_a_broken_body_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(Exception, match="not JSON"):
        ResilientRequest.parse_json_payload(b"my private words")
    assert "my private words" not in caplog.text
