"""The real application, driven update by update over a recording fake Bot API."""

from __future__ import annotations

import html
import logging
from typing import Any

import pytest

from bot.core.conversation import ChatContext
from bot.core.responder import Reply, Responder
from bot.telegram.application import COMMANDS, publish_commands
from tests.telegram.fake_bot_api import Call
from tests.telegram.harness import BotHarness
from tests.telegram.updates import (
    ADMIN,
    DOCUMENT,
    GROUP,
    PHOTO,
    STICKER,
    USER,
    VIDEO,
    VOICE,
    bot_message,
    callback_update,
    edited_update,
    inline_update,
    message,
    text_update,
)

QUESTION = "what is a muscle spasm"
URGENT = "I wet myself and my groin is numb"


def first_line(text: str) -> str:
    return html.escape(text.strip().splitlines()[0], quote=False)


def section_buttons(responder: Responder) -> list[str]:
    return [f"s:{i}" for i in range(len(responder.kb.sections))]


def entry_buttons(reply: Reply) -> list[str]:
    return [f"e:{o.entry_id}" for o in reply.options]


def topic_buttons(call: Call) -> list[str]:
    """Return an answer's topic buttons, after checking its last row is the feedback pair."""
    votes = [d for d in call.callback_data if d.startswith("v:")]
    assert len(votes) == 2, call.callback_data
    assert call.callback_data[-2:] == votes
    assert votes[0].endswith(":1")
    assert votes[1].endswith(":0")
    return [d for d in call.callback_data if not d.startswith("v:")]


async def test_start_welcomes_with_disclaimer_and_topic_menu(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update("/start"))
    messages = responder.kb.messages
    assert sent.params["chat_id"] == str(USER["id"])
    assert sent.params["parse_mode"] == "HTML"
    assert first_line(messages.welcome) in sent.text
    assert html.escape(messages.disclaimer.strip(), quote=False) in sent.text
    assert sent.text.rstrip().endswith(html.escape(messages.topics_header, quote=False))
    assert sent.callback_data == section_buttons(responder)


async def test_deep_link_opens_the_entry_with_title_source_disclaimer_and_related(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update("/start hydration"))
    entry = responder.entry("hydration")
    assert entry is not None
    assert sent.text.startswith(f"<b>{html.escape(entry.title, quote=False)}</b>\n\n")
    assert f"<i>{responder.kb.messages.source_label}: {entry.section}</i>" in sent.text
    assert responder.kb.messages.disclaimer.strip() in sent.text
    assert topic_buttons(sent) == [f"e:{related}" for related in entry.related]


async def test_deep_link_to_a_removed_entry_says_so_and_offers_the_menu(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update("/start no-such-topic"))
    assert first_line(responder.kb.messages.unknown_topic) in sent.text
    assert sent.callback_data == section_buttons(responder)


@pytest.mark.parametrize("command", ["help", "about", "privacy"])
async def test_information_commands_send_their_message(
    bot: BotHarness, responder: Responder, command: str
) -> None:
    [sent] = await bot.messages(text_update(f"/{command}"))
    assert first_line(getattr(responder.kb.messages, command)) in sent.text
    assert "reply_markup" not in sent.params


async def test_about_ends_with_the_disclaimer(bot: BotHarness, responder: Responder) -> None:
    [sent] = await bot.messages(text_update("/about"))
    assert sent.text.endswith(html.escape(responder.kb.messages.disclaimer.strip(), quote=False))


async def test_topics_menu_is_navigated_by_editing_the_message_in_place(
    bot: BotHarness, responder: Responder
) -> None:
    [menu] = await bot.messages(text_update("/topics"))
    assert menu.callback_data == section_buttons(responder)

    calls = await bot.send(callback_update("s:2"))
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    section = responder.kb.sections[2]
    edited = calls[1]
    assert html.escape(section.heading, quote=False) in edited.text
    in_section = [f"e:{e.id}" for e in responder.kb.entries_in(section.heading)]
    assert edited.callback_data == [*in_section, "t"]
    assert edited.buttons[-1]["text"] == responder.kb.messages.back_button

    calls = await bot.send(callback_update("t"))
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    assert calls[1].callback_data == section_buttons(responder)


async def test_pressing_the_same_menu_button_twice_changes_nothing(bot: BotHarness) -> None:
    bot.api.fail_next["editMessageText"] = "Bad Request: message is not modified"
    calls = await bot.send(callback_update("s:1"))
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]


async def test_a_menu_that_can_no_longer_be_edited_is_sent_again(
    bot: BotHarness, responder: Responder
) -> None:
    bot.api.fail_next["editMessageText"] = "Bad Request: message to edit not found"
    calls = await bot.send(callback_update("s:1"))
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    section = responder.kb.sections[1]
    assert calls[-1].callback_data[-1] == "t"
    assert html.escape(section.heading, quote=False) in calls[-1].text


