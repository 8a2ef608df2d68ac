"""Turn what a patient types into comparable terms: fold, tokenise, correct, stem, map synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.core.lexicon import english_frequency, everyday_word, typed_frequency

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_WORD = re.compile(r"[a-z0-9]+")
# "puppy's" -> "puppy", but "what's", "it's", "he's" stay "whats", "its", "hes" (words the
# stop-word and context lists spell that way).
_POSSESSIVE = re.compile(
    r"\b(?!(?:what|that|it|he|she|there|here|who|where|let|how|when|why)'s\b)([a-z]+)'s\b"
)
_UNIT = re.compile(r"(\d)(mg|mcg|ml|g|kg|l|x)\b")
_ORIGINAL_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_STEMMER = snowballstemmer.stemmer("english")

# Longest word the matcher looks at; longer runs are noise (URLs, keyboard mashing).
MAX_WORD_LENGTH = 40


def fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes so spelling variants compare equal."""
    if text.isascii():  # most messages: nothing to normalise (and much faster)
        return text.translate(_APOSTROPHES).lower()
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Split folded text into plain words.

    Apostrophes are dropped ("don't" -> "dont"), a possessive or "is" loses its "'s"
    ("puppy's" -> "puppy"), and a number keeps apart from its unit ("800mg" -> "800 mg").
    """
    cache = _PHRASES
    if cache is not None and text in cache:
        return list(cache[text])
    folded = _UNIT.sub(r"\1 \2", _POSSESSIVE.sub(r"\1", fold(text)))
    found = [w for w in _WORD.findall(folded.replace("'", "")) if len(w) <= MAX_WORD_LENGTH]
    if cache is not None:
        cache[text] = tuple(found)
    return found


# While a knowledge base is indexed, the same phrases (word lists, cues, questions) are split
# thousands of times; they are remembered only then, so no patient's text is kept after.
_PHRASES: dict[str, tuple[str, ...]] | None = None


@contextmanager
def remembering_phrases() -> Iterator[None]:
    """Remember split phrases for the duration of the block (building an index).

    A block inside another (loading inside building) shares the outer memory.
    """
    global _PHRASES
    if _PHRASES is not None:
        yield
        return
    _PHRASES = {}
    try:
        yield
    finally:
        _PHRASES = None


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball (Porter2) stem of one folded word."""
    return str(_STEMMER.stemWord(word))


def normalise_phrase(text: str) -> str:
    """Fold a phrase to its words joined by single spaces (for duplicate checks)."""
    return " ".join(words(text))


