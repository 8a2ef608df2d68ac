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


# A word seen this often in English is an everyday word: typo tolerance leaves it alone
# ("cooking" is never "choking", "tried" never "cried", "heart" never "heat").
EVERYDAY = 100


def english_frequency(word: str) -> int:
    """Return the corpus count of a folded English word, 0 if it is not a known word."""
    return _frequencies().get(word, 0)


def everyday_word(word: str) -> bool:
    """Return True for common English words, which typo tolerance must leave alone."""
    return english_frequency(word) >= EVERYDAY


def preload() -> None:
    """Load the word list now (start-up) rather than on the first question."""
    _frequencies()


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=50_000)
def typed_frequency(word: str) -> int:
    """Return how common a word is, reading an unknown one as the likeliest word it mistypes.

    "writen" is as everyday as "written": a typo of a common word must not weigh like a rare
    one ("dandruff"), which would mark the message as being about something else.
    """
    frequency = english_frequency(word)
    if frequency or len(word) < 4 or not word.isalpha():
        return frequency
    known = _frequencies()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    edits |= {a + c + b for a, b in splits for c in _LETTERS}
    return max((known.get(edit, 0) for edit in edits), default=0)
