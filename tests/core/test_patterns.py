"""The pattern language curators write rules in, and how phrases are found in messages."""

from __future__ import annotations

import pytest

from bot.core.patterns import PatternError, compile_pattern
from bot.core.phrases import PhraseSet
from bot.core.text import words

LISTS = {
    "cant": ["can't", "cannot", "unable to", "not able to"],
    "pee": ["pee", "wee", "pass water"],
    "pill": ["pill*", "tablets", "muscle relaxers"],
    "legs": ["leg", "legs", "{feet}"],
    "feet": ["foot", "feet"],
}


def spans(phrase: str, message: str, **options: object) -> list[str]:
    """Return the message words each occurrence of the phrase covers."""
    found = PhraseSet([compile_pattern(phrase, LISTS)], **options)  # type: ignore[arg-type]
    message_words = words(message)
    starts = frozenset({0})
    return [
        " ".join(message_words[span.start : span.end])
        for _, span in found.find(found.tag(message_words, starts))
    ]


@pytest.mark.parametrize(
    ("phrase", "message", "expected"),
    [
        ("numb*", "the numbness is new", ["numbness"]),
        ("{cant} {pee}", "I cannot pee", ["cannot pee"]),
        ("{cant} {pee}", "i'm unable to pass water", ["unable to pass water"]),
        ("{cant} .. {pee}", "I can't really seem to pee", ["cant really seem to pee"]),
        ("{cant} .. {pee}", "I can't sleep and my pee is dark", []),
        ("{legs} .. weak", "my feet feel weak", ["feet feel weak"]),
        ("took #6+ {pill}", "took 10 muscle relaxers", ["took 10 muscle relaxers"]),
        ("took #6+ {pill}", "took ten pills", ["took ten pills"]),
        ("took #6+ {pill}", "took 2 pills", []),
        ("took #6+ {pill}", "took a dozen tablets", []),
    ],
)
def test_patterns_use_lists_gaps_and_numbers(
    phrase: str, message: str, expected: list[str]
) -> None:
    assert spans(phrase, message) == expected


@pytest.mark.parametrize(
    ("message", "found"),
    [
        ("im sucidal", True),
        ("i feel suicdal", True),
        ("im suicidallll", True),
        ("cooking dinner", False),
    ],
)
def test_typos_of_alarm_words_match_but_everyday_words_never_do(message: str, found: bool) -> None:
    everyday = {"cooking", "im", "i", "feel", "dinner"}.__contains__
    for phrase in ("suicidal", "choking"):
        matched = spans(phrase, message, everyday=everyday)
        if phrase == "suicidal":
            assert bool(matched) is found, message
        else:
            assert matched == [], "an everyday word never becomes an alarm word"


def test_a_gap_word_is_not_part_of_what_the_pattern_matched() -> None:
    phrases = PhraseSet([compile_pattern("{legs} .. weak", LISTS)])
    message = words("my legs are not weak")
    [(_, span)] = phrases.find(phrases.tag(message))
    assert [message[i] for i in sorted(span.words)] == ["legs", "weak"]


def test_sentence_edges_anchor_a_pattern() -> None:
    phrases = PhraseSet([compile_pattern("cant go on $"), compile_pattern("^ does")])
    ends = frozenset({0, 2})
    assert phrases.find(phrases.tag(words("i cant go on"), frozenset({0})))
    assert not phrases.find(phrases.tag(words("i cant go on long walks"), frozenset({0})))
    tagged = phrases.tag(words("it hurts does a spasm"), ends)
    assert [index for index, _ in phrases.find(tagged)] == [1]


def test_a_phrase_never_runs_on_past_a_question_mark() -> None:
    phrases = PhraseSet([compile_pattern("weak* .. {legs}", LISTS)])
    message = words("can spasms make you weaker my leg hurts")
    assert phrases.find(phrases.tag(message))
    breaks = frozenset({message.index("my")})
    assert not phrases.find(phrases.tag(message, frozenset({0}), breaks))


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("{nope} pee", "no word list called 'nope'"),
        (".. pee", "'..' must come between words"),
        ("pee ..", "needs a word after"),
        ("pee ^", "must come first"),
        ("$ pee", "must follow a word"),
    ],
)
def test_unreadable_patterns_are_refused_with_the_reason(phrase: str, problem: str) -> None:
    with pytest.raises(PatternError, match=problem):
        compile_pattern(phrase, LISTS)


def test_a_list_that_uses_itself_is_refused() -> None:
    with pytest.raises(PatternError, match="refers to itself"):
        compile_pattern("{loop}", {"loop": ["{loop} again"]})