async def test_pressing_a_topic_button_stops_the_spinner_then_sends_the_entry(
    bot: BotHarness, responder: Responder
) -> None:
    update = callback_update("e:heat-and-cold")
    calls = await bot.send(update)
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendMessage"]
    assert calls[0].params["callback_query_id"] == update["callback_query"]["id"]
    reply = responder.entry_reply("heat-and-cold")
    assert reply is not None
    assert calls[1].text.startswith(f"<b>{html.escape(reply.title or '', quote=False)}</b>")
    assert topic_buttons(calls[1]) == entry_buttons(reply)


@pytest.mark.parametrize("data", ["e:removed-entry", "s:99", "x:from-an-old-version"])
async def test_buttons_that_no_longer_exist_still_answer_and_show_the_menu(
    bot: BotHarness, responder: Responder, data: str
) -> None:
    calls = await bot.send(callback_update(data))
    assert calls[0].method == "answerCallbackQuery"
    assert calls[-1].callback_data == section_buttons(responder)


async def test_a_question_gets_the_answer_with_its_section_and_related_buttons(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update(QUESTION))
    reply = responder.respond(QUESTION)
    assert reply.kind == "answer"
    assert reply.section is not None
    assert sent.text.startswith(f"<b>{html.escape(reply.title or '', quote=False)}</b>")
    assert f"<i>{responder.kb.messages.source_label}: {reply.section}</i>" in sent.text
    assert responder.kb.messages.disclaimer.strip() in sent.text
    assert sent.text.endswith(responder.kb.messages.related_label)
    assert topic_buttons(sent) == entry_buttons(reply)


async def test_an_unknown_question_offers_the_closest_topics(
    bot: BotHarness, responder: Responder
) -> None:
    question = "what should I eat to avoid spasms"
    reply = responder.respond(question)
    assert reply.kind == "fallback"
    assert reply.options, "pick a question with close topics"
    [sent] = await bot.messages(text_update(question))
    assert first_line(reply.body) in sent.text
    assert responder.kb.messages.disclaimer.strip() in sent.text
    assert sent.callback_data == entry_buttons(reply), "no feedback buttons on a fallback"


async def test_red_flags_get_only_the_urgent_reply_without_buttons(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update(URGENT))
    urgent = responder.kb.red_flags.replies.urgent
    # The urgent text contains "A&E": it must arrive escaped, or Telegram refuses it.
    assert sent.text == html.escape(urgent.strip(), quote=False)
    assert "reply_markup" not in sent.params


async def test_small_talk_gets_its_reply_and_the_disclaimer(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update("hello"))
    reply = responder.respond("hello")
    assert reply.kind == "smalltalk"
    assert first_line(reply.body) in sent.text
    assert sent.text.endswith(html.escape(responder.kb.messages.disclaimer.strip(), quote=False))


