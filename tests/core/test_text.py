from __future__ import annotations

import pytest

from bot.core.text import Analyzer, expand_abbreviations, fold, words

STOP = frozenset({"i", "have", "what", "is", "as", "well", "it", "a", "my", "and", "the"})
CONTEXT = (frozenset({"have", "is", "with"}), frozenset({"and", "pain"}))


def make_analyzer() -> Analyzer:
    analyzer = Analyzer(
        stopwords=STOP,
        synonyms={"spasm": ["cramp", "charley horse"], "ankylosing spondylitis": ["bechterew"]},
        abbreviations={"AS": "ankylosing spondylitis"},
        context=CONTEXT,
    )
    analyzer.set_vocabulary(["muscle spasm", "ankylosing spondylitis", "stretching", "heat"])
    return analyzer


def test_fold_unifies_case_accents_and_apostrophes() -> None:
    assert fold("Spasm\u2019s CAFÉ") == "spasm's cafe"
    assert words("Don\u2019t   stop!!") == ["dont", "stop"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is AS?", "What is ankylosing spondylitis?"),
        ("i have as and pain", "i have ankylosing spondylitis and pain"),
        ("it hurts as well", "it hurts as well"),
        ("as soon as possible", "as soon as possible"),
        ("WHAT IS AS", "WHAT IS ankylosing spondylitis"),
    ],
)
def test_as_is_the_disease_only_in_capitals_or_in_context(text: str, expected: str) -> None:
    abbreviations = {"AS": "ankylosing spondylitis"}
    assert expand_abbreviations(text, abbreviations, STOP, CONTEXT) == expected


def test_synonyms_become_one_concept_term() -> None:
    analyzer = make_analyzer()
    assert analyzer.stems("charley horses") == analyzer.stems("cramp") == ["spasm"]
    concept = analyzer.stems("ankylosing spondylitis")
    assert len(concept) == 1
    assert analyzer.stems("Bechterew") == concept == analyzer.stems("AS")


def test_typos_are_corrected_towards_knowledge_base_words() -> None:
    analyzer = make_analyzer()
    assert analyzer.stems("muscle spazm", correct=True) == analyzer.stems("muscle spasm")
    assert analyzer.stems("strechting", correct=True) == analyzer.stems("stretching")


def test_common_real_words_are_not_corrected_into_ours() -> None:
    analyzer = make_analyzer()
    # "heart" is one letter from "heat" but is what the patient meant.
    assert analyzer.stems("heart", correct=True) == ["heart"]


def test_stems_merge_plurals_and_verb_forms() -> None:
    analyzer = make_analyzer()
    assert analyzer.stems("stretches") == analyzer.stems("stretching") == ["stretch"]


def test_split_phrases_are_remembered_only_while_indexing() -> None:
    from bot.core import text
    from bot.core.responder import Responder

    responder = Responder.from_directory()
    assert text._PHRASES is None
    responder.respond("my back locked up at 3am, what do i do")
    assert text._PHRASES is None  # no patient's words kept after a reply
    with text.remembering_phrases():
        assert text.words("Don't PANIC") == ["dont", "panic"]
        assert text._PHRASES == {"Don't PANIC": ("dont", "panic")}
    assert text._PHRASES is None


def test_ascii_and_unicode_text_fold_alike() -> None:
    assert fold("Don`t KNOW") == "don't know"
    assert fold("Don\u2019t KNOW") == "don't know"
    assert fold("Crème Brûlée") == "creme brulee"
