"""How common an English word is, from pyspellchecker's bundled word-frequency list.

The matcher uses it twice: a common real word ("heart") is never "corrected" into one of the
knowledge base's words ("heat"), and an unknown common word ("really") counts for less than
an unknown rare one ("biologics") when judging whether a question is in scope.
"""

from __future__ import annotations

from functools import lru_cache

from spellchecker import SpellChecker


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    checker = SpellChecker(language="en", distance=1)
    return dict(checker.word_frequency.dictionary)


def english_frequency(word: str) -> int:
    """Return the corpus count of a folded English word, 0 if it is not a known word."""
    return _frequencies().get(word, 0)


def preload() -> None:
    """Load the word list now (start-up) rather than on the first question."""
    _frequencies()
