"""The pipeline on a tiny fixture knowledge base: one step at a time, in order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.config import Tuning
from bot.core.matcher import Match
from bot.core.message import Message, clip
from bot.core.responder import Responder

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "knowledge"


@pytest.fixture(scope="module")
def tiny() -> Responder:
    return Responder.from_directory(FIXTURE)


def test_the_steps_run_in_one_visible_order(tiny: Responder) -> None:
    names = [step.__name__ for step in tiny.steps]
    assert names == [
        "empty",
        "triage",
        "small_talk",
        "language",
        "scope",
        "pointing",
        "follow_up",
        "matching",
        "fallback",
    ]


@pytest.mark.parametrize(
    ("message", "kind", "entry_id"),
    [
        ("what is a widget", "answer", "what-is-a-widget"),
        ("my gizmo broke, any tips", "answer", "fixing-a-widget"),
        ("hola", "smalltalk", None),
        ("thanks!", "smalltalk", None),
        ("my widget is on fire", "urgent", None),
        ("   ?!", "fallback", None),
    ],
)
def test_each_kind_of_message_reaches_its_step(
    tiny: Responder, message: str, kind: str, entry_id: str | None
) -> None:
    reply = tiny.respond(message)
    assert (reply.kind, reply.entry_id) == (kind, entry_id)
    if kind != "urgent":
        assert reply.text.endswith(tiny.kb.messages.disclaimer)


def test_triage_comes_before_small_talk(tiny: Responder) -> None:
    assert tiny.respond("thanks, my widget is on fire").kind == "urgent"


def test_a_feeling_gets_a_warm_reply_and_the_topics_unless_it_asks(tiny: Responder) -> None:
    shared = tiny.respond("just got a widget and I am scared")
    assert shared.kind == "smalltalk"
    assert shared.show_topics
    asked = tiny.respond("I am scared, how do I fix a widget")
    assert (asked.kind, asked.entry_id) == ("answer", "fixing-a-widget")


def test_another_language_is_told_so_with_the_topic_menu(tiny: Responder) -> None:
    reply = tiny.respond("que es un widget, tengo una pregunta")
    assert reply.kind == "fallback"
    assert reply.reason == "other-language"
    assert reply.body == tiny.kb.messages.other_language
    assert reply.show_topics


def test_an_out_of_scope_reason_picks_its_reply_and_topics(tiny: Responder) -> None:
    reply = tiny.respond("widget price")
    assert (reply.kind, reply.reason) == ("fallback", "price")
    assert reply.body == "I can't tell you prices."
    assert reply.suggestions == ("widget-colours",)
    plain = tiny.respond("will it rain on my widget")
    assert (plain.kind, plain.reason) == ("fallback", "not-covered")
    messages = tiny.kb.messages
    assert plain.body in {messages.fallback.strip(), messages.fallback_no_suggestions.strip()}


def test_out_of_scope_reads_the_question_unless_the_reason_says_anywhere(
    tiny: Responder,
) -> None:
    story = "The price was silly. What is a widget?"
    assert tiny.respond(story).entry_id == "what-is-a-widget"
    pet = tiny.respond("My dog loves it. What is a widget?")
    assert (pet.kind, pet.reason) == ("fallback", "pet")


def test_a_negated_alarm_is_answered_with_the_safety_net_line(tiny: Responder) -> None:
    reply = tiny.respond("no fire near my widget, what colour is it?")
    assert reply.entry_id == "widget-colours"
    assert reply.safety_net == (tiny.kb.red_flags.safety_net["fire"],)
    assert reply.text.endswith(f"{reply.safety_net[0]}\n\n{tiny.kb.messages.disclaimer}")


class FixedMatcher:
    """A matcher that always ranks the same entries: the responder must take it as given."""

    def __init__(self, *matches: Match) -> None:
        self.matches = list(matches)
        self.seen: list[Message] = []

    def match(self, message: Message, *, limit: int = 3) -> list[Match]:
        self.seen.append(message)
        return self.matches[:limit]


def test_another_matcher_can_be_injected_without_touching_the_responder(tiny: Responder) -> None:
    fixed = FixedMatcher(Match("widget-colours", 0.9, 0.9, 0.9, confident=True))
    responder = Responder(tiny.kb, matcher=fixed)
    reply = responder.respond("tell me anything")
    assert (reply.kind, reply.entry_id) == ("answer", "widget-colours")
    assert fixed.seen[0].text == "tell me anything"


def test_two_close_topics_get_a_did_you_mean_with_buttons(tiny: Responder) -> None:
    fixed = FixedMatcher(
        Match("what-is-a-widget", 0.80, 0.8, 0.8, confident=True),
        Match("fixing-a-widget", 0.79, 0.8, 0.8),
    )
    reply = Responder(tiny.kb, matcher=fixed).respond("widget")
    assert reply.kind == "fallback"
    assert reply.clarify
    assert reply.suggestions == ("what-is-a-widget", "fixing-a-widget")
    assert reply.options_label == tiny.kb.messages.clarify_label
    apart = FixedMatcher(
        Match("what-is-a-widget", 0.80, 0.8, 0.8, confident=True),
        Match("fixing-a-widget", 0.60, 0.6, 0.6),
    )
    assert Responder(tiny.kb, matcher=apart).respond("widget").kind == "answer"


def test_an_unsure_matcher_gets_the_honest_fallback_with_the_closest_topics(
    tiny: Responder,
) -> None:
    fixed = FixedMatcher(Match("widget-colours", 0.4, 0.4, 0.4))
    reply = Responder(tiny.kb, matcher=fixed).respond("something vague")
    assert reply.kind == "fallback"
    assert reply.suggestions == ("widget-colours",)


def test_tunables_come_from_one_config_object(tiny: Responder) -> None:
    strict = Responder(tiny.kb, tuning=replace(Tuning(), threshold=0.99))
    assert strict.threshold == 0.99
    assert strict.respond("widget broken, what do i do").kind == "fallback"


def test_a_message_is_read_once_into_sentences_questions_and_terms(tiny: Responder) -> None:
    message = tiny.read("My widget is old. It broke today. any tips to fix it")
    assert message.sentences == ("My widget is old.", "It broke today.", "any tips to fix it")
    assert message.questions == ("any tips to fix it",), "an opener makes a question"
    assert message.asks
    assert message.language == "en"
    assert [t.stem for t in message.question_terms[0]] == ["tip", "fix"]


def test_a_wall_of_text_is_clipped_at_a_word_keeping_case_and_punctuation() -> None:
    text = "What is AS? " + "word " * 2000
    clipped = clip(text, 100)
    assert clipped.startswith("What is AS?")
    assert len(clipped) <= 100
    assert clipped.endswith("word")
