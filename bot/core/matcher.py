"""Rank knowledge-base entries for a question and say how sure the ranking is.

The index is built once from each entry's example questions and title. A question scores
against an entry by two measures, both in [0, 1]:

* coverage: the share of the question's weighted terms that the entry knows. Words the
  knowledge base never uses count against every entry, so "is AS genetic?" covers only half
  of itself anywhere and falls below the threshold instead of answering "what is AS".
* similarity: cosine between the question and the entry's closest example question, which
  separates entries that share words ("spasm" is in most of them).

Term weights are inverse entry frequencies; unknown words weigh by how rare they are in
English. Topics the article does not cover are caught before matching (see scope.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.arrays import ArrayScorer
from bot.core.config import Tuning
from bot.core.text import Term

# From this many entries on, scoring runs on numpy arrays instead of entry by entry (the
# arrays were faster even on the shipped fifteen entries; the scalar path is the reference).
ARRAY_MIN_ENTRIES = 1


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked entry: its id, the combined score and the two measures behind it."""

    entry_id: str
    score: float
    coverage: float
    similarity: float
    # Sure enough to answer with (decided by the topic matcher, see topics.py).
    confident: bool = False


@dataclass(frozen=True, slots=True)
class _Query:
    """A query's known terms as (stem, weight, idf), its total weight and its norm."""

    known: tuple[tuple[str, float, float], ...]
    total: float
    norm: float


@dataclass(frozen=True, slots=True)
class Document:
    """An entry as the index sees it: its id and the term lists of its example questions."""

    entry_id: str
    questions: tuple[tuple[str, ...], ...]


def unknown_weight(frequency: int) -> float:
    """Weigh a word the knowledge base never uses: rare words count more than everyday ones."""
    if frequency <= 0:
        return 2.0
    return min(2.0, max(0.3, 2.2 - 0.3 * math.log10(frequency)))