def expand_abbreviations(
    text: str,
    abbreviations: Mapping[str, str],
    stopwords: frozenset[str],
    context: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> str:
    """Spell out case-sensitive abbreviations such as "AS" before folding loses the case.

    An abbreviation that is also an everyday word ("as") is only expanded when typed in
    capitals, or in lower case where the words around it show it names the disease:
    ``context`` holds the words allowed just before and just after it ("I have as").
    """
    before_words, after_words = context
    if not abbreviations:
        return text
    tokens = list(_ORIGINAL_WORD.finditer(text))
    # In an all-capitals message "AS" may just be the word "as" shouted.
    shouting = len(tokens) > 1 and not any(ch.islower() for ch in text)
    pieces: list[str] = []
    last = 0
    for index, match in enumerate(tokens):
        raw = match.group(0)
        compact = raw.replace(".", "")
        expansion = abbreviations.get(compact)
        lowered = fold(compact)
        if expansion is None or shouting:
            expansion = None
            if lowered.upper() in abbreviations:
                before = fold(tokens[index - 1].group(0)).replace("'", "") if index else ""
                after = (
                    fold(tokens[index + 1].group(0)).replace("'", "")
                    if index + 1 < len(tokens)
                    else ""
                )
                everyday = lowered in stopwords
                if not everyday or (before in before_words and (not after or after in after_words)):
                    expansion = abbreviations[lowered.upper()]
        if expansion is not None:
            pieces.append(text[last : match.start()])
            pieces.append(expansion)
            last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def respell(word: str) -> str:
    """Read a dropped final g back in ("gettin" -> "getting") when that makes a real word."""
    if len(word) >= 4 and word.endswith("in") and not english_frequency(word):
        fuller = word + "g"
        if everyday_word(fuller):
            return fuller
    return word


@dataclass(frozen=True, slots=True)
class Term:
    """One content term of a message: its stem and how common the typed word is in English."""

    stem: str
    frequency: int
    corrected: bool = False


def _max_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    if len(word) < 8:
        return 1
    if len(word) < 11:
        return 2
    return 3


class Analyzer:
    """Turns text into content terms, the same way for knowledge-base questions and queries."""

    def __init__(
        self,
        *,
        stopwords: Iterable[str],
        synonyms: Mapping[str, Iterable[str]],
        abbreviations: Mapping[str, str],
        context: tuple[Iterable[str], Iterable[str]] = ((), ()),
        stem_overrides: Mapping[str, str] | None = None,
        vocabulary: Iterable[str] = (),
        textspeak: Mapping[str, str] | None = None,
        stemmer: str = "english",
    ) -> None:
        self._stem_overrides = dict(stem_overrides or {})
        self._stemmer = snowballstemmer.stemmer(stemmer)
        self._stems: dict[str, str] = {}
        self.textspeak = {fold(k): v for k, v in (textspeak or {}).items()}
        self.stopwords = frozenset(w for s in stopwords for w in words(s))
        self.abbreviations = dict(abbreviations)
        self.context = (frozenset(context[0]), frozenset(context[1]))
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in synonyms.items():
            # A multi-word canonical term becomes one concept term, so "ankylosing
            # spondylitis", "AS" and "spondylitis" all weigh the same single term.
            canonical_stems = tuple(self.stem(w) for w in words(canonical))
            if not canonical_stems:
                continue
            target = (" ".join(canonical_stems),)
            if len(canonical_stems) > 1:
                self._phrases[canonical_stems] = target
            for variant in variants:
                key = tuple(self.stem(w) for w in words(variant))
                if key and key != target:
                    self._phrases[key] = target
        self._longest_phrase = max((len(k) for k in self._phrases), default=1)
        self._vocabulary: frozenset[str] = frozenset()
        self._vocabulary_stems: frozenset[str] = frozenset()
        self._vocabulary_list: list[str] = []
        self._corrections: dict[str, str | None] = {}
        self.set_vocabulary(vocabulary)

    def stem(self, word: str) -> str:
        """Stem one folded word, honouring the knowledge base's stem overrides."""
        found = self._stem_overrides.get(word) or self._stems.get(word)
        if found is None:
            found = str(self._stemmer.stemWord(word))
            if len(self._stems) < 65536:
                self._stems[word] = found
        return found

    def spell_out(self, text: str) -> list[str]:
        """Return the folded words of text, with text-speak read as what it stands for."""
        for symbol, meaning in self.textspeak.items():
            if not symbol.isalnum() and symbol in text:
                text = text.replace(symbol, f" {meaning} ")
        found: list[str] = []
        for word in words(text):
            if word in self.textspeak:
                found.extend(words(self.textspeak[word]))
            else:
                found.append(respell(word))
        return found

    def set_vocabulary(self, vocabulary: Iterable[str]) -> None:
        """Declare the words typos are corrected towards (the knowledge base's own words)."""
        known = {w for text in vocabulary for w in words(text)}
        # A misspelling a curator wrote on purpose ("musle spasm meaning") is not a word to
        # correct towards: it is read as the word it misspells, like a patient's typo.
        real = sorted(w for w in known if everyday_word(w))
        known -= {
            w
            for w in known
            if not english_frequency(w)
            and len(w) >= 5
            and process.extractOne(w, real, scorer=DamerauLevenshtein.distance, score_cutoff=1)
        }
        self._vocabulary = frozenset(known)
        self._vocabulary_stems = frozenset(self.stem(w) for w in known)
        self._vocabulary_list = sorted(w for w in known if len(w) >= 4 and w not in self.stopwords)
        self._corrections = {}

    def correct(self, word: str) -> str | None:
        """Return the knowledge-base word a typo most likely meant, or None to keep it."""
        if word in self._vocabulary or word in self.stopwords or word.isdigit():
            return None
        if self.stem(word) in self._vocabulary_stems:
            return None
        if word in self._corrections:
            return self._corrections[word]
        limit = _max_edits(word)
        result: str | None = None
        if limit:
            frequency = english_frequency(word)
            if frequency >= 200:
                # A common real word ("heart") is what the patient meant, not a typo of ours.
                limit = 0
            elif frequency:
                limit = 1
        if limit:
            found = process.extractOne(
                word,
                self._vocabulary_list,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=limit,
            )
            if found is not None:
                result = found[0]
        if len(self._corrections) < 50_000:
            self._corrections[word] = result
        return result

    def _typed(self, text: str, correct: bool) -> list[tuple[str, bool]]:
        """Return (word, was it corrected) for each folded word, abbreviations spelled out."""
        raw = self.spell_out(
            expand_abbreviations(text, self.abbreviations, self.stopwords, self.context)
        )
        if not correct:
            return [(word, False) for word in raw]
        typed = []
        for word in raw:
            fixed = self.correct(word)
            typed.append((fixed or word, fixed is not None))
        return typed

    def corrected_words(self, text: str, *, correct: bool = True) -> list[str]:
        """Return the message's folded words with abbreviations spelled out and typos fixed."""
        return [word for word, _ in self._typed(text, correct)]

    def analyze(self, text: str, *, correct: bool = True) -> list[Term]:
        """Return the content terms of ``text``: stems after typo correction and synonyms."""
        typed = [(word, self.stem(word), fixed) for word, fixed in self._typed(text, correct)]
        terms: list[Term] = []
        i = 0
        while i < len(typed):
            replaced = False
            for size in range(min(self._longest_phrase, len(typed) - i), 0, -1):
                key = tuple(s for _, s, _ in typed[i : i + size])
                target = self._phrases.get(key)
                if target is not None:
                    terms.extend(Term(s, 0) for s in target)
                    i += size
                    replaced = True
                    break
            if replaced:
                continue
            word, stemmed, was_fixed = typed[i]
            # Numbers and times ("3am", "2x", "20mins") say nothing about the topic;
            # codes such as "a1c" or "b12" do.
            if word not in self.stopwords and not word[:1].isdigit():
                terms.append(Term(stemmed, typed_frequency(word), was_fixed))
            i += 1
        return terms

    def stems(self, text: str, *, correct: bool = False) -> list[str]:
        """Return only the stems of :meth:`analyze` (for building indexes and checks)."""
        return [t.stem for t in self.analyze(text, correct=correct)]
