from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import matcher
from bot.core.evaluation import load_examples
from bot.core.loader import load_knowledge_base
from bot.core.responder import Responder

DATA = Path(__file__).resolve().parents[1] / "data"


def test_array_scoring_ranks_exactly_like_entry_by_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large knowledge bases are scored with numpy; the rankings must not change."""
    kb = load_knowledge_base()
    arrays = Responder(kb)
    monkeypatch.setattr(matcher, "ARRAY_MIN_ENTRIES", 10**9)
    scalar = Responder(kb)
    assert arrays.index._arrays is not None
    assert scalar.index._arrays is None
    questions = [e.question for e in load_examples(DATA / "labelled.yaml")]
    for question in questions:
        expected = [(m.entry_id, m.score) for m in scalar.match(question, limit=5)]
        assert [(m.entry_id, m.score) for m in arrays.match(question, limit=5)] == expected
