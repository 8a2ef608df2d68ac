"""One patient message, analysed once: sentences, questions, words, terms and language.

Every step of the pipeline reads the same ``Message``; none of them splits or folds the text
again. A wall of text is cut at a word boundary before anything else (Telegram's own
limit), keeping its capitals ("AS") and its punctuation (the questions).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.text import Analyzer, Term, fold, words

# An emoji ends a sentence as a full stop would: "so tired of cramps 😭 would meds help".
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff"
_SENTENCE = re.compile(rf"[^.!?\n{_EMOJI}]+[.!?\n{_EMOJI}\ufe0f\u200d\s]*")
# Clauses: "ok but does water help" asks in its second one.
# A question this short that says "that" or "this" is about the sentence before it.
POINTING_WORDS = 8
_CLAUSE = re.compile(rf"[.!?\n,;:{_EMOJI}]+|\b(?:but|so|and)\b")
# A run of letters from a script other than Latin (Greek, Cyrillic, Arabic, Devanagari, CJK...).
_LATIN = re.compile(r"[a-z]")


def clip(text: str, limit: int) -> str:
    """Cut text to at most ``limit`` characters at a word boundary, keeping it as typed."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


@dataclass(frozen=True, slots=True)
class Message:
    """What a patient typed and what the bot read in it."""

    text: str
    sentences: tuple[str, ...]
    questions: tuple[str, ...]
    words: tuple[str, ...]
    corrected: tuple[str, ...]
    terms: tuple[Term, ...]
    question_terms: tuple[tuple[Term, ...], ...]
    language: str
    # The message asks something: a "?", or a sentence or clause that opens like a question.
    asks: bool = False
    # The corrected words of what the message asks (its question sentences, or all of it).
    asked: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Return True when the message holds no letter or digit at all."""
        return not any(ch.isalnum() for ch in self.text)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """Tells English from the other common languages by their everyday words."""

    code: str
    own: frozenset[str]
    others: Mapping[str, frozenset[str]]

    @classmethod
    def of(
        cls, code: str, own: Iterable[str], others: Mapping[str, Iterable[str]]
    ) -> LanguageGuess:
        """Build the guesser from word lists (folded here, as messages are)."""
        return cls(
            code,
            frozenset(w for phrase in own for w in words(phrase)),
            {k: frozenset(w for phrase in v for w in words(phrase)) for k, v in others.items()},
        )

    def guess(self, text: str, message_words: tuple[str, ...]) -> str:
        """Return the language code of a message, or ``"other"`` for a non-Latin script."""
        letters = [ch for ch in unicodedata.normalize("NFKC", text) if ch.isalpha()]
        if letters:
            latin = sum(1 for ch in letters if _LATIN.match(fold(ch)))
            if latin < len(letters) / 2:
                return "other"
        if len(message_words) < 2:
            return self.code
        own = sum(1 for w in message_words if w in self.own)
        best, count = self.code, own
        for code, vocabulary in self.others.items():
            found = sum(1 for w in message_words if w in vocabulary and w not in self.own)
            if found > count:
                best, count = code, found
        return best if count >= 2 or best == self.code else self.code


class MessageReader:
    """Analyses messages with the knowledge base's language profile."""

    def __init__(
        self,
        analyzer: Analyzer,
        language: LanguageGuess,
        question_openers: Iterable[str],
        *,
        max_text: int,
        max_sentences: int,
        pronouns: Iterable[str] = (),
        dictation: Mapping[str, str] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self._dictation = dict(dictation or {})
        spoken = "|".join(re.escape(s) for s in sorted(self._dictation, key=len, reverse=True))
        self._spoken = re.compile(rf"\s*\b({spoken})\b", re.IGNORECASE) if spoken else None
        self.language = language
        self._openers = frozenset(w for phrase in question_openers for w in words(phrase))
        self._pronouns = frozenset(w for phrase in pronouns for w in words(phrase))
        self._max_text = max_text
        self._max_sentences = max_sentences

    def read(self, text: str) -> Message:
        """Return the analysed message."""
        text = clip(text, self._max_text)
        if self._spoken is not None:
            text = self._spoken.sub(lambda m: self._dictation[m.group(1).lower()], text)
        sentences = tuple(s.strip() for s in _SENTENCE.findall(text) if s.strip())
        questions = tuple(s for s in sentences if self._asks(s))[: self._max_sentences]
        corrected = self.analyzer.corrected_words(text)
        asked = (
            tuple(w for q in self._asking(sentences) for w in self.analyzer.corrected_words(q))
            if questions and len(sentences) > 1
            else tuple(corrected)
        )
        terms = tuple(self.analyzer.analyze(text))
        question_terms = (
            tuple(tuple(self.analyzer.analyze(s)) for s in questions) if len(sentences) > 1 else ()
        )
        folded = tuple(words(text))
        return Message(
            text=text,
            sentences=sentences,
            questions=questions,
            words=tuple(self.analyzer.spell_out(text)),
            corrected=tuple(corrected),
            terms=terms,
            question_terms=question_terms,
            language=self.language.guess(text, folded),
            asks="?" in text or any(self._asks(c) for c in _CLAUSE.split(text)),
            asked=asked,
        )

    def _asking(self, sentences: tuple[str, ...]) -> list[str]:
        """Return the sentences that ask, each with the one before when it points back to it.

        "I smoke ten a day. Is that making my AS worse?" asks about smoking.
        """
        found: list[str] = []
        for index, sentence in enumerate(sentences[: self._max_sentences]):
            if not self._asks(sentence):
                continue
            previous = sentences[index - 1] if index else None
            said = words(sentence)
            points_back = len(said) <= POINTING_WORDS and self._pronouns & set(said)
            if previous and previous not in found and points_back:
                found.append(previous)
            found.append(sentence)
        return found

    def _asks(self, sentence: str) -> bool:
        """Return True for a sentence that asks something ("?" or a question opener)."""
        if sentence.rstrip().endswith("?"):
            return True
        first = self.analyzer.spell_out(sentence)[:1]
        return bool(first) and first[0] in self._openers
