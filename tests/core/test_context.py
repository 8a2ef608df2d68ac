"""ConText on a tiny rule set: which cues calm an alarm, and which never may."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.models import RedFlags
from bot.core.safety import Triage

RULES: dict[str, Any] = {
    "replies": {"urgent": "Call your emergency number.", "crisis": "Call a crisis line."},
    "safety_net": {"chest": "If you ever have chest pain, call now.", "mind": "Crisis line."},
    "lists": {"hurt": ["pain", "hurts"]},
    "rules": [
        {"name": "chest pain", "category": "chest", "all": [["chest"], ["{hurt}"]]},
        {"name": "numb legs", "category": "chest", "any": ["legs .. numb"]},
        {
            "name": "suicide",
            "category": "mind",
            "reply": "crisis",
            "context": ["negated", "hypothetical"],
            "any": ["suicidal"],
        },
    ],
    "ignore": ["chest of drawers"],
    "context": {
        "stop": ["but", "now"],
        "pseudo": ["no idea"],
        "negated": [{"before": ["no", "not"], "stop": ["i"]}, {"after": ["is fine"]}],
        "hypothetical": [
            {"before": ["if"]},
            {
                "before": ["^ can"],
                "stop": ["my"],
                "not_followed_by": ["this", "i"],
            },
        ],
        "historical": [{"after": ["years ago"]}],
        "habitual": [{"after": ["every morning"]}],
        "figurative": [{"after": ["lol"]}],
    },
}


@pytest.fixture(scope="module")
def triage() -> Triage:
    return Triage(RedFlags.model_validate(RULES), everyday=None)


@pytest.mark.parametrize(
    ("message", "kinds"),
    [
        ("no chest pain, just my back", {"negated"}),
        ("chest pain is fine now", {"negated"}),
        ("my legs are not numb", {"negated"}),
        ("if I get chest pain what do I do", {"hypothetical"}),
        ("can a spasm cause chest pain?", {"hypothetical"}),
        ("I had chest pain years ago", {"historical"}),
        ("chest pain lol", {"figurative"}),
    ],
)
def test_a_clear_cue_calms_the_alarm_and_names_its_kind(
    triage: Triage, message: str, kinds: set[str]
) -> None:
    assessment = triage.assess(message)
    assert assessment.flag is None, message
    assert {kind for m in assessment.mentions for kind in m.context} == kinds
    assert assessment.safety_net == ("chest",)


@pytest.mark.parametrize(
    "message",
    [
        "chest pain",
        "my dad has chest pain",
        "no idea why but my chest hurts",
        "no fever, but now chest pain",
        "no i have chest pain",
        "can this be chest pain?",
        "can my chest pain be serious?",
        "I had chest pain years ago and now chest pain again",
        "chest pain every morning",
    ],
)
def test_without_a_clear_cue_the_alarm_stands(triage: Triage, message: str) -> None:
    assessment = triage.assess(message)
    assert assessment.flag is not None, message
    assert assessment.flag.reply == "urgent"


def test_a_word_the_alarm_phrase_matched_is_never_a_cue(triage: Triage) -> None:
    # "not" sits in the gap of "legs .. numb", so it still negates; "no" inside an
    # ignored phrase never does.
    assert triage.assess("legs are not numb").flag is None
    assert triage.check("the chest of drawers fell, no pain") is None


def test_crisis_is_calmed_only_by_the_kinds_its_rule_allows(triage: Triage) -> None:
    assert triage.check("I'm not suicidal, just tired") is None
    flag = triage.check("suicidal lol")
    assert flag is not None
    assert flag.reply == "crisis"


def test_crisis_beats_urgent(triage: Triage) -> None:
    flag = triage.check("chest pain and I feel suicidal")
    assert flag is not None
    assert flag.reply == "crisis"
