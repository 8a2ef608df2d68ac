"""Decide what to say to one message: the single entry point shared by Telegram and the CLI.

``respond(text)`` analyses the message once, then runs the steps in this order, the first
reply winning (see steps.py):

    empty -> triage -> small talk -> language -> scope -> follow-up -> matching -> fallback

A mention of an alarm symptom that triage read as negated, hypothetical or past adds its
safety-net line to whatever reply wins.

``converse(text, context, now)`` does the same inside a chat: it takes what the chat
remembers (conversation.py) and returns the new context with the reply. The follow-up step
reads a short message with the last topic; triage still runs first on the message alone,
and for a while after an urgent or crisis reply every reply keeps the help line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.core.closeness import strays, warnings
from bot.core.config import Tuning
from bot.core.conversation import ChatContext
from bot.core.followup import FollowUps
from bot.core.lint import example_problems, semantic_problems
from bot.core.loader import KnowledgeBaseError, Problem, load_knowledge_base
from bot.core.matcher import Document, Match, Matcher
from bot.core.message import LanguageGuess, Message, MessageReader
from bot.core.models import Entry, KnowledgeBase
from bot.core.replies import Kind, Option, Replies, Reply
from bot.core.safety import RedFlag, Triage
from bot.core.scope import ScopeGuard
from bot.core.smalltalk import SmallTalk
from bot.core.steps import Step, Steps, Turn
from bot.core.text import Analyzer, remembering_phrases, words
from bot.core.topics import LexicalMatcher, TopicMatcher

__all__ = ["Kind", "Option", "Reply", "Responder", "build_analyzer", "documents"]

# Out-of-scope words this long or longer are typo targets ("genetc" -> genetics).
OOS_TYPO_LENGTH = 6


def build_analyzer(kb: KnowledgeBase) -> Analyzer:
    """Build the text analyzer from the knowledge base's language profile and word lists."""
    language = kb.language
    analyzer = Analyzer(
        stopwords=language.stopwords,
        synonyms=kb.synonyms,
        abbreviations=language.abbreviations,
        context=(language.abbreviation_context.before, language.abbreviation_context.after),
        stem_overrides=language.stem_overrides,
        textspeak=language.textspeak,
        stemmer=language.profile.stemmer,
    )
    vocabulary: list[str] = []
    for entry in kb.entries:
        vocabulary.extend(entry.questions)
        vocabulary.append(entry.title)
    for canonical, variants in kb.synonyms.items():
        vocabulary.append(canonical)
        vocabulary.extend(variants)
    for rule in kb.out_of_scope.rules:
        # Long out-of-scope words are typo targets too, so "genetc" is still caught as
        # genetics; short ones ("cats") would swallow patients' typos ("wats").
        phrases = [*rule.any, *(p for group in rule.all for p in group)]
        vocabulary.extend(
            w
            for p in phrases
            if "*" not in p and "{" not in p
            for w in p.split()
            if len(w) >= OOS_TYPO_LENGTH
        )
    analyzer.set_vocabulary(vocabulary)
    return analyzer


def documents(kb: KnowledgeBase, analyzer: Analyzer) -> list[Document]:
    """Turn entries into the term lists the matcher indexes (questions and title)."""
    return [
        Document(
            entry.id,
            tuple(
                tuple(analyzer.stems(text, correct=True))
                for text in [entry.title, *entry.questions]
            ),
        )
        for entry in kb.entries
    ]


