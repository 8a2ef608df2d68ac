"""Warnings for the curator: example questions that another entry would answer.

Each entry's example questions are split into ``FOLDS`` parts; each part is left out of the
index in turn and its questions are matched against the rest, as a patient's new wording
would be. A question that then lands on another entry shows where two entries overlap:
the entry may need clearer phrasings, or the two entries are too close to tell apart.
These are warnings: ``check`` prints them and still passes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from bot.core.config import Tuning
from bot.core.matcher import Document, Matcher
from bot.core.message import MessageReader
from bot.core.models import KnowledgeBase
from bot.core.topics import LexicalMatcher

FOLDS = 5
# An entry is flagged when this share of its left-out questions lands elsewhere.
ENTRY_SHARE = 0.10
# Two entries are "too close" when this share of the smaller one's questions swap over.
PAIR_SHARE = 0.15


@dataclass(frozen=True, slots=True)
class Stray:
    """An example question of ``entry`` that, left out, matched ``other`` better."""

    entry: str
    other: str
    question: str


def strays(
    kb: KnowledgeBase,
    documents: list[Document],
    reader: MessageReader,
    tuning: Tuning,
    topics: list[frozenset[str]],
) -> list[Stray]:
    """Return every example question that lands on another entry when left out."""
    found = []
    questions = {entry.id: entry.questions for entry in kb.entries}
    for fold in range(FOLDS):
        kept = [
            Document(
                doc.entry_id,
                tuple(q for i, q in enumerate(doc.questions) if i == 0 or i % FOLDS != fold),
            )
            for doc in documents
        ]
        matcher = LexicalMatcher(Matcher(kept, tuning), tuning, topics)
        for entry_id, texts in questions.items():
            # Position 0 of a document is the title, so question i sits at i + 1.
            for i, text in enumerate(texts, start=1):
                if i % FOLDS != fold:
                    continue
                ranked = matcher.rank(reader.read(text), limit=1)
                if ranked and ranked[0].entry_id != entry_id:
                    found.append(Stray(entry_id, ranked[0].entry_id, text))
    return found


def warnings(kb: KnowledgeBase, found: list[Stray]) -> list[str]:
    """Turn strays into lines: entries with many, then pairs too close to tell apart."""
    sizes = {entry.id: len(entry.questions) for entry in kb.entries}
    by_entry: dict[str, list[Stray]] = defaultdict(list)
    pairs: Counter[frozenset[str]] = Counter()
    for stray in found:
        by_entry[stray.entry].append(stray)
        pairs[frozenset((stray.entry, stray.other))] += 1
    lines = []
    for entry, items in sorted(by_entry.items()):
        if len(items) < ENTRY_SHARE * sizes[entry]:
            continue
        others = Counter(s.other for s in items).most_common(2)
        where = ", ".join(f"{other} ({count})" for other, count in others)
        lines.append(
            f"entry '{entry}': {len(items)} of {sizes[entry]} example questions match "
            f"another entry better when left out: {where}; e.g. '{items[0].question}'"
        )
    for pair, count in pairs.most_common():
        a, b = sorted(pair)
        if count >= PAIR_SHARE * min(sizes[a], sizes[b]):
            lines.append(
                f"entries '{a}' and '{b}' are hard to tell apart: {count} of their example "
                "questions swap over; make their questions more distinct or merge them"
            )
    return lines
