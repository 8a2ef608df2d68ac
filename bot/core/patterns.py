"""Phrase patterns for red flags and small talk, matched on words with small-typo tolerance.

A pattern is a phrase of words; a trailing ``*`` on a word means "any word starting with
this" (``numb*`` matches "numb" and "numbness"). Words of five letters or more also match
with one typo ("brething", "sucidal*"), because people in distress type fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.core.models import PhraseRule
from bot.core.text import words

# Shortest pattern word that still matches with one typo; shorter ones must be exact.
FUZZY_MIN_LENGTH = 5
# How many distinct message words each phrase set remembers the matches of.
WORD_CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class PatternWord:
    """One word of a pattern: the letters and whether it matches as a prefix."""

    text: str
    prefix: bool


def compile_phrase(phrase: str) -> tuple[PatternWord, ...]:
    """Turn ``"can't feel my leg*"`` into pattern words; apostrophes are dropped."""
    compiled = []
    for raw in phrase.split():
        prefix = raw.endswith("*")
        parts = words(raw)
        for index, word in enumerate(parts):
            compiled.append(PatternWord(word, prefix and index == len(parts) - 1))
    return tuple(compiled)


class PhraseSet:
    """A set of phrases that can be looked for in a message's words."""

    def __init__(self, phrases: Iterable[str], *, fuzzy: bool = True) -> None:
        self.phrases = tuple(p for p in (compile_phrase(x) for x in phrases) if p)
        self.fuzzy = fuzzy
        pattern_words = {w for phrase in self.phrases for w in phrase}
        self._exact = {w.text: w for w in pattern_words if not w.prefix}
        self._fuzzy = sorted(
            (w for w in pattern_words if not w.prefix and len(w.text) >= FUZZY_MIN_LENGTH),
            key=lambda w: w.text,
        )
        self._fuzzy_texts = [w.text for w in self._fuzzy]
        self._prefixes: dict[int, list[PatternWord]] = {}
        for w in sorted((w for w in pattern_words if w.prefix), key=lambda w: w.text):
            self._prefixes.setdefault(len(w.text), []).append(w)
        self._cache: dict[str, frozenset[PatternWord]] = {}
        self._by_first: dict[PatternWord, list[tuple[PatternWord, ...]]] = {}
        for phrase in self.phrases:
            self._by_first.setdefault(phrase[0], []).append(phrase)

    def _word_matches(self, word: str) -> frozenset[PatternWord]:
        found = set()
        exact = self._exact.get(word)
        if exact is not None:
            found.add(exact)
        if self.fuzzy and len(word) >= FUZZY_MIN_LENGTH - 1:
            for _, _, index in process.extract(
                word,
                self._fuzzy_texts,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=1,
                limit=None,
            ):
                found.add(self._fuzzy[index])
        for length, patterns in self._prefixes.items():
            head = word[:length]
            for pattern in patterns:
                if head == pattern.text or (
                    self.fuzzy
                    and length >= FUZZY_MIN_LENGTH
                    and len(word) >= length
                    and DamerauLevenshtein.distance(head, pattern.text, score_cutoff=1) <= 1
                ):
                    found.add(pattern)
        return frozenset(found)

    def tag(self, message_words: Sequence[str]) -> list[frozenset[PatternWord]]:
        """Return, for each message word, the pattern words it matches."""
        tags = []
        for word in message_words:
            found = self._cache.get(word)
            if found is None:
                found = self._word_matches(word)
                if len(self._cache) < WORD_CACHE_SIZE:
                    self._cache[word] = found
            tags.append(found)
        return tags

    def find(
        self, tags: Sequence[frozenset[PatternWord]]
    ) -> list[tuple[int, tuple[PatternWord, ...]]]:
        """Return (start, phrase) for every occurrence of every phrase in the tagged words."""
        hits = []
        for start, matched in enumerate(tags):
            for first in matched:
                for phrase in self._by_first.get(first, ()):
                    size = len(phrase)
                    if start + size <= len(tags) and all(
                        phrase[k] in tags[start + k] for k in range(1, size)
                    ):
                        hits.append((start, phrase))
        return hits


class RuleSet:
    """Rules that fire when any ``any`` phrase, or one phrase of every ``all`` group, occurs."""

    def __init__(self, rules: Sequence[PhraseRule], *, fuzzy: bool = True) -> None:
        self.rules = tuple(rules)
        phrases = [p for rule in self.rules for p in rule.any]
        phrases += [p for rule in self.rules for group in rule.all for p in group]
        self._phrases = PhraseSet(phrases, fuzzy=fuzzy)
        # Phrases are numbered once so that checking a message compares small integers.
        self._ids = {phrase: index for index, phrase in enumerate(self._phrases.phrases)}
        self._compiled = [
            (
                rule,
                {self._ids[p] for p in map(compile_phrase, rule.any) if p},
                [{self._ids[p] for p in map(compile_phrase, group) if p} for group in rule.all],
            )
            for rule in self.rules
        ]

    def fired(self, message_words: Sequence[str]) -> list[PhraseRule]:
        """Return every rule the words set off, in rule order."""
        found = self._phrases.find(self._phrases.tag(message_words))
        if not found:
            return []
        present = {self._ids[phrase] for _, phrase in found}
        return [
            rule
            for rule, any_phrases, groups in self._compiled
            if (any_phrases & present) or (groups and all(group & present for group in groups))
        ]
