"""What the bot records for the curator, through the real handlers and database."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.loader import DEFAULT_DIR
from bot.core.responder import Responder
from bot.settings import Settings
from bot.storage import DATABASE, SQLiteStorage
from bot.telegram.application import build_application
from bot.telegram.usage import UsageLog
from tests.telegram.fake_bot_api import BotApi, Call
from tests.telegram.harness import BotHarness, RecordingRequest
from tests.telegram.updates import ADMIN, GROUP, USER, callback_update, text_update

ANSWERED = "what is a muscle spasm"
UNANSWERED = "is my thyroid result making my legs ache"
URGENT = "I suddenly can't feel my legs and I can't pee"


def database_rows(settings: Settings, table: str) -> list[dict[str, Any]]:
    with sqlite3.connect(settings.data_dir / DATABASE) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(f"SELECT * FROM {table}")]


def votes_of(call: Call) -> list[str]:
    return [d for d in call.callback_data if d.startswith("v:")]


@pytest.fixture
async def harness(
    settings: Settings, responder: Responder, bot_api: BotApi, tmp_path: Path
) -> AsyncIterator[BotHarness]:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, knowledge)
    storage = SQLiteStorage(settings.data_dir / DATABASE)
    app = build_application(
        settings,
        responder,
        request=RecordingRequest(bot_api),
        storage=storage,
        knowledge=knowledge,
    )
    async with app:
        yield BotHarness(app, bot_api)
    await storage.close()


async def test_every_reply_is_counted_with_a_pseudonym_and_text_only_when_unanswered(
    harness: BotHarness, settings: Settings
) -> None:
    await harness.send(text_update(ANSWERED))
    await harness.send(text_update(UNANSWERED))
    await harness.send(text_update(URGENT))
    events = database_rows(settings, "events")
    assert [e["kind"] for e in events] == ["answer", "fallback", "urgent"]
    assert events[0]["entry_id"] == "what-is-a-muscle-spasm"
    assert [e["text"] for e in events] == [None, UNANSWERED, None]
    chats = {e["chat"] for e in events}
    assert len(chats) == 1
    [chat] = chats
    assert str(USER["id"]) not in chat
    assert len(chat) == 32
    everything = repr(database_rows(settings, "events")) + repr(database_rows(settings, "inbox"))
    assert ANSWERED not in everything
    assert URGENT not in everything, "never an emergency's words"


async def test_no_text_is_kept_when_the_clinic_turns_it_off(
    settings: Settings, responder: Responder, bot_api: BotApi, tmp_path: Path
) -> None:
    quiet = settings.model_copy(update={"store_question_text": False})
    storage = SQLiteStorage(settings.data_dir / DATABASE)
    app = build_application(quiet, responder, request=RecordingRequest(bot_api), storage=storage)
    async with app:
        harness = BotHarness(app, bot_api)
        [answer] = await harness.messages(text_update(ANSWERED))
        await harness.send(text_update(UNANSWERED))
        await harness.send(callback_update(votes_of(answer)[1]))
    await storage.close()
    assert [e["text"] for e in database_rows(settings, "events")] == [None, None]
    [vote] = database_rows(settings, "votes")
    assert vote["helpful"] == 0


async def test_a_vote_is_recorded_once_can_be_changed_and_is_acknowledged(
    harness: BotHarness, settings: Settings, responder: Responder
) -> None:
    [answer] = await harness.messages(text_update(ANSWERED))
    helpful, not_helpful = votes_of(answer)
    press = callback_update(not_helpful)
    press["callback_query"]["message"]["reply_markup"] = answer.params["reply_markup"]
    calls = await harness.send(press)
    [ack] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert ack.params["text"] == responder.kb.messages.feedback_thanks.strip()
    [marked] = [c for c in calls if c.method == "editMessageReplyMarkup"]
    rows = marked.params["reply_markup"]["inline_keyboard"]
    assert rows[:-1] == answer.params["reply_markup"]["inline_keyboard"][:-1], "topics kept"
    labels = [b["text"] for b in rows[-1]]
    assert labels == [
        responder.kb.messages.feedback_helpful,
        f"✓ {responder.kb.messages.feedback_not_helpful}",
    ]
    [vote] = database_rows(settings, "votes")
    assert (vote["helpful"], vote["entry_id"]) == (0, "what-is-a-muscle-spasm")
    [event] = database_rows(settings, "events")
    assert event["text"] == ANSWERED, "a 'not helpful' keeps the question for the curator"

    await harness.send(callback_update(not_helpful))
    await harness.send(callback_update(helpful))
    [vote] = database_rows(settings, "votes")
    assert vote["helpful"] == 1
    [event] = database_rows(settings, "events")
    assert event["text"] is None, "changed to helpful: the words go"


async def test_a_vote_on_an_unknown_answer_is_acknowledged_and_not_counted(
    harness: BotHarness, settings: Settings, responder: Responder
) -> None:
    calls = await harness.send(callback_update("v:unknownref:0"))
    [ack] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert ack.params["text"] == responder.kb.messages.feedback_gone.strip()
    assert database_rows(settings, "votes") == []


async def test_forget_deletes_everything_stored_for_the_chat_only(
    harness: BotHarness, settings: Settings, responder: Responder
) -> None:
    other = {"id": 999, "is_bot": False, "first_name": "Other"}
    [answer] = await harness.messages(text_update(ANSWERED))
    await harness.send(callback_update(votes_of(answer)[0]))
    await harness.send(text_update(UNANSWERED))
    await harness.send(text_update(UNANSWERED, user=other))
    [confirm] = await harness.messages(text_update("/forget"))
    assert responder.kb.messages.forget_done.strip() in confirm.text
    events = database_rows(settings, "events")
    assert len(events) == 1, "only the other chat's record is left"
    assert events[0]["text"] == UNANSWERED
    assert database_rows(settings, "votes") == []


async def test_forget_also_clears_the_conversation(harness: BotHarness) -> None:
    await harness.send(text_update("does stretching help a spasm"))
    await harness.send(text_update("/forget"))
    [reply] = await harness.messages(text_update("how long should I do that?"))
    assert "Stretching" not in reply.text


async def test_privacy_says_what_is_stored_and_for_how_long(
    harness: BotHarness, settings: Settings
) -> None:
    [sent] = await harness.messages(text_update("/privacy"))
    assert f"{settings.retention_days} days" in sent.text
    assert "/forget" in sent.text
    assert "{" not in sent.text, "every placeholder is filled in"


async def test_admins_get_the_usage_summary_without_patients_identities(
    harness: BotHarness,
) -> None:
    await harness.send(text_update(ANSWERED))
    await harness.send(text_update(UNANSWERED))
    [report] = await harness.messages(text_update("/stats", user=ADMIN))
    assert "2 messages" in report.text
    assert "What is a muscle spasm?" in report.text
    assert str(USER["id"]) not in report.text


async def test_stats_and_reload_are_for_admins_in_private_only(
    harness: BotHarness, responder: Responder
) -> None:
    for command in ("/stats", "/reload"):
        [sent] = await harness.messages(text_update(command))
        assert "Usage from" not in sent.text
        assert responder.kb.messages.reload_done.strip() not in sent.text
        assert responder.kb.messages.help.splitlines()[0] in sent.text
        assert await harness.send(text_update(command, user=ADMIN, chat=GROUP)) == []


async def test_reload_puts_a_valid_knowledge_base_live(
    harness: BotHarness, tmp_path: Path, responder: Responder
) -> None:
    path = tmp_path / "knowledge" / "entries" / "02-muscle-spasms.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('title: "What is a muscle spasm?"', 'title: "Muscle spasms explained"'),
        encoding="utf-8",
    )
    [done] = await harness.messages(text_update("/reload", user=ADMIN))
    assert responder.kb.messages.reload_done.strip() in done.text
    [answer] = await harness.messages(text_update(ANSWERED))
    assert answer.text.startswith("<b>Muscle spasms explained</b>")


async def test_reload_refuses_a_broken_knowledge_base_and_keeps_the_old_one(
    harness: BotHarness, tmp_path: Path, responder: Responder
) -> None:
    (tmp_path / "knowledge" / "messages.yaml").write_text("messages: [broken", encoding="utf-8")
    [refused] = await harness.messages(text_update("/reload", user=ADMIN))
    assert responder.kb.messages.reload_failed.strip() in refused.text
    assert "messages.yaml" in refused.text
    [answer] = await harness.messages(text_update(ANSWERED))
    assert answer.text.startswith("<b>What is a muscle spasm?</b>")


async def test_writes_from_many_chats_at_once_are_all_kept(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / DATABASE)
    usage = UsageLog(storage, b"key")
    responder = Responder.from_directory(DEFAULT_DIR)
    reply = responder.respond(ANSWERED)

    async def chat(number: int) -> None:
        for turn in range(10):
            await usage.reply(number, reply, text=ANSWERED, update_id=number * 100 + turn)

    await asyncio.gather(*(chat(n) for n in range(100)))
    events = await storage.events(0, 2**40)
    assert len(events) == 1000
    assert len({e.chat for e in events}) == 100
    await storage.close()


def test_pseudonyms_are_stable_per_key_and_unlinkable_without_it(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / DATABASE)
    one, same, other = UsageLog(storage, b"k1"), UsageLog(storage, b"k1"), UsageLog(storage, b"k2")
    assert one.chat(USER["id"]) == same.chat(USER["id"])
    assert one.chat(USER["id"]) != other.chat(USER["id"])
    assert one.chat(USER["id"]) != one.chat(USER["id"] + 1)
    asyncio.run(storage.close())
