"""Read the words around an alarm mention, the way ConText does for clinical notes.

A mention is *negated* ("no chest pain"), *hypothetical* ("what if I can't breathe"),
*historical* ("a fall last year"), *habitual* ("numb every time I sit cross-legged") or
*figurative* ("heart attack level pain") when a cue of that kind reaches it. A cue reaches
forward (cues listed under ``before``) or backward (``after``) for a few words, and stops at
the end of the sentence, at a comma (unless told otherwise) and at words that start a new
thought ("but", "now"). A word the alarm phrase itself matched ("no feeling in my legs") is
never a cue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.core.models import ContextKind, CueSet, RedFlagContext
from bot.core.patterns import Span, compile_pattern
from bot.core.phrases import PhraseSet
from bot.core.text import fold

_TOKEN = re.compile(r"[a-z0-9]+|[.!?;:\n]+|,")
_DECIMAL = re.compile(r"(\d)[.,](\d)")
_POSSESSIVE = re.compile(r"([a-z])'s\b")
# A capitalised word that does not open a sentence.
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]+")
_WORDS = re.compile(r"[A-Za-z]+")
# Past this many words a message is no longer one story; the rest is not read.
MAX_WORDS = 3000


@dataclass(frozen=True, slots=True)
class Tokens:
    """A message's words, with the sentence and clause each word belongs to."""

    words: tuple[str, ...]
    sentences: tuple[int, ...]
    clauses: tuple[int, ...]
    # Positions right after a "?", "!" or line break (a full stop is often a pause only).
    breaks: frozenset[int] = frozenset()
    # Words capitalised in the middle of a sentence: names and places, never typos.
    names: frozenset[str] = frozenset()

    @property
    def starts(self) -> frozenset[int]:
        """Return the positions of the words that open a sentence."""
        return frozenset(
            i for i, s in enumerate(self.sentences) if i == 0 or self.sentences[i - 1] != s
        )


def tokenize(
    text: str, textspeak: Mapping[str, str], respell: Callable[[str], str] | None = None
) -> Tokens:
    """Split text into folded words; text-speak ("u", "rn", "😂") is read as its words."""
    for symbol, meaning in textspeak.items():
        if not symbol.isalnum() and symbol in text:
            text = text.replace(symbol, f" {meaning} ")
    # "39.5" is a number, not the end of a sentence; "back's" is "back".
    folded = _POSSESSIVE.sub(r"\1", fold(text))
    folded = _DECIMAL.sub(r"\1 \2", folded.replace("'", ""))
    found: list[str] = []
    sentences: list[int] = []
    clauses: list[int] = []
    sentence = clause = 0
    breaks: set[int] = set()
    for token in _TOKEN.findall(folded):
        if token == ",":
            clause += 1
        elif not token[0].isalnum():
            sentence += 1
            clause += 1
            if any(mark in token for mark in "?!\n"):
                breaks.add(len(found))
        else:
            spelled = textspeak.get(token) or (respell(token) if respell else token)
            for word in spelled.split():
                found.append(word)
                sentences.append(sentence)
                clauses.append(clause)
            if len(found) >= MAX_WORDS:
                break
    return Tokens(
        tuple(found), tuple(sentences), tuple(clauses), frozenset(breaks), proper_names(text)
    )


def proper_names(text: str) -> frozenset[str]:
    """Return the folded words capitalised mid-sentence ("I am Meena, from Pune").

    When most words are capitalised (Title Case, or shouting), capitals say nothing.
    """
    found = _NAME.findall(text)
    capitalised = sum(1 for w in _WORDS.findall(text) if w[:1].isupper())
    if capitalised * 2 > len(_WORDS.findall(text)):
        return frozenset()
    return frozenset(fold(w) for w in found if w not in {"I", "AS", "A&E"})


@dataclass(frozen=True, slots=True)
class _Cue:
    kind: ContextKind
    forward: bool
    cues: CueSet
    stops: int


class ContextReader:
    """Finds context cues in a message and says which words each one reaches."""

    def __init__(self, context: RedFlagContext, lists: Mapping[str, Sequence[str]]) -> None:
        self._cues: list[_Cue] = []
        patterns = []
        # Every stop phrase once, with the cue sets it stops (None: all of them).
        stop_owner: dict[str, set[int] | None] = {phrase: None for phrase in context.stop}
        for set_number, (kind, cues) in enumerate(context.cues()):
            for phrase in cues.stop:
                owners = stop_owner.setdefault(phrase, set())
                if owners is not None:
                    owners.add(set_number)
            for phrases, forward in ((cues.before, True), (cues.after, False)):
                for phrase in phrases:
                    self._cues.append(_Cue(kind, forward, cues, set_number))
                    patterns.append(compile_pattern(phrase, lists))
        self._phrases = PhraseSet(patterns, fuzzy=False)
        self._stop_sets = list(stop_owner.values())
        self._stops = self._phrase_set(list(stop_owner), lists)
        self._pseudo = self._phrase_set(context.pseudo, lists)

    @staticmethod
    def _phrase_set(phrases: list[str], lists: Mapping[str, Sequence[str]]) -> PhraseSet:
        return PhraseSet((compile_pattern(p, lists) for p in phrases), fuzzy=False)

    def scopes(
        self, tokens: Tokens, alarm_words: Collection[int], ignored: Sequence[Span]
    ) -> list[tuple[ContextKind, Span]]:
        """Return each cue's kind and the words it reaches.

        Cues made of words an alarm phrase matched (``alarm_words``), or lying in an
        everyday phrase (``ignored``) or a pseudo-cue ("no idea"), are not cues.
        """
        starts = tokens.starts
        found = self._phrases.find(self._phrases.tag(tokens.words, starts))
        if not found:
            return []
        pseudo = [span for _, span in self._pseudo.find(self._pseudo.tag(tokens.words, starts))]
        blocked = set(alarm_words)
        for span in [*ignored, *pseudo]:
            blocked.update(range(span.start, span.end))
        all_stops = self._stops.find(self._stops.tag(tokens.words, starts))
        reached = []
        for index, cue_span in found:
            if cue_span.words & blocked:
                continue
            cue = self._cues[index]
            after = tokens.words[cue_span.end] if cue_span.end < len(tokens.words) else ""
            if after and after in cue.cues.not_followed_by:
                continue
            stops = [
                span
                for i, span in all_stops
                if (owners := self._stop_sets[i]) is None or cue.stops in owners
            ]
            reached.append((cue.kind, _reach(tokens, cue, cue_span, stops)))
        return reached


def _reach(tokens: Tokens, cue: _Cue, span: Span, stops: list[Span]) -> Span:
    """Return the words a cue reaches: up to its scope, a stop word or the clause's end."""
    units = tokens.clauses if cue.cues.commas_end_scope else tokens.sentences
    if cue.forward:
        end = min(span.end + cue.cues.scope, len(tokens.words))
        for stop in stops:
            if stop.start >= span.end:
                end = min(end, stop.start)
        home = units[span.end - 1]
        position = span.end
        while position < end and units[position] == home:
            position += 1
        return Span(span.end, position)
    start = max(span.start - cue.cues.scope, 0)
    for stop in stops:
        if stop.end <= span.start:
            start = max(start, stop.end)
    home = units[span.start]
    position = span.start
    while position > start and units[position - 1] == home:
        position -= 1
    return Span(position, span.start)


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def kinds_reaching(part: Span, scopes: Sequence[tuple[ContextKind, Span]]) -> set[ContextKind]:
    """Return the kinds of context whose reach covers any word of ``part``."""
    return {kind for kind, reach in scopes if _overlap(part, reach)}
