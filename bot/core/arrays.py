"""Array scoring for large knowledge bases: the matcher's formula over numpy vectors.

The pure-Python scorer in matcher.py walks candidate entries one by one, which is slow for
thousands of entries that share everyday words. This module computes the same coverage and
closest-question cosine for every entry at once; the scalar path stays as the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


class ArrayScorer:
    """Coverage and best-question cosine for all entries, as numpy vectors."""

    def __init__(
        self,
        entry_postings: dict[str, tuple[tuple[int, float], ...]],
        questions: Sequence[Sequence[tuple[frozenset[str], float]]],
    ) -> None:
        self.entries = len(questions)
        starts: list[int] = []
        norms: list[float] = []
        postings: dict[str, list[int]] = {}
        for group in questions:
            starts.append(len(norms))
            for terms, norm in group:
                for term in terms:
                    postings.setdefault(term, []).append(len(norms))
                norms.append(norm)
        self._starts: Ints = np.asarray(starts, dtype=np.intp)
        self._norms: Floats = np.asarray(norms, dtype=np.float64)
        self._questions = {t: np.asarray(p, dtype=np.intp) for t, p in postings.items()}
        self._entries = {
            t: (
                np.asarray([e for e, _ in p], dtype=np.intp),
                np.asarray([s for _, s in p], dtype=np.float64),
            )
            for t, p in entry_postings.items()
        }

    def scores(
        self, known: Sequence[tuple[str, float, float]], total: float, norm: float
    ) -> tuple[Floats, Floats]:
        """Return (coverage, similarity) for every entry; coverage 0 means no shared term."""
        coverage: Floats = np.zeros(self.entries)
        dots: Floats = np.zeros(len(self._norms))
        for stem, weight, idf in known:
            entries, strengths = self._entries[stem]
            coverage[entries] += weight * strengths
            dots[self._questions[stem]] += weight * idf
        cosine = dots / (norm * self._norms)
        similarity: Floats = np.maximum.reduceat(cosine, self._starts)
        return coverage / total, similarity