async def test_a_reply_longer_than_telegram_allows_is_split_with_buttons_on_the_last_part(
    bot: BotHarness, responder: Responder, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_reply = responder.entry_reply("hydration")
    assert long_reply is not None
    paragraph = "Drink water through the day & keep a bottle <near> you. " * 20
    body = "\n\n".join([paragraph] * 8)
    monkeypatch.setattr(
        responder,
        "converse",
        lambda _text, context, _now: (_replace(long_reply, body=body), context),
    )
    sent = await bot.messages(text_update("water"))
    assert len(sent) >= 2
    assert all("reply_markup" not in part.params for part in sent[:-1])
    assert topic_buttons(sent[-1]) == entry_buttons(long_reply)
    assert sent[0].text.startswith("<b>")
    assert sent[-1].text.endswith(responder.kb.messages.related_label)
    whole = "".join(part.text for part in sent)
    assert whole.count("keep a bottle &lt;near&gt; you") == 8 * 20, "no text is lost"


def _replace(reply: Reply, **changes: Any) -> Reply:
    from dataclasses import replace

    return replace(reply, **changes)


@pytest.mark.parametrize("attachment", [PHOTO, VOICE, STICKER, DOCUMENT])
async def test_non_text_messages_get_a_friendly_text_only_reply(
    bot: BotHarness, responder: Responder, attachment: dict[str, Any]
) -> None:
    [sent] = await bot.messages({"message": message(**attachment)})
    assert first_line(responder.kb.messages.non_text) in sent.text


async def test_edited_messages_are_not_answered_again(bot: BotHarness) -> None:
    assert await bot.send(edited_update(QUESTION)) == []
    assert await bot.send(edited_update("/start")) == []


async def test_an_edit_that_describes_an_emergency_gets_the_urgent_reply(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(edited_update(f"{QUESTION} and now I can't feel my legs"))
    assert first_line(responder.kb.red_flags.replies.urgent) in sent.text
    assert "reply_markup" not in sent.params
    assert "reply_parameters" in sent.params, "the urgent reply quotes the edited message"


URGENT_CAPTION = "my legs went weak and I can't walk"


@pytest.mark.parametrize("attachment", [PHOTO, DOCUMENT, VOICE, VIDEO])
async def test_a_caption_describing_an_emergency_gets_the_urgent_reply(
    bot: BotHarness, responder: Responder, attachment: dict[str, Any]
) -> None:
    [sent] = await bot.messages({"message": message(caption=URGENT_CAPTION, **attachment)})
    assert first_line(responder.kb.red_flags.replies.urgent) in sent.text
    assert first_line(responder.kb.messages.non_text) not in sent.text


async def test_a_caption_with_a_question_is_answered(bot: BotHarness, responder: Responder) -> None:
    [sent] = await bot.messages({"message": message(caption=QUESTION, **PHOTO)})
    reply = responder.respond(QUESTION)
    assert sent.text.startswith(f"<b>{html.escape(reply.title or '', quote=False)}</b>")


async def test_an_edited_caption_is_read_again(bot: BotHarness, responder: Responder) -> None:
    edited = message(caption="I think I'm having a heart attack", **PHOTO)
    edited["edit_date"] = edited["date"] + 5
    [sent] = await bot.messages({"edited_message": edited})
    assert first_line(responder.kb.red_flags.replies.urgent) in sent.text


async def test_a_caption_in_a_group_is_read_when_it_mentions_the_bot(
    bot: BotHarness, responder: Responder
) -> None:
    caption = f"@as_helper_bot {URGENT_CAPTION}"
    entities = [{"type": "mention", "offset": 0, "length": len("@as_helper_bot")}]
    update = {"message": message(chat=GROUP, caption=caption, caption_entities=entities, **PHOTO)}
    [sent] = await bot.messages(update)
    assert sent.params["chat_id"] == str(GROUP["id"])
    assert first_line(responder.kb.red_flags.replies.urgent) in sent.text


@pytest.mark.parametrize(
    "text",
    [
        "/help",
        "/help@as_helper_bot",
        f"@as_helper_bot {QUESTION}",
        f"{QUESTION} @AS_Helper_Bot",
    ],
)
async def test_in_groups_commands_and_mentions_are_answered(bot: BotHarness, text: str) -> None:
    [sent] = await bot.messages(text_update(text, chat=GROUP))
    assert sent.params["chat_id"] == str(GROUP["id"])
    # Group answers quote the message they answer, so the thread stays readable.
    assert "reply_parameters" in sent.params


async def test_a_mention_is_removed_before_the_question_is_matched(
    bot: BotHarness, responder: Responder
) -> None:
    [sent] = await bot.messages(text_update(f"@as_helper_bot {QUESTION}", chat=GROUP))
    reply = responder.respond(QUESTION)
    assert sent.text.startswith(f"<b>{html.escape(reply.title or '', quote=False)}</b>")


async def test_in_groups_a_reply_to_the_bot_is_answered(bot: BotHarness) -> None:
    answer = bot_message("an earlier answer", chat=GROUP)
    [sent] = await bot.messages(text_update(QUESTION, chat=GROUP, reply_to=answer))
    assert "<b>" in sent.text


@pytest.mark.parametrize(
    "update",
    [
        text_update(QUESTION, chat=GROUP),
        text_update("/help@some_other_bot", chat=GROUP),
        text_update("/unknown", chat=GROUP),
        text_update(f"{QUESTION} @someone_else", chat=GROUP),
        text_update(QUESTION, chat=GROUP, reply_to=message("hi all", chat=GROUP)),
        {"message": message(chat=GROUP, **PHOTO)},
    ],
    ids=["chatter", "other-bot-command", "unknown-command", "other-mention", "reply", "photo"],
)
async def test_other_group_chatter_is_ignored(bot: BotHarness, update: dict[str, Any]) -> None:
    assert await bot.send(update) == []


async def test_inline_query_offers_matching_entries_to_share(
    bot: BotHarness, responder: Responder
) -> None:
    calls = await bot.send(inline_update("spasm"))
    [answer] = [c for c in calls if c.method == "answerInlineQuery"]
    results = answer.params["results"]
    expected = responder.search("spasm", limit=10)
    assert 1 <= len(results) <= 10
    assert [r["id"] for r in results] == [r.entry_id for r in expected]
    first = results[0]
    assert first["type"] == "article"
    assert first["title"] == expected[0].title
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert content["message_text"].startswith(f"<b>{expected[0].title}</b>")
    assert responder.kb.messages.disclaimer.strip() in content["message_text"]


async def test_empty_inline_query_offers_the_first_topics(
    bot: BotHarness, responder: Responder
) -> None:
    [answer] = await bot.send(inline_update(""))
    first_ten = [entry.id for entry in responder.kb.entries][:10]
    assert [r["id"] for r in answer.params["results"]] == first_ten


@pytest.mark.parametrize(
    ("query", "reply", "card"),
    [
        (URGENT, "urgent", "urgent"),
        ("chest pain", "urgent", "urgent"),
        ("i want to kill myself", "crisis", "crisis"),
    ],
)
async def test_an_inline_emergency_gets_only_the_urgent_card(
    bot: BotHarness, responder: Responder, query: str, reply: str, card: str
) -> None:
    [answer] = await bot.send(inline_update(query))
    [result] = answer.params["results"]
    assert result["id"] == card
    text = getattr(responder.kb.red_flags.replies, reply).strip()
    assert result["input_message_content"]["message_text"].startswith(
        html.escape(text.splitlines()[0], quote=False)
    )
    assert answer.params.get("is_personal") in {True, "true", "True"}


async def test_an_out_of_scope_inline_query_offers_no_topic_but_the_bot_itself(
    bot: BotHarness, responder: Responder
) -> None:
    [answer] = await bot.send(inline_update("how many mg of naproxen can I take"))
    assert answer.params["results"] == []
    assert answer.params["button"]["start_parameter"] == "ask"
    assert answer.params["button"]["text"] == responder.kb.messages.inline_no_results


async def test_the_inline_button_opens_the_welcome(bot: BotHarness, responder: Responder) -> None:
    [sent] = await bot.messages(text_update("/start ask"))
    assert first_line(responder.kb.messages.welcome) in sent.text


async def test_stats_are_never_shown_in_a_group(bot: BotHarness) -> None:
    assert await bot.send(text_update("/stats", user=ADMIN, chat=GROUP)) == []


async def test_stats_are_not_shown_to_other_users(bot: BotHarness, responder: Responder) -> None:
    [sent] = await bot.messages(text_update("/stats"))
    assert "answer:" not in sent.text
    assert first_line(responder.kb.messages.help) in sent.text


async def test_an_error_is_logged_with_the_update_id_and_the_user_is_told(
    bot: BotHarness,
    responder: Responder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(_text: str, _context: ChatContext, _now: float) -> tuple[Reply, ChatContext]:
        raise RuntimeError("index is broken")

    monkeypatch.setattr(responder, "converse", broken)
    secret_question = "my private question about my back"
    with caplog.at_level(logging.ERROR):
        [sent] = await bot.messages({"update_id": 987654, **text_update(secret_question)})
    assert first_line(responder.kb.messages.error) in sent.text
    [record] = [r for r in caplog.records if r.name.startswith("bot.")]
    assert "987654" in record.getMessage()
    assert secret_question not in caplog.text

    monkeypatch.undo()
    [after] = await bot.messages(text_update(QUESTION))
    assert after.text.startswith("<b>"), "the bot keeps answering after an error"


async def test_start_up_publishes_the_command_menu(bot: BotHarness, responder: Responder) -> None:
    await publish_commands(bot.app, responder)
    [call] = bot.api.calls_to("setMyCommands")
    assert [c["command"] for c in call.params["commands"]] == list(COMMANDS)


async def test_start_up_sets_what_an_empty_chat_shows(
    bot: BotHarness, responder: Responder
) -> None:
    await publish_commands(bot.app, responder)
    [description] = bot.api.calls_to("setMyDescription")
    [short] = bot.api.calls_to("setMyShortDescription")
    messages = responder.kb.messages
    assert description.params["description"] == messages.description.strip()
    assert short.params["short_description"] == messages.short_description.strip()
    # Before the first message a patient learns this is not for emergencies.
    assert "emergency" in description.params["description"].lower()
    assert "emergenc" in short.params["short_description"].lower()


async def test_a_server_that_refuses_the_command_menu_does_not_stop_the_bot(
    bot: BotHarness, responder: Responder, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail_next["setMyCommands"] = "Bad Request: method not supported here"
    bot.api.fail_next["setMyDescription"] = "Bad Request: method not supported here"
    await publish_commands(bot.app, responder)
    assert "Could not set the command menu" in caplog.text
    assert "Could not set the description" in caplog.text
    assert bot.api.calls_to("setMyShortDescription"), "the next step still runs"
    [reply] = await bot.messages(text_update(QUESTION))
    assert reply.text.startswith("<b>")
