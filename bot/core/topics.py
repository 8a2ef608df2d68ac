"""Which topic a message is about: the matcher seam and the knowledge base's own matcher.

Any object with ``match(message, *, limit) -> list[Match]`` can answer for the responder
(an embedding matcher, a baseline): it ranks entries best first and marks the first one
``confident`` when it is sure enough to answer. Threshold and on-topic logic live here, not
in the responder.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from bot.core.config import Tuning
from bot.core.matcher import Match, Matcher, unknown_weight
from bot.core.message import Message


class TopicMatcher(Protocol):
    """Ranks knowledge-base entries for an analysed message."""

    def match(self, message: Message, *, limit: int = 3) -> list[Match]:
        """Return up to ``limit`` entries, best first; the first is ``confident`` if sure."""
        ...


class LexicalMatcher:
    """Our matcher: weighted terms and the closest example question, question sentences first."""

    def __init__(self, index: Matcher, tuning: Tuning, topics: list[frozenset[str]]) -> None:
        self.index = index
        self.tuning = tuning
        self.topics = topics

    def match(self, message: Message, *, limit: int = 3) -> list[Match]:
        """Rank entries; the best is confident above the threshold on an on-topic message."""
        ranked = self.rank(message, limit=limit)
        if ranked and ranked[0].score >= self.tuning.threshold and self.on_topic(message):
            ranked[0] = replace(ranked[0], confident=True)
        return ranked

    def rank(self, message: Message, *, limit: int = 3) -> list[Match]:
        """Rank entries by the whole message, or by a question in it when that scores higher.

        In a message of several sentences each question sentence (or, when none asks, the
        last one) is scored half on its own and half with the whole message: the question
        leads, but a topic named only in the story ("my chiropractor...") still counts.
        """
        whole = self.index.match_terms(message.terms, limit=max(limit, self.tuning.whole_pool))
        if not message.question_terms:
            return whole[:limit]
        overall = {m.entry_id: m for m in whole}
        best = dict(overall)
        long = len(message.words) > self.tuning.long_message
        weight = self.tuning.long_question_weight if long else self.tuning.question_weight
        for terms in message.question_terms:
            for m in self.index.match_terms(terms, limit=limit):
                base = (
                    overall[m.entry_id].score
                    if m.entry_id in overall
                    else self.index.score_entry(message.terms, m.entry_id)
                )
                blended = replace(m, score=round(weight * m.score + (1 - weight) * base, 4))
                if m.entry_id not in best or blended.score > best[m.entry_id].score:
                    best[m.entry_id] = blended
        ranked = sorted(best.values(), key=lambda m: (-m.score, -m.similarity, m.entry_id))
        return ranked[:limit]

    def names_topic(self, message: Message) -> bool:
        """Return True when the message uses one of the topic words (spasm, AS, yoga...)."""
        terms = {t.stem for t in message.terms}
        return any(topic <= terms for topic in self.topics)

    def on_topic(self, message: Message) -> bool:
        """Return True when a message names something the article covers, or is short.

        A short message passes only if every word in it is one the knowledge base knows
        or an everyday word: "how to get rid of dandruff" is about something else.
        """
        terms = {t.stem for t in message.terms}
        if not self.topics or self.names_topic(message):
            return True
        if len(terms) > self.tuning.free_terms:
            return False
        return not any(
            not self.index.knows(t.stem)
            and unknown_weight(t.frequency) >= self.tuning.rare_word_weight
            for t in message.terms
        )