class Matcher:
    """An immutable index over knowledge-base entries; ``match`` ranks them for a question."""

    def __init__(self, documents: Iterable[Document], tuning: Tuning | None = None) -> None:
        tuning = tuning or Tuning()
        self._share = tuning.coverage_share
        self._ids: list[str] = []
        entry_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        question_terms: list[frozenset[str]] = []
        question_entry: list[int] = []
        self._entry_strength: list[dict[str, float]] = []
        for index, document in enumerate(documents):
            self._ids.append(document.entry_id)
            seen: dict[str, int] = defaultdict(int)
            for question in document.questions:
                terms = frozenset(question)
                if not terms:
                    continue
                question_terms.append(terms)
                question_entry.append(index)
                for term in terms:
                    seen[term] += 1
            # A term used in one example only ("differently" in a long one) is incidental.
            strengths = {t: min(1.0, n / tuning.support) for t, n in seen.items()}
            self._entry_strength.append(strengths)
            for term, strength in strengths.items():
                entry_postings[term].append((index, strength))
        self._index = {entry_id: i for i, entry_id in enumerate(self._ids)}
        count = max(len(self._ids), 1)
        self._idf = {t: math.log(1.0 + count / len(p)) for t, p in entry_postings.items()}
        self._entry_postings = {t: tuple(p) for t, p in entry_postings.items()}
        self._strength = {t: max(s for _, s in p) for t, p in entry_postings.items()}
        norms = [math.sqrt(sum(self._idf[t] ** 2 for t in terms)) for terms in question_terms]
        grouped: list[list[tuple[frozenset[str], float]]] = [[] for _ in self._ids]
        for terms, norm, entry in zip(question_terms, norms, question_entry, strict=True):
            grouped[entry].append((terms, norm))
        self._entry_questions = [tuple(g) for g in grouped]
        # Entries are scored as arrays; entry by entry only when some entry has no question
        # with a content word (the arrays need one per entry) and as the tests' reference.
        self._arrays = (
            ArrayScorer(self._entry_postings, self._entry_questions)
            if len(self._ids) >= ARRAY_MIN_ENTRIES and all(self._entry_questions)
            else None
        )

    @property
    def entry_ids(self) -> tuple[str, ...]:
        """Return the indexed entry ids in index order."""
        return tuple(self._ids)

    def knows(self, stem: str) -> bool:
        """Return True when some entry's questions use this stem."""
        return stem in self._idf

    def weigh(self, term: Term) -> float:
        """Return how much one query term matters for deciding the topic."""
        idf = self._idf.get(term.stem)
        if idf is not None:
            strength = self._strength[term.stem]
            return idf * strength + unknown_weight(term.frequency) * (1.0 - strength)
        return unknown_weight(term.frequency)

    def match_terms(self, terms: Sequence[Term], *, limit: int = 3) -> list[Match]:
        """Rank entries for already analysed query terms, best first."""
        query = self._query(terms)
        if query is None or limit <= 0:
            return []
        if self._arrays is not None:
            return self._rank_arrays(query, limit)
        ranked = []
        for entry in sorted(
            {e for stem, _, _ in query.known for e, _ in self._entry_postings[stem]}
        ):
            coverage, sim = self._measure(entry, query)
            score = round(self._share * coverage + (1.0 - self._share) * sim, 4)
            ranked.append(Match(self._ids[entry], score, coverage, sim))
        ranked.sort(key=lambda m: (-m.score, -m.similarity, m.entry_id))
        return ranked[:limit]

    def _rank_arrays(self, query: _Query, limit: int) -> list[Match]:
        assert self._arrays is not None
        coverage, similarity = self._arrays.scores(query.known, query.total, query.norm)
        covered = coverage > 0
        candidates = int(covered.sum())
        if not candidates:
            return []
        score = (self._share * coverage + (1.0 - self._share) * similarity) * covered
        # Every entry scoring at least the limit-th best is kept, ties included, so they
        # are broken exactly as the scalar path breaks them.
        keep = min(candidates, limit)
        kth = np.partition(score, len(score) - keep)[len(score) - keep]
        top = np.nonzero((score >= kth) & covered)[0]
        ranked = [
            Match(self._ids[i], round(float(score[i]), 4), float(coverage[i]), float(similarity[i]))
            for i in top
        ]
        ranked.sort(key=lambda m: (-m.score, -m.similarity, m.entry_id))
        return ranked[:limit]

    def score_entry(self, terms: Sequence[Term], entry_id: str) -> float:
        """Return one entry's score for analysed query terms (0 when it shares nothing)."""
        entry = self._index.get(entry_id)
        query = self._query(terms)
        if entry is None or query is None:
            return 0.0
        coverage, sim = self._measure(entry, query)
        return round(self._share * coverage + (1.0 - self._share) * sim, 4)

    def _query(self, terms: Sequence[Term]) -> _Query | None:
        """Weigh the query's terms once; None when nothing in it carries weight."""
        weights: dict[str, float] = {}
        for term in terms:
            weights[term.stem] = max(weights.get(term.stem, 0.0), self.weigh(term))
        total = sum(weights.values())
        if total <= 0.0:
            return None
        known = tuple((s, w, self._idf[s]) for s, w in weights.items() if s in self._idf)
        return _Query(known, total, math.sqrt(sum(w * w for w in weights.values())))

    def _measure(self, entry: int, query: _Query) -> tuple[float, float]:
        """Return one entry's coverage of the query and its closest question's cosine."""
        strengths = self._entry_strength[entry]
        coverage = sum(w * strengths.get(s, 0.0) for s, w, _ in query.known) / query.total
        best = 0.0
        for terms, question_norm in self._entry_questions[entry]:
            dot = sum(weight * idf for stem, weight, idf in query.known if stem in terms)
            if dot:
                best = max(best, dot / (query.norm * question_norm))
        return coverage, best
