from __future__ import annotations

import pytest

from bot.core.responder import Responder


@pytest.mark.parametrize(
    "message",
    [
        "I suddenly can't control my bladder and my back is in spasm",
        "numbness around my groin and inner thighs since this morning",
        "my legs gave way and I can't feel my feet",
        "I fell off a ladder and now my neck pain is severe",
        "crushing chest pain and my left arm feels weird",
        "I can't breathe properly, really short of breath",
        "my eye is red and very painful",
        "bright light hurts my eye so much",
        "I suddenly lost vision in one eye",
        "high fever and my back is killing me",
        "his face is drooping and his speech is slurred",
        "I took too many muscle relaxers, way more than I should",
        "my back pain makes me want to kill myself",
        "I have been thinking about suicide",
        "my muscle spazms are so bad i want to end my life",
        "I keep cutting myself to cope",
        "thinking about ending it tonight",
        "my friend swallowed a whole pack of ibuprofen",
        "he took all of his sleeping pills",
    ],
)
def test_red_flags_get_the_urgent_reply(responder: Responder, message: str) -> None:
    reply = responder.respond(message)
    assert reply.kind == "urgent", reply
    assert reply.options == ()
    assert reply.entry_id is None


@pytest.mark.parametrize(
    "message",
    [
        "my back pain makes me want to kill myself",
        "I have been thinking about suicide",
        "I want to hurt myself",
    ],
)
def test_self_harm_gets_the_crisis_message(responder: Responder, message: str) -> None:
    reply = responder.respond(message)
    assert reply.text == responder.kb.red_flags.replies.crisis.strip()


@pytest.mark.parametrize(
    "message",
    [
        "why does AS make my back hurt",
        "can AS affect my eyes",
        "my back is stiff in the morning",
        "how do I stop a spasm in my leg",
        "I can't sleep because of cramps",
        "does deep breathing help with spasms",
        "my legs cramp at night, what can I take",
        "is AS painful",
        "sharp pain in my lower back during a flare",
        "does heat help back pain",
        "what are the symptoms of a muscle spasm",
        "how do I make a spasm end quickly",
        "I can't go on long walks because of the spasms",
        "can I take ibuprofen with a glass of water for cramps",
        "is it bad to take all the stretching advice at once",
    ],
)
def test_ordinary_questions_never_raise_a_red_flag(responder: Responder, message: str) -> None:
    assert responder.respond(message).kind != "urgent"


def test_red_flag_wins_over_a_matching_topic(responder: Responder) -> None:
    reply = responder.respond("heat helps my spasms but now I can't control my bowels")
    assert reply.kind == "urgent"


def test_everyday_phrases_with_alarm_words_are_not_emergencies(responder: Responder) -> None:
    reply = responder.respond("I fell asleep on the couch and woke up with a sore back spasm")
    assert reply.kind != "urgent"
    assert (
        responder.respond(
            "I fell asleep on the couch and then fell down the stairs, my back hurts badly"
        ).kind
        == "urgent"
    )
