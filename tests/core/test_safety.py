from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.loader import KnowledgeBaseError, load_knowledge_base
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


# The issue's own examples of what patients write: every one is an emergency.
@pytest.mark.parametrize(
    "message",
    [
        "i can't pee since the spasm started",
        "need to go but nothing comes out",
        "my legs went numb after the spasm",
        "my foot is dragging since yesterday",
        "i suddenly can't lift my foot",
        "I think I'm having a heart attack",
        "the pain is spreading to my jaw and left arm",
        "my dad is pale, sweaty and clutching his chest",
        "i cant get enough air in, its like breathing through a straw",
        "her lips are going blue",
        "he can't finish a sentence without gasping",
        "my mums face is drooping on one side and her words are muddled",
        "my lips and tongue are swelling after the new muscle relaxer",
        "hives all over and my throat feels tight",
        "i threw up blood this morning",
        "my poo is black and sticky like tar",
        "i took 10 muscle relaxers",
        "8 ibuprofen in an hour",
        "took my pills with half a bottle of vodka",
        "he's been fitting for more than 5 minutes",
        "my wife won't wake up",
        "slipped on the ice this morning and now my neck really hurts",
        "rear-ended at low speed and now tingling in my hands",
        "suddenly lost the sight in my left eye",
        "my eye is red and light really hurts it",
        "high fever and my back is killing me",
        "cant breath",
        "I am writing about stretches. Oh and since this morning I can't feel my groin.",
    ],
)
def test_patients_own_words_for_an_emergency_get_the_urgent_reply(
    responder: Responder, message: str
) -> None:
    assert responder.respond(message).kind == "urgent", message


@pytest.mark.parametrize(
    "message",
    [
        "i dont want to wake up tomorrow",
        "i just want the pain to end for good",
        "im sucidal",
        "this is my last message, goodbye everyone",
        "I have a plan and I've saved up my pills",
        "my brother said he's going to kill himself",
    ],
)
def test_indirect_suicide_messages_get_the_crisis_reply(responder: Responder, message: str) -> None:
    reply = responder.respond(message)
    assert reply.kind == "urgent"
    assert reply.crisis
    assert reply.text == responder.kb.red_flags.replies.crisis.strip()


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("no chest pain, just my back muscles cramping", "chest-pain"),
        ("does a spasm make it hard to breathe?", "breathing"),
        ("i had a fall last year and my back has been sore since", "fracture-after-minor-trauma"),
        ("i feel paralysed every morning until I get moving", "leg-weakness"),
        ("what's the max dose of ibuprofen before it counts as an overdose?", "overdose"),
    ],
)
def test_a_mention_in_context_is_answered_with_a_safety_net_line(
    responder: Responder, message: str, category: str
) -> None:
    reply = responder.respond(message)
    assert reply.kind != "urgent", message
    line = responder.kb.red_flags.safety_net[category].strip()
    assert reply.safety_net == (line,)
    # The line comes after the answer and before the closing disclaimer.
    assert reply.disclaimer is not None
    assert reply.text.endswith(f"{line}\n\n{reply.disclaimer}")


@pytest.mark.parametrize(
    "message",
    [
        "heart attack level pain lol",
        "what is sleep paralysis?",
        "i was cooking dinner when my back went into spasm",
        "I fell behind at work because of my back",
        "my boss will kill me if I miss another day lol",
    ],
)
def test_figures_of_speech_and_lookalikes_are_not_emergencies(
    responder: Responder, message: str
) -> None:
    assert responder.respond(message).kind != "urgent", message


def test_check_names_an_emergency_that_stops_firing_and_a_near_miss_that_fires(
    kb_copy: Path,
) -> None:
    examples = kb_copy / "red_flag_examples.yaml"
    text = examples.read_text(encoding="utf-8")
    text = text.replace(
        "emergencies:\n",
        'emergencies:\n  - {text: "my back is a bit stiff", category: chest-pain}\n',
        1,
    )
    text = text.replace(
        "near_misses:\n", 'near_misses:\n  - {text: "I think I am having a stroke"}\n', 1
    )
    examples.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--kb", str(kb_copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "emergency #1 [chest-pain]: gets no urgent reply ('my back is a bit stiff')" in (
        result.stderr
    )
    assert "near-miss #1 [everyday]: rule 'stroke signs' fires on it" in result.stderr


def test_every_rule_category_needs_its_safety_net_line(kb_copy: Path) -> None:
    rules = kb_copy / "red_flags.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("  bleeding: ", "  bleeding-typo: ", 1), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(kb_copy)
    problems = [str(p) for p in raised.value.problems]
    assert "red_flags.yaml: safety_net: category 'bleeding' has no line" in problems
    assert "red_flags.yaml: safety_net: no rule has category 'bleeding-typo'" in problems
