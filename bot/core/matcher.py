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
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.text import Analyzer, Term

# Share of the score given to coverage (the rest is similarity to the closest question).
COVERAGE_SHARE = 0.6
# Long messages are also scored sentence by sentence: the sentence that asks the question
# should not be drowned by the story around it.
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
MAX_SENTENCES = 20
# A term must appear in this many of an entry's questions to count fully for it; a word
# used once ("differently" in one long example) is incidental and counts for less.
SUPPORT = 2


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked entry: its id, the combined score and the two measures behind it."""

    entry_id: str
    score: float
    coverage: float
    similarity: float


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

    def __init__(
        self,
        documents: Iterable[Document],
        analyzer: Analyzer,
    ) -> None:
        self.analyzer = analyzer
        self._ids: list[str] = []
        entry_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        question_postings: dict[str, list[int]] = defaultdict(list)
        question_terms: list[frozenset[str]] = []
        self._question_entry: list[int] = []
        for index, document in enumerate(documents):
            self._ids.append(document.entry_id)
            seen: dict[str, int] = defaultdict(int)
            for question in document.questions:
                terms = frozenset(question)
                if not terms:
                    continue
                q_index = len(question_terms)
                question_terms.append(terms)
                self._question_entry.append(index)
                for term in terms:
                    question_postings[term].append(q_index)
                    seen[term] += 1
            for term, support in seen.items():
                entry_postings[term].append((index, min(1.0, support / SUPPORT)))
        count = max(len(self._ids), 1)
        self._idf = {t: math.log(1.0 + count / len(p)) for t, p in entry_postings.items()}
        self._entry_postings = {t: tuple(p) for t, p in entry_postings.items()}
        self._strength = {t: max(s for _, s in p) for t, p in entry_postings.items()}
        self._question_postings = {t: tuple(p) for t, p in question_postings.items()}
        self._question_norms = [
            math.sqrt(sum(self._idf[t] ** 2 for t in terms)) for terms in question_terms
        ]

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

    def match(self, query: str, *, limit: int = 3) -> list[Match]:
        """Return up to ``limit`` entries for ``query``, best first.

        A message of several sentences scores each entry by the whole message or by one
        of its questions (sentences ending in "?"), whichever is higher: the story around a
        question should not drown it.
        """
        whole = self.match_terms(self.analyzer.analyze(query), limit=len(self._ids))
        sentences = [s for s in _SENTENCE.findall(query) if s.strip()]
        questions = [s for s in sentences if s.rstrip().endswith("?")]
        if len(sentences) < 2:
            return whole[:limit]
        overall = {m.entry_id: m for m in whole}
        best = dict(overall)
        for sentence in questions[:MAX_SENTENCES]:
            for m in self.match_terms(self.analyzer.analyze(sentence), limit=limit):
                # Half the question, half the whole message: the question leads, but a
                # topic named only in the story ("my chiropractor...") still counts.
                base = overall[m.entry_id].score if m.entry_id in overall else 0.0
                blended = Match(
                    m.entry_id, round((m.score + base) / 2, 4), m.coverage, m.similarity
                )
                if m.entry_id not in best or blended.score > best[m.entry_id].score:
                    best[m.entry_id] = blended
        ranked = sorted(best.values(), key=lambda m: (-m.score, -m.similarity, m.entry_id))
        return ranked[:limit]

    def match_terms(self, terms: Sequence[Term], *, limit: int = 3) -> list[Match]:
        """Rank entries for already analysed query terms, best first."""
        weights: dict[str, float] = {}
        for term in terms:
            weights[term.stem] = max(weights.get(term.stem, 0.0), self.weigh(term))
        total = sum(weights.values())
        if total <= 0.0 or limit <= 0:
            return []
        norm = math.sqrt(sum(w * w for w in weights.values()))

        covered: dict[int, float] = defaultdict(float)
        dots: dict[int, float] = defaultdict(float)
        for stem, weight in weights.items():
            idf = self._idf.get(stem)
            if idf is None:
                continue
            for entry, strength in self._entry_postings[stem]:
                covered[entry] += weight * strength
            for question in self._question_postings[stem]:
                dots[question] += weight * idf

        similarity: dict[int, float] = defaultdict(float)
        for question, dot in dots.items():
            value = dot / (norm * self._question_norms[question])
            entry = self._question_entry[question]
            if value > similarity[entry]:
                similarity[entry] = value

        ranked = []
        for entry, amount in covered.items():
            coverage = amount / total
            sim = similarity[entry]
            score = COVERAGE_SHARE * coverage + (1.0 - COVERAGE_SHARE) * sim
            ranked.append(Match(self._ids[entry], round(score, 4), coverage, sim))
        ranked.sort(key=lambda m: (-m.score, -m.similarity, m.entry_id))
        return ranked[:limit]
