"""The inbox and the webhook server, in process: stored first, answered once, in order."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.responder import Responder
from bot.settings import Settings
from bot.storage import SQLiteStorage
from bot.telegram.application import build_application
from bot.telegram.inbox import Inbox
from bot.telegram.serve import MAX_BODY, SECRET_HEADER, WebhookServer
from tests.telegram.fake_bot_api import BotApi, Call
from tests.telegram.harness import RecordingRequest
from tests.telegram.updates import USER, inline_update, message, text_update

SECRET = "webhook-secret_123"
PRIVATE_WORDS = "my private words about my back"


class Rig:
    """An application over the in-process fake, fed through a real inbox and database."""

    def __init__(self, inbox: Inbox, api: BotApi, database: Path) -> None:
        self.inbox = inbox
        self.api = api
        self.database = database

    async def feed(self, *updates: dict[str, Any]) -> int:
        added = await self.inbox.accept(list(updates))
        async with asyncio.timeout(10):
            await self.inbox.drain()
        return added

    def replies(self) -> list[Call]:
        return [c for c in self.api.calls if c.method == "sendMessage"]

    def states(self) -> dict[int, str]:
        with sqlite3.connect(self.database) as db:
            return dict(db.execute("SELECT update_id, state FROM inbox"))


@pytest.fixture
async def rig(settings: Settings, responder: Responder, tmp_path: Path) -> AsyncIterator[Rig]:
    database = tmp_path / "bot.sqlite3"
    storage = SQLiteStorage(database)
    inbox = Inbox(storage)
    api = BotApi()
    app = build_application(settings, responder, request=RecordingRequest(api), inbox=inbox)
    inbox.application = app
    async with app:
        yield Rig(inbox, api, database)
    await storage.close()


def numbered(update_id: int, update: dict[str, Any]) -> dict[str, Any]:
    return {"update_id": update_id, **update}


async def test_each_update_is_answered_once_and_marked_done(rig: Rig) -> None:
    assert await rig.feed(numbered(1, text_update("what is a muscle spasm"))) == 1
    assert len(rig.replies()) == 1
    assert rig.states() == {1: "done"}


async def test_an_update_sent_twice_is_answered_once(rig: Rig) -> None:
    update = numbered(5, text_update("what is a muscle spasm"))
    assert await rig.feed(update, update) == 1
    assert await rig.feed(update) == 0
    assert len(rig.replies()) == 1


async def test_messages_from_one_chat_are_answered_in_order(rig: Rig, responder: Responder) -> None:
    questions = ["hello", "what is a muscle spasm", "does heat help a spasm", "thanks", "bye"]
    updates = [numbered(10 + i, text_update(q)) for i, q in enumerate(questions)]
    await rig.feed(*updates)
    sent = [c.text for c in rig.replies()]
    expected = [responder.respond(q).body.splitlines()[0] for q in questions]
    assert len(sent) == len(expected)
    assert all(line in text for line, text in zip(expected, sent, strict=True)), sent


@pytest.mark.parametrize(
    "broken",
    [
        {"message": {k: v for k, v in message(PRIVATE_WORDS).items() if k != "message_id"}},
        {"message": {k: v for k, v in message(PRIVATE_WORDS).items() if k != "date"}},
        {"message": {**message(PRIVATE_WORDS), "chat": {"id": USER["id"]}}},
        {
            "inline_query": {
                k: v
                for k, v in inline_update(PRIVATE_WORDS)["inline_query"].items()
                if k != "query"
            }
        },
    ],
    ids=["no message_id", "no date", "chat without type", "inline query without query"],
)
async def test_a_malformed_update_is_dropped_logged_once_without_its_text(
    rig: Rig, broken: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await rig.feed(numbered(20, broken), numbered(21, text_update("what is a muscle spasm")))
    assert rig.states() == {20: "dropped", 21: "done"}
    assert len(rig.replies()) == 1, "the next patient is still answered"
    dropped = [r for r in caplog.records if "20" in r.getMessage() and "dropped" in r.getMessage()]
    assert len(dropped) == 1
    assert PRIVATE_WORDS not in caplog.text


async def test_an_update_without_an_id_is_skipped(rig: Rig) -> None:
    assert await rig.feed(text_update("hello"), ["not", "an", "update"]) == 0  # type: ignore[arg-type]
    assert rig.replies() == []


async def test_pending_updates_are_answered_at_start_up(rig: Rig) -> None:
    storage = rig.inbox.storage
    update = numbered(30, text_update("what is a muscle spasm"))
    await storage.add_updates([(30, json.dumps(update))])
    await storage.add_updates([(31, json.dumps(numbered(31, text_update("hello"))))])
    await storage.mark(31, "sending")
    assert await rig.inbox.resume() == 1
    async with asyncio.timeout(10):
        await rig.inbox.drain()
    [reply] = rig.replies()
    assert "muscle spasm" in reply.text.lower()
    assert rig.states() == {30: "done", 31: "done"}, "a reply already going out is not repeated"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook(rig: Rig) -> AsyncIterator[str]:
    port = free_port()
    server = WebhookServer(rig.inbox, path="telegram/hook", secret=SECRET)
    server.listen(port, "127.0.0.1")
    yield f"http://127.0.0.1:{port}/telegram/hook"
    await server.close()


async def post(url: str, body: bytes, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=body, headers=headers, timeout=10)
    return response.status_code


async def test_the_webhook_stores_then_answers_and_ignores_a_repeat(webhook: str, rig: Rig) -> None:
    body = json.dumps(numbered(40, text_update("what is a muscle spasm"))).encode()
    assert await post(webhook, body) == 200
    assert 40 in rig.states(), "stored before the 200"
    assert await post(webhook, body) == 200
    async with asyncio.timeout(10):
        await rig.inbox.drain()
    assert len(rig.replies()) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"this is not json", 400),
        (b'["a", "list"]', 400),
        (b'{"message": {"text": "no update id"}}', 400),
        (b'{"update_id": "1"}', 400),
    ],
)
async def test_the_webhook_refuses_what_is_not_an_update(
    webhook: str, rig: Rig, body: bytes, status: int
) -> None:
    assert await post(webhook, body) == status
    assert rig.states() == {}


async def test_the_webhook_refuses_a_body_above_the_cap(webhook: str, rig: Rig) -> None:
    huge = json.dumps(numbered(50, text_update("a" * (MAX_BODY + 10)))).encode()
    assert await post(webhook, huge) == 413
    assert rig.states() == {}


async def test_the_webhook_refuses_a_request_without_the_secret(webhook: str, rig: Rig) -> None:
    body = json.dumps(numbered(60, text_update("hello"))).encode()
    assert await post(webhook, body, secret=None) == 403
    assert await post(webhook, body, secret="wrong") == 403
    assert rig.states() == {}


async def test_a_long_text_is_cut_before_it_is_read(rig: Rig) -> None:
    text = "what is a muscle spasm " + "spasm " * 200_000
    loop = asyncio.get_running_loop()
    started = loop.time()
    await rig.feed(numbered(70, text_update(text)))
    assert loop.time() - started < 5
    assert len(rig.replies()) == 1
