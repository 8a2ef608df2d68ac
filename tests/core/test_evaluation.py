"""The quality bars of the labelled set, measured on the shipped knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.evaluation import Report, evaluate, load_examples
from bot.core.loader import load_knowledge_base
from bot.core.responder import Responder
from bot.core.text import normalise_phrase

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled.yaml"


@pytest.fixture(scope="module")
def report(responder: Responder) -> Report:
    return evaluate(responder, load_examples(LABELLED))


def test_labelled_set_is_big_enough_and_not_copied_from_the_knowledge_base() -> None:
    examples = load_examples(LABELLED)
    kb = load_knowledge_base()
    known = {normalise_phrase(q) for e in kb.entries for q in e.questions}
    for entry in kb.entries:
        own = [x for x in examples if x.entry_id == entry.id]
        fresh = [x for x in own if normalise_phrase(x.question) not in known]
        assert len(fresh) >= 10, entry.id
    kinds = [x.kind for x in examples]
    assert kinds.count("fallback") >= 40
    assert kinds.count("urgent") >= 20
    assert kinds.count("smalltalk") >= 10


def test_in_scope_accuracy_at_least_90_percent(report: Report) -> None:
    assert report.accuracy("answer") >= 0.90, report.summary()


def test_out_of_scope_rejection_at_least_90_percent(report: Report) -> None:
    assert report.accuracy("fallback") >= 0.90, report.summary()


def test_every_red_flag_is_caught(report: Report) -> None:
    assert report.accuracy("urgent") == 1.0, report.summary()


def test_no_red_flag_on_in_scope_questions(report: Report) -> None:
    assert report.false_red_flags == 0, report.summary()


def test_small_talk_is_recognised(report: Report) -> None:
    assert report.accuracy("smalltalk") >= 0.9, report.summary()
