"""Rules made of patterns: any one phrase, or one phrase of every group close together."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.models import PhraseRule
from bot.core.patterns import Choice, Pattern, Span, compile_pattern
from bot.core.phrases import PhraseSet

# The most word combinations an `all` rule looks at in one message.
MAX_COMBINATIONS = 64
# How close an `unless` phrase must be to a rule's words to cancel it.
UNLESS_REACH = 8


@dataclass(frozen=True, slots=True)
class RuleHit:
    """Where a rule fired: one span for an `any` phrase, one span per group for `all`."""

    rule: PhraseRule
    parts: tuple[Span, ...]

    @property
    def span(self) -> Span:
        """Return the stretch of words from the first part to the last."""
        return Span(min(p.start for p in self.parts), max(p.end for p in self.parts))

    @property
    def words(self) -> frozenset[int]:
        """Return the message words the rule's phrases matched (gaps left out)."""
        return frozenset().union(*(p.words for p in self.parts))


class RuleSet:
    """Rules that fire on any one ``any`` phrase, or on one phrase of every ``all`` group.

    With a ``window``, the phrases of an ``all`` rule must lie within that many words of
    each other (a rule's own ``within`` overrides it); without one, anywhere in the message.
    """

    def __init__(
        self,
        rules: Sequence[PhraseRule],
        *,
        lists: Mapping[str, Sequence[str]] | None = None,
        fuzzy: bool = True,
        everyday: Callable[[str], bool] | None = None,
        frequency: Callable[[str], int] | None = None,
        window: int | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self.window = window
        patterns: list[Pattern] = []
        ids: dict[str, int] = {}
        shared: dict[str, Choice] = {}

        def number(phrase: str) -> int:
            if phrase not in ids:
                ids[phrase] = len(patterns)
                patterns.append(compile_pattern(phrase, lists, shared=shared))
            return ids[phrase]

        self._compiled = [
            (
                rule,
                frozenset(number(p) for p in rule.any),
                [frozenset(number(p) for p in group) for group in rule.all],
                frozenset(number(p) for p in rule.unless),
            )
            for rule in self.rules
        ]
        self._phrases = PhraseSet(patterns, fuzzy=fuzzy, everyday=everyday, frequency=frequency)

    def hits(
        self,
        message_words: Sequence[str],
        starts: frozenset[int] = frozenset({0}),
        breaks: frozenset[int] = frozenset(),
        names: frozenset[str] = frozenset(),
        sentences: Sequence[int] = (),
    ) -> list[RuleHit]:
        """Return every way each rule fires in the words, in rule order.

        ``sentences`` gives each word's sentence number, for rules whose parts must share one.
        """
        tagged = self._phrases.tag(message_words, starts, breaks, names)
        viable = self._phrases.viable(tagged)
        needed: set[int] = set()
        for _rule, any_phrases, groups, unless in self._compiled:
            possible = bool(any_phrases & viable)
            needed |= any_phrases & viable
            if groups and all(group & viable for group in groups):
                possible = True
                for group in groups:
                    needed |= group & viable
            if possible:
                needed |= unless & viable
        found = self._phrases.find(tagged, needed)
        if not found:
            return []
        spans: dict[int, list[Span]] = {}
        for index, span in found:
            spans.setdefault(index, []).append(span)
        hits: list[RuleHit] = []
        for rule, any_phrases, groups, unless in self._compiled:
            found_here: list[RuleHit] = []
            for index in sorted(any_phrases & spans.keys()):
                found_here.extend(RuleHit(rule, (span,)) for span in spans[index])
            if groups and all(group & spans.keys() for group in groups):
                found_here.extend(self._combinations(rule, groups, spans, sentences))
            cancels = [s for i in unless & spans.keys() for s in spans[i]]
            hits.extend(hit for hit in found_here if not _cancelled(hit, cancels))
        return hits

    def _combinations(
        self,
        rule: PhraseRule,
        groups: list[frozenset[int]],
        spans: dict[int, list[Span]],
        sentences: Sequence[int] = (),
    ) -> list[RuleHit]:
        window = rule.within if rule.within is not None else self.window
        choices = [
            sorted({s for i in group if i in spans for s in spans[i]}, key=_key) for group in groups
        ]
        found = []
        for parts in itertools.islice(itertools.product(*choices), MAX_COMBINATIONS * 8):
            if any(a.words & b.words for a, b in itertools.combinations(parts, 2)):
                continue  # one word cannot stand for two groups
            if rule.sentence and sentences and len({sentences[p.start] for p in parts}) > 1:
                continue
            hit = RuleHit(rule, parts)
            if window is None or hit.span.end - hit.span.start <= window:
                found.append(hit)
                if len(found) >= MAX_COMBINATIONS:
                    break
        return found

    def fired(self, message_words: Sequence[str]) -> list[PhraseRule]:
        """Return every rule the words set off, in rule order, each once."""
        seen: list[PhraseRule] = []
        for hit in self.hits(message_words):
            if not any(hit.rule is rule for rule in seen):
                seen.append(hit.rule)
        return seen


def _cancelled(hit: RuleHit, cancels: list[Span]) -> bool:
    near = hit.span
    return any(
        c.start < near.end + UNLESS_REACH and near.start - UNLESS_REACH < c.end for c in cancels
    )


def _key(span: Span) -> tuple[int, int]:
    return (span.start, span.end)
