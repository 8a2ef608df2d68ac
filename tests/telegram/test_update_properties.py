"""Whole updates as Telegram might send them, broken in every way: never a crash or a spin.

Each example is a full Update JSON: a valid text message, an edit, a button press or an
inline query, then damaged (fields removed, wrong types, unknown update kinds) and filled
with odd text (HTML, command look-alikes, huge, control and right-to-left characters). Fed
through the real inbox and handlers, every update must end answered or dropped, every call
the bot makes must be one Telegram accepts, and no log line may hold the text.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.responder import Responder
from bot.settings import Settings
from bot.storage import SQLiteStorage
from bot.telegram.application import build_application
from bot.telegram.inbox import Inbox
from tests.telegram.fake_bot_api import TOKEN, BotApi
from tests.telegram.harness import RecordingRequest
from tests.telegram.updates import callback_update, edited_update, inline_update, text_update

MARKER = "zq7marker"

odd_text = st.one_of(
    st.text(min_size=0, max_size=200),
    st.sampled_from(
        [
            "<b>bold</b> & <script>alert(1)</script>",
            "/start@other_bot e:what-is-a-muscle-spasm",
            "/stats",
            "/forget now",
            "\u202eright to left \u200f text",
            "\x00\x01\x02 control",
            "spasm " * 3000,
            "🙂" * 500,
            "",
            "   ",
        ]
    ),
).map(lambda text: f"{MARKER} {text}")

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    text = draw(odd_text)
    kind = draw(st.sampled_from(["message", "edited", "button", "inline", "unknown"]))
    if kind == "message":
        update = text_update(text)
    elif kind == "edited":
        update = edited_update(text)
    elif kind == "button":
        data = draw(st.sampled_from(["e:hydration", "s:1", "t", "v:abc:1", "zz", text[:60]]))
        update = callback_update(data)
    elif kind == "inline":
        update = inline_update(text)
    else:
        update = {draw(st.sampled_from(["poll", "my_chat_member", "business_message"])): {}}
    update = copy.deepcopy(update)
    # Damage it: drop or replace a few fields at any depth.
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        body = update
        while isinstance(body, dict) and body and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(body)))
            if not isinstance(body[key], dict):
                break
            body = body[key]
        if isinstance(body, dict) and body:
            key = draw(st.sampled_from(sorted(body)))
            if draw(st.booleans()):
                del body[key]
            else:
                body[key] = draw(junk)
    return {"update_id": draw(st.integers(min_value=1, max_value=2**31)), **update}


async def feed(responder: Responder, batch: list[dict[str, Any]], folder: Path) -> BotApi:
    api = BotApi()
    storage = SQLiteStorage(folder / "bot.sqlite3")
    inbox = Inbox(storage)
    config = Settings(_env_file=None, telegram_bot_token=TOKEN, data_dir=folder)  # type: ignore[call-arg]
    app = build_application(config, responder, request=RecordingRequest(api), inbox=inbox)
    inbox.application = app
    async with app:
        await inbox.accept(batch)
        async with asyncio.timeout(30):
            await inbox.drain()
        assert await storage.unfinished() == [], "every update ends answered or dropped"
    await storage.close()
    return api


@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(updates(), min_size=1, max_size=4))
def test_any_update_is_answered_or_dropped_without_leaking_its_text(
    batch: list[dict[str, Any]], responder: Responder, caplog: Any
) -> None:
    caplog.clear()
    with tempfile.TemporaryDirectory() as folder, caplog.at_level(logging.DEBUG):
        api = asyncio.run(feed(responder, batch, Path(folder)))
    assert api.problems == [], "every call is one Telegram would accept"
    leaked = [r.getMessage() for r in caplog.records if MARKER in r.getMessage()]
    assert leaked == []
    sent = [c for c in api.calls if c.method == "sendMessage"]
    assert len(sent) <= 2 * len(batch), "at most a reply (in parts) per update, no loop"
