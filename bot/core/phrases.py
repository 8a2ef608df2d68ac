"""Find patterns in a message's words, with the typo tolerance patients need.

A pattern word of five letters or more also matches a message word one typo away (two from
eight letters), but only when the message word is not itself an everyday English word:
"sucidal" still reads as "suicidal", "cooking" is never read as "choking". Letters typed
three or more times in a row ("numbbb") are also read once and twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.core.patterns import (
    Pattern,
    PatternWord,
    Span,
    Tagged,
    advance,
    first_words,
    number_value,
    pattern_words,
    requirements,
)

# Shortest pattern word that still matches with one typo; shorter ones must be exact.
FUZZY_MIN_LENGTH = 5
# From this length on, a pattern word matches with two typos.
FUZZY_TWO_LENGTH = 8
# How many distinct message words each phrase set remembers the matches of.
WORD_CACHE_SIZE = 50_000
_REPEATS = re.compile(r"(.)\1{2,}")


def _variants(word: str) -> set[str]:
    """Return the word and, for "numbbb", the readings with the repeats typed once and twice."""
    if not _REPEATS.search(word):
        return {word}
    return {word, _REPEATS.sub(r"\1", word), _REPEATS.sub(r"\1\1", word)}


def _cost(word: PatternWord, frequency: Callable[[str], int]) -> int:
    """Estimate how often a pattern word turns up in messages (prefixes and numbers often)."""
    if word.minimum is not None:
        return 10_000_000
    return frequency(word.text) * (50 if word.prefix else 1) + 1


def _near_prefix(word: str, prefix: str) -> bool:
    """Return True when the word starts with the prefix give or take a typo ("numm").

    Long prefixes ("painkiller*") allow two typos, as long words do.
    """
    length = len(prefix)
    typos = 2 if length >= FUZZY_TWO_LENGTH else 1
    sizes = (length - 1, length, length + 1) if length >= 6 else (length, length + 1)
    return any(
        DamerauLevenshtein.distance(word[:size], prefix, score_cutoff=typos) <= typos
        for size in sizes
        if len(word) >= size
    )


class PhraseSet:
    """Patterns that can be looked for in a message's words, reporting where they occur."""

    def __init__(
        self,
        patterns: Iterable[Pattern],
        *,
        fuzzy: bool = True,
        everyday: Callable[[str], bool] | None = None,
        frequency: Callable[[str], int] | None = None,
    ) -> None:
        self.patterns = tuple(p for p in patterns if p)
        self.fuzzy = fuzzy
        self._everyday = everyday or (lambda _word: False)
        every_word = {w for pattern in self.patterns for w in pattern_words(pattern)}
        self._numbers = sorted({w for w in every_word if w.minimum is not None}, key=str)
        plain = {w for w in every_word if w.minimum is None}
        self._exact = {w.text: w for w in plain if not w.prefix}
        self._fuzzy = sorted(
            (w for w in plain if not w.prefix and len(w.text) >= FUZZY_MIN_LENGTH),
            key=lambda w: w.text,
        )
        self._fuzzy_texts = [w.text for w in self._fuzzy]
        self._prefixes: dict[int, list[PatternWord]] = {}
        for w in sorted((w for w in plain if w.prefix), key=lambda w: w.text):
            self._prefixes.setdefault(len(w.text), []).append(w)
        self._cache: dict[str, frozenset[PatternWord]] = {}
        self._by_first: dict[PatternWord, list[int]] = {}
        for index, pattern in enumerate(self.patterns):
            for first in first_words(pattern):
                self._by_first.setdefault(first, []).append(index)
        # Each pattern is looked for only when the message holds one of the words of its
        # most selective element (its anchor): most messages skip most patterns.
        weigh = frequency or (lambda _text: 1)
        self._anchored: dict[PatternWord, list[int]] = {}
        for index, pattern in enumerate(self.patterns):
            needed = requirements(pattern)
            anchor = min(needed, key=lambda words: sum(_cost(w, weigh) for w in words))
            for word in anchor:
                self._anchored.setdefault(word, []).append(index)

    def _typo_ok(self, word: str) -> bool:
        return self.fuzzy and len(word) >= FUZZY_MIN_LENGTH - 1 and not self._everyday(word)

    def _word_matches(self, word: str, *, typos: bool = True) -> frozenset[PatternWord]:
        found: set[PatternWord] = set()
        value = number_value(word)
        if value is not None:
            found.update(w for w in self._numbers if w.minimum is not None and value >= w.minimum)
        for variant in _variants(word):
            exact = self._exact.get(variant)
            if exact is not None:
                found.add(exact)
            typo = typos and self._typo_ok(variant)
            if typo:
                for _, distance, index in process.extract(
                    variant,
                    self._fuzzy_texts,
                    scorer=DamerauLevenshtein.distance,
                    score_cutoff=2,
                    limit=None,
                ):
                    target = self._fuzzy[index]
                    if distance <= 1 or len(target.text) >= FUZZY_TWO_LENGTH:
                        found.add(target)
            for length, prefixes in self._prefixes.items():
                head = variant[:length]
                for pattern in prefixes:
                    short = length < FUZZY_MIN_LENGTH
                    if head == pattern.text or (
                        typo
                        and length >= FUZZY_MIN_LENGTH - (len(variant) <= length + 1)
                        and (not short or variant[0] == pattern.text[0])
                        and _near_prefix(variant, pattern.text)
                    ):
                        found.add(pattern)
        return frozenset(found)

    def tag(
        self,
        message_words: Sequence[str],
        starts: frozenset[int] = frozenset({0}),
        breaks: frozenset[int] = frozenset(),
        names: frozenset[str] = frozenset(),
    ) -> Tagged:
        """Return, for each message word, the pattern words it matches.

        ``names`` (words the patient capitalised mid-sentence: "Meena", "Bangalore") match
        exactly or not at all: a name is nobody's typo.
        """
        tags = []
        for word in message_words:
            exact_only = word in names
            key = f"={word}" if exact_only else word
            found = self._cache.get(key)
            if found is None:
                found = self._word_matches(word, typos=not exact_only)
                if len(self._cache) < WORD_CACHE_SIZE:
                    self._cache[key] = found
            tags.append(found)
        return Tagged(tuple(tags), starts, breaks, tuple(message_words))

    def viable(self, tagged: Tagged) -> set[int]:
        """Return the patterns whose anchor word the message holds (the others cannot match)."""
        present = {word for tags in tagged.tags for word in tags}
        return {i for word in present for i in self._anchored.get(word, ())}

    def find(self, tagged: Tagged, only: set[int] | None = None) -> list[tuple[int, Span]]:
        """Return (pattern index, span) for every occurrence of every pattern, shortest spans.

        ``only`` limits the search to those patterns (by default, every viable one).
        """
        hits: list[tuple[int, Span]] = []
        viable = self.viable(tagged) if only is None else only
        if not viable:
            return hits
        for start, matched in enumerate(tagged.tags):
            candidates = {
                i for first in matched for i in self._by_first.get(first, ()) if i in viable
            }
            for index in sorted(candidates):
                ends = advance(self.patterns[index], {(start, frozenset())}, tagged)
                if ends:
                    end, words = min(ends, key=lambda state: (state[0], len(state[1])))
                    hits.append((index, Span(start, end, words)))
        return hits