class Responder:
    """Answers messages from one knowledge base through the pipeline of steps."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        tuning: Tuning | None = None,
        matcher: TopicMatcher | None = None,
        lint: bool = True,
    ) -> None:
        """Index ``kb``; ``matcher`` replaces ours (for benchmarks); ``lint`` checks the rules."""
        with remembering_phrases():
            self.kb = kb
            self.tuning = tuning or Tuning()
            self.analyzer = build_analyzer(kb)
            language = kb.language
            self.reader = MessageReader(
                self.analyzer,
                LanguageGuess.of(
                    language.profile.code, language.stopwords, language.other_languages
                ),
                language.profile.question_openers,
                max_text=self.tuning.max_text,
                max_sentences=self.tuning.max_sentences,
                pronouns=("that", "this"),
                dictation=language.profile.dictation,
            )
            self.index = Matcher(documents(kb, self.analyzer), self.tuning)
            topics = [
                frozenset(stems)
                for stems in (self.analyzer.stems(w) for w in language.topic_words)
                if stems
            ]
            self.lexical = LexicalMatcher(self.index, self.tuning, topics)
            # What names a topic: the topic words; and what names a subject a follow-up could
            # be about: those and each entry's subject word by word ("medicines", "water").
            stop = set(self.analyzer.stopwords)
            subjects = [
                w for e in kb.entries if e.subject for w in words(e.subject) if w not in stop
            ]
            self._topic_words = self._stem_sets(language.topic_words)
            self._subject_words = self._topic_words + self._stem_sets(subjects)
            self.matcher: TopicMatcher = matcher or self.lexical
            self.triage = Triage(kb.red_flags, language.textspeak)
            self.scope = ScopeGuard(kb.out_of_scope)
            self.replies = Replies(kb)
            steps = Steps(
                kb,
                self.replies,
                triage=self.triage,
                smalltalk=SmallTalk(
                    kb.smalltalk,
                    self.analyzer.stopwords,
                    # A word the index knows, itself or through a synonym ("cramps" -> spasm).
                    lambda word: any(self.index.knows(s) for s in self.analyzer.stems(word)),
                    frozenset(language.profile.question_words),
                ),
                scope=self.scope,
                matcher=self.matcher,
                follow_ups=FollowUps(language.follow_up, max_words=self.tuning.follow_up_words),
                read=self.reader.read,
                on_topic=self.lexical.on_topic,
                names_topic=lambda message: self.names_topic(message, concepts=False),
                names_subject=lambda message: self.names_topic(message, subjects=True),
                tuning=self.tuning,
            )
            self.steps: tuple[Step, ...] = (
                steps.empty,
                steps.triage,
                steps.small_talk,
                steps.language,
                steps.scope,
                steps.pointing,
                steps.follow_up,
                steps.matching,
                steps.fallback,
            )
            if lint:
                problems = semantic_problems(kb, self.analyzer, self.index, self.triage, self.scope)
                if problems:
                    raise KnowledgeBaseError(problems)

    @classmethod
    def from_directory(
        cls, directory: Path | str | None = None, *, tuning: Tuning | None = None
    ) -> Responder:
        """Load, validate and index the knowledge base in ``directory``."""
        with remembering_phrases():
            return cls(load_knowledge_base(directory), tuning=tuning)

    @property
    def threshold(self) -> float:
        """Return the score below which the bot says it does not know."""
        return self.tuning.threshold

    def closeness_warnings(self) -> list[str]:
        """Return the curator's warnings about overlapping entries (see closeness.py)."""
        found = strays(
            self.kb,
            documents(self.kb, self.analyzer),
            self.reader,
            self.tuning,
            self.lexical.topics,
        )
        return warnings(self.kb, found)

    def example_problems(self) -> list[Problem]:
        """Replay the curated red-flag examples (about a second: `check` runs it, not start-up)."""
        return example_problems(self.kb, self.triage)

    def _stem_sets(self, phrases: list[str]) -> list[frozenset[str]]:
        return [
            frozenset(self.analyzer.stem(w) for w in words(phrase))
            for phrase in phrases
            if words(phrase)
        ]

    def names_topic(
        self, message: Message, *, subjects: bool = False, concepts: bool = True
    ) -> bool:
        """Return True when the message names a topic word (spasm, AS, yoga...).

        Read on the words as typed (typos fixed). With ``subjects``, an entry's subject word
        counts too ("medicines", "water"); with ``concepts``, so does a synonym that stands
        for a topic word ("physio" for the pain specialist).
        """
        stems = {self.analyzer.stem(w) for w in message.corrected}
        found = self._subject_words if subjects else self._topic_words
        if any(topic <= stems for topic in found):
            return True
        return concepts and self.lexical.names_topic(message)

    def read(self, text: str) -> Message:
        """Analyse one message (what every step reads)."""
        return self.reader.read(text)

    def respond(self, text: str) -> Reply:
        """Return the reply to one message: urgent, small talk, an answer or a fallback."""
        return self._reply(text, Turn())

    def converse(self, text: str, context: ChatContext, now: float) -> tuple[Reply, ChatContext]:
        """Return the reply to a message in a chat, and what the chat remembers after it.

        ``now`` is a clock reading in seconds (monotonic in the adapter, made up in tests).
        """
        context = context.fresh(now, self.tuning.context_ttl)
        reply = self._reply(text, Turn(context=context))
        if context.careful(now):
            reply = self.replies.careful(reply, crisis=context.crisis)
        return reply, context.after(reply, now, self.tuning.careful_for)

    def open(
        self, entry_id: str, context: ChatContext, now: float
    ) -> tuple[Reply | None, ChatContext]:
        """Return an entry opened with a button or a link inside a chat, and the new context.

        In the careful period after an urgent reply the entry keeps the help line too.
        """
        context = context.fresh(now, self.tuning.context_ttl)
        reply = self.entry_reply(entry_id)
        if reply is None:
            return None, context
        if context.careful(now):
            reply = self.replies.careful(reply, crisis=context.crisis)
        return reply, context.opened(entry_id, now)

    def _reply(self, text: str, turn: Turn) -> Reply:
        message = self.reader.read(text)
        reply: Reply | None = None
        for step in self.steps:
            reply = step(message, turn)
            if reply is not None:
                break
        assert reply is not None, "the fallback step always replies"
        return self.replies.with_safety_net(reply, self._safety_net(turn))

    def _safety_net(self, turn: Turn) -> tuple[str, ...]:
        lines = self.kb.red_flags.safety_net
        return tuple(lines[c].strip() for c in turn.assessment.safety_net if c in lines)

    def match(self, text: str, *, limit: int = 3) -> list[Match]:
        """Rank entries for a message (no triage, no threshold): for benchmarks and tests."""
        return self.lexical.rank(self.reader.read(text), limit=limit)

    def search(self, text: str, *, limit: int = 10) -> list[Reply]:
        """Return replies to offer for an inline query, best first.

        An emergency gets only its urgent or crisis reply; a question the article does not
        cover gets nothing (never a topic that would look like an answer); otherwise the
        matching entries, with any safety-net line the query earns.
        """
        if not text.strip():
            return []
        reply = self.respond(text)
        if reply.kind == "urgent":
            return [reply]
        if reply.reason is not None and reply.reason != "clarify":
            return []
        floor = self.tuning.suggestion_floor
        found = [m for m in self.match(text, limit=limit) if m.score >= floor]
        replies = [self.replies.answer(m.entry_id, score=m.score) for m in found]
        return [self.replies.with_safety_net(r, reply.safety_net) for r in replies if r is not None]

    def entry(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        return self.replies.entries.get(entry_id)

    def entry_reply(self, entry_id: str, *, score: float = 1.0) -> Reply | None:
        """Return the full answer for an entry (for buttons and deep links), or None."""
        return self.replies.answer(entry_id, score=score)

    def urgent_reply(self, flag: RedFlag) -> Reply:
        """Return the urgent-care or crisis reply for a raised red flag."""
        return self.replies.urgent(flag)

    def with_threshold(self, threshold: float) -> Responder:
        """Return a responder over the same knowledge base with another threshold."""
        return Responder(self.kb, tuning=replace(self.tuning, threshold=threshold), lint=False)
