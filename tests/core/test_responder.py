from __future__ import annotations

import pytest

from bot.core.responder import Responder


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("What is ankylosing spondylitis?", "what-is-ankylosing-spondylitis"),
        ("what is AS", "what-is-ankylosing-spondylitis"),
        ("ankylosing spondilytis??", "what-is-ankylosing-spondylitis"),
        ("spasm meaning", "what-is-a-muscle-spasm"),
        ("wat is a spazm", "what-is-a-muscle-spasm"),
        ("do people with AS get spasms in the lower back", "spasms-in-as"),
        ("how do I get rid of a charley horse", "relieving-spasms"),
        ("should I put an ice pack or a hot water bottle on it", "heat-and-cold"),
        ("WOULD A WARM BATH HELP MY BACK SPASMS", "heat-and-cold"),
        ("can I take ibuprofen for cramps at night", "medication"),
        ("does yoga help", "relaxation-techniques"),
        ("how much water should I drink to avoid cramps", "hydration"),
        ("pelvic tilts", "pelvic-tilts-and-resistance-bands"),
        ("I do everything right and still get spasms, what now?", "when-to-see-a-doctor"),
    ],
)
def test_patient_phrasings_find_their_entry(
    responder: Responder, message: str, entry_id: str
) -> None:
    reply = responder.respond(message)
    assert (reply.kind, reply.entry_id) == ("answer", entry_id)


def test_answer_cites_section_and_ends_with_disclaimer(responder: Responder) -> None:
    reply = responder.respond("does stretching help a spasm")
    entry = responder.entry("stretching-and-massage")
    assert entry is not None
    assert reply.entry_id == entry.id
    assert entry.section in reply.text
    assert reply.text.endswith(responder.kb.messages.disclaimer.strip())
    assert [o.entry_id for o in reply.options] == entry.related


@pytest.mark.parametrize(
    "message",
    [
        "is ankylosing spondylitis genetic",
        "how is AS diagnosed",
        "what should I eat to avoid spasms",
        "is humira good for AS",
        "how many mg of ibuprofen can I take for a spasm",
        "what is a heart spasm",
        "why does my stomach spasm after eating",
        "can AS be cured",
        "what is lupus",
        "what's the weather like tomorrow",
    ],
)
def test_questions_the_article_does_not_cover_get_the_fallback(
    responder: Responder, message: str
) -> None:
    reply = responder.respond(message)
    assert reply.kind == "fallback", reply
    assert reply.entry_id is None
    assert len(reply.options) <= 3
    assert responder.kb.messages.disclaimer.strip() in reply.text


def test_fallback_offers_the_closest_topics(responder: Responder) -> None:
    reply = responder.respond("is it ok to take muscle relaxants with biologics")
    assert reply.kind == "fallback"
    assert "medication" in reply.suggestions


@pytest.mark.parametrize("message", ["", "   ", "???", "\U0001f600\U0001f600", "\n\t"])
def test_empty_or_unreadable_input_asks_for_words(responder: Responder, message: str) -> None:
    reply = responder.respond(message)
    assert reply.kind == "fallback"
    assert reply.body == responder.kb.messages.empty.strip()


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("thanks so much", "thanks"),
        ("bye", "goodbye"),
        ("who are you?", "who"),
        ("what can you do", "capabilities"),
    ],
)
def test_small_talk(responder: Responder, message: str, intent: str) -> None:
    reply = responder.respond(message)
    assert reply.kind == "smalltalk"
    assert reply.rule is not None
    assert reply.rule.startswith(intent)


def test_greeting_with_a_question_answers_the_question(responder: Responder) -> None:
    reply = responder.respond("hi! what is a muscle spasm?")
    assert reply.entry_id == "what-is-a-muscle-spasm"


def test_every_entry_is_reachable_by_its_title(responder: Responder) -> None:
    for entry in responder.kb.entries:
        reply = responder.respond(entry.title)
        assert reply.entry_id == entry.id, entry.title


def test_entry_reply_for_buttons_and_unknown_ids(responder: Responder) -> None:
    reply = responder.entry_reply("hydration")
    assert reply is not None
    assert reply.kind == "answer"
    assert responder.entry_reply("no-such-entry") is None


def test_search_returns_answers_for_inline_mode(responder: Responder) -> None:
    results = responder.search("spasm", limit=10)
    assert 1 <= len(results) <= 10
    assert all(r.kind == "answer" for r in results)


@pytest.mark.parametrize(
    ("query", "reply"), [("I want to kill myself", "crisis"), ("chest pain", "urgent")]
)
def test_inline_emergency_gets_only_its_urgent_card(
    responder: Responder, query: str, reply: str
) -> None:
    [card] = responder.search(query)
    assert card.kind == "urgent"
    assert card.text == getattr(responder.kb.red_flags.replies, reply).strip()


def test_inline_search_respects_the_out_of_scope_guard(responder: Responder) -> None:
    assert responder.respond("how many mg of ibuprofen for a spasm").kind == "fallback"
    assert responder.search("how many mg of ibuprofen for a spasm") == []


def test_module_level_respond_uses_the_shipped_knowledge_base() -> None:
    from bot.core import respond

    reply = respond("what is a muscle spasm")
    assert (reply.kind, reply.entry_id) == ("answer", "what-is-a-muscle-spasm")
