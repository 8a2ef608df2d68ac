"""Decide what to say to one message: the single entry point shared by Telegram and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from bot.core.loader import KnowledgeBaseError, Problem, load_knowledge_base
from bot.core.matcher import Document, Match, Matcher, unknown_weight
from bot.core.models import Entry, KnowledgeBase
from bot.core.safety import RedFlag, Triage
from bot.core.scope import ScopeGuard
from bot.core.smalltalk import SmallTalk
from bot.core.text import Analyzer, words

Kind = Literal["answer", "fallback", "urgent", "smalltalk"]

# Below this score the bot says it does not know rather than risk a wrong answer.
# Chosen on tests/data/labelled.yaml with `python -m bot eval` (see README).
DEFAULT_THRESHOLD = 0.52
# Topics scoring below this are too far off to offer as "closest topics".
SUGGESTION_FLOOR = 0.2
MAX_SUGGESTIONS = 3
# Matching reads the start of a message; a wall of text is still matched on its opening.
MAX_MATCH_WORDS = 400
# A message with more content terms than this must name one of the topic words to be
# answered; shorter ones ("does yoga help") are taken to be about our topic.
FREE_TERMS = 3
# An unknown word weighing this much (a rare word such as "dandruff") marks a short message
# as being about something else.
RARE_WORD_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class Option:
    """A follow-up the user can pick: an entry id and the title to show."""

    entry_id: str
    title: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What to send back, in parts (for rich rendering) and as one plain ``text``."""

    kind: Kind
    text: str
    body: str
    entry_id: str | None = None
    score: float = 0.0
    title: str | None = None
    section: str | None = None
    disclaimer: str | None = None
    options: tuple[Option, ...] = ()
    options_label: str | None = None
    rule: str | None = field(default=None, repr=False)
    # "If you ever..." lines for alarms the message mentioned only in context.
    safety_net: tuple[str, ...] = ()
    # An urgent reply to thoughts of suicide or self-harm (the crisis lines, not A&E).
    crisis: bool = False

    @property
    def suggestions(self) -> tuple[str, ...]:
        """Return the "did you mean" entry ids of a fallback (empty for other kinds)."""
        return tuple(o.entry_id for o in self.options) if self.kind == "fallback" else ()

    @property
    def related(self) -> tuple[str, ...]:
        """Return the related entry ids offered after an answer."""
        return tuple(o.entry_id for o in self.options) if self.kind == "answer" else ()


def build_analyzer(kb: KnowledgeBase) -> Analyzer:
    """Build the text analyzer from the knowledge base's word lists."""
    analyzer = Analyzer(
        stopwords=kb.language.stopwords,
        synonyms=kb.synonyms,
        abbreviations=kb.language.abbreviations,
        context=(
            kb.language.abbreviation_context.before,
            kb.language.abbreviation_context.after,
        ),
        stem_overrides=kb.language.stem_overrides,
    )
    vocabulary: list[str] = []
    for entry in kb.entries:
        vocabulary.extend(entry.questions)
        vocabulary.append(entry.title)
    for canonical, variants in kb.synonyms.items():
        vocabulary.append(canonical)
        vocabulary.extend(variants)
    for rule in kb.out_of_scope.rules:
        # Out-of-scope words are typo targets too, so "genetc" is still caught as genetics.
        phrases = [*rule.any, *(p for group in rule.all for p in group)]
        vocabulary.extend(p for p in phrases if "*" not in p)
    analyzer.set_vocabulary(vocabulary)
    return analyzer


def documents(kb: KnowledgeBase, analyzer: Analyzer) -> list[Document]:
    """Turn entries into the term lists the matcher indexes (questions and title)."""
    return [
        Document(
            entry.id,
            tuple(tuple(analyzer.stems(text)) for text in [entry.title, *entry.questions]),
        )
        for entry in kb.entries
    ]


class Responder:
    """Answers messages from one knowledge base: triage, small talk, matching, threshold."""

    def __init__(
        self, kb: KnowledgeBase, *, threshold: float = DEFAULT_THRESHOLD, lint: bool = True
    ) -> None:
        """Index ``kb``; with ``lint`` also refuse rules that clash with the entries."""
        self.kb = kb
        self.threshold = threshold
        self.analyzer = build_analyzer(kb)
        self.matcher = Matcher(documents(kb, self.analyzer), self.analyzer)
        self.scope = ScopeGuard(kb.out_of_scope)
        self._topics = [
            frozenset(stems)
            for stems in (self.analyzer.stems(w) for w in kb.language.topic_words)
            if stems
        ]
        self.triage = Triage(kb.red_flags, kb.language.textspeak)
        self.smalltalk = SmallTalk(kb.smalltalk, self.analyzer.stopwords)
        self._entries = {entry.id: entry for entry in kb.entries}
        if lint:
            problems = self._semantic_problems()
            if problems:
                raise KnowledgeBaseError(problems)

    @classmethod
    def from_directory(
        cls, directory: Path | str | None = None, *, threshold: float = DEFAULT_THRESHOLD
    ) -> Responder:
        """Load, validate and index the knowledge base in ``directory``."""
        return cls(load_knowledge_base(directory), threshold=threshold)

    def _semantic_problems(self) -> list[Problem]:
        problems = []
        for canonical in self.kb.synonyms:
            unknown = [s for s in self.analyzer.stems(canonical) if not self.matcher.knows(s)]
            if unknown:
                problems.append(
                    Problem(
                        "synonyms.yaml",
                        "this term appears in no entry's questions, so its variants match nothing",
                        field=canonical,
                    )
                )
        for canonical, variants in self.kb.synonyms.items():
            for variant in variants:
                rule = self.scope.check(self.analyzer.corrected_words(variant, correct=False))
                if rule is not None:
                    problems.append(
                        Problem(
                            "synonyms.yaml",
                            f"variant '{variant}' sets off out-of-scope rule '{rule}'",
                            field=canonical,
                        )
                    )
        for entry in self.kb.entries:
            for index, question in enumerate(entry.questions):
                flag = self.triage.check(question)
                if flag is not None:
                    problems.append(
                        Problem(
                            "red_flags.yaml",
                            f"rule '{flag.rule}' fires on entry '{entry.id}' question "
                            f"{index + 1} ('{question}'); ordinary questions must not",
                        )
                    )
                rule = self.scope.check(self.analyzer.corrected_words(question))
                if rule is not None:
                    problems.append(
                        Problem(
                            "out_of_scope.yaml",
                            f"rule '{rule}' would refuse entry '{entry.id}' question "
                            f"{index + 1} ('{question}')",
                        )
                    )
        return problems

    def example_problems(self) -> list[Problem]:
        """Check the curated emergencies and near-misses against the red-flag rules.

        This reads every example (about a second), so ``python -m bot check`` runs it, not
        every start-up; ``make run`` runs the check before it starts the bot.
        """
        problems = []
        examples = self.kb.red_flag_examples
        for number, emergency in enumerate(examples.emergencies, start=1):
            flag = self.triage.check(emergency.text)
            wanted = "crisis" if emergency.category == "crisis" else None
            if flag is None or (wanted and flag.reply != wanted):
                what = "gets no urgent reply" if flag is None else f"gets the {flag.reply} reply"
                problems.append(
                    Problem(
                        "red_flag_examples.yaml",
                        f"{what} ('{_short(emergency.text)}')",
                        field=f"emergency #{number} [{emergency.category}]",
                    )
                )
        for number, near_miss in enumerate(examples.near_misses, start=1):
            flag = self.triage.check(near_miss.text)
            if flag is not None:
                problems.append(
                    Problem(
                        "red_flag_examples.yaml",
                        f"rule '{flag.rule}' fires on it ('{_short(near_miss.text)}')",
                        field=f"near-miss #{number} [{near_miss.kind}]",
                    )
                )
        return problems

    def entry(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        return self._entries.get(entry_id)

    def respond(self, text: str) -> Reply:
        """Return the reply to one message: urgent, small talk, an answer or a fallback."""
        if not any(ch.isalnum() for ch in text):
            return self._fallback(self.kb.messages.empty, [])
        assessment = self.triage.assess(text)
        if assessment.flag is not None:
            return self.urgent_reply(assessment.flag)
        reply = self._answer(text)
        nets = self.kb.red_flags.safety_net
        lines = tuple(nets[c].strip() for c in assessment.safety_net if c in nets)
        return self.with_safety_net(reply, lines) if lines else reply

    def urgent_reply(self, flag: RedFlag) -> Reply:
        """Return the urgent-care or crisis reply for a raised red flag (nothing else)."""
        body = getattr(self.kb.red_flags.replies, flag.reply).strip()
        return Reply(
            kind="urgent",
            text=body,
            body=body,
            score=1.0,
            rule=flag.rule,
            crisis=flag.reply == "crisis",
        )

    @staticmethod
    def with_safety_net(reply: Reply, lines: tuple[str, ...]) -> Reply:
        """Add safety-net lines to a reply, just before its closing disclaimer."""
        text = reply.text
        block = "\n\n".join(lines)
        if reply.disclaimer and text.endswith(reply.disclaimer):
            text = f"{text[: -len(reply.disclaimer)].rstrip()}\n\n{block}\n\n{reply.disclaimer}"
        else:
            text = f"{text}\n\n{block}"
        return replace(reply, text=text, safety_net=lines)

    def _answer(self, text: str) -> Reply:
        """Reply to a message that raised no red flag: small talk, an answer or a fallback."""
        intent = self.smalltalk.recognise(text)
        if intent is not None:
            return self._with_disclaimer("smalltalk", intent.reply, score=1.0, rule=intent.name)
        matches = self.match(text)
        top = matches[0].score if matches else 0.0
        close = [m for m in matches if m.score >= SUGGESTION_FLOOR][:MAX_SUGGESTIONS]
        if self.scope.check(self.analyzer.corrected_words(text)) is not None:
            return self._fallback(None, close, score=0.0)
        if matches and top >= self.threshold and self._on_topic(text):
            reply = self.entry_reply(matches[0].entry_id, score=matches[0].score)
            assert reply is not None
            return reply
        return self._fallback(None, close, score=top)

    def _on_topic(self, text: str) -> bool:
        """Return True when a message names something the article covers, or is short.

        A short message passes only if every word in it is one the knowledge base knows
        or an everyday word: "how to get rid of dandruff" is about something else.
        """
        analysed = self.analyzer.analyze(text)
        terms = {t.stem for t in analysed}
        if not self._topics or any(topic <= terms for topic in self._topics):
            return True
        if len(terms) > FREE_TERMS:
            return False
        return not any(
            not self.matcher.knows(t.stem) and unknown_weight(t.frequency) >= RARE_WORD_WEIGHT
            for t in analysed
        )

    def match(self, text: str, *, limit: int = MAX_SUGGESTIONS) -> list[Match]:
        """Rank entries for a message (no triage, no threshold)."""
        clipped = " ".join(words(text)[:MAX_MATCH_WORDS]) if len(text) > 2000 else text
        return self.matcher.match(clipped, limit=limit)

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
        if self.scope.check(self.analyzer.corrected_words(text)) is not None:
            return []
        found = [m for m in self.match(text, limit=limit) if m.score >= SUGGESTION_FLOOR]
        replies = [self.entry_reply(m.entry_id, score=m.score) for m in found]
        return [
            self.with_safety_net(r, reply.safety_net) if reply.safety_net else r
            for r in replies
            if r is not None
        ]

    def entry_reply(self, entry_id: str, *, score: float = 1.0) -> Reply | None:
        """Return the full answer for an entry (for buttons and deep links), or None."""
        entry = self._entries.get(entry_id)
        if entry is None:
            return None
        messages = self.kb.messages
        related = tuple(
            Option(r, self._entries[r].title) for r in entry.related if r in self._entries
        )
        source = f"{messages.source_label}: {entry.section}"
        parts = [entry.title, entry.answer.strip(), source, messages.disclaimer.strip()]
        return Reply(
            kind="answer",
            text="\n\n".join(parts),
            body=entry.answer.strip(),
            entry_id=entry.id,
            score=score,
            title=entry.title,
            section=entry.section,
            disclaimer=messages.disclaimer.strip(),
            options=related,
            options_label=messages.related_label,
        )

    def _with_disclaimer(self, kind: Kind, body: str, *, score: float, rule: str) -> Reply:
        disclaimer = self.kb.messages.disclaimer.strip()
        return Reply(
            kind=kind,
            text=f"{body.strip()}\n\n{disclaimer}",
            body=body.strip(),
            score=score,
            disclaimer=disclaimer,
            rule=rule,
        )

    def _fallback(self, body: str | None, close: list[Match], *, score: float = 0.0) -> Reply:
        messages = self.kb.messages
        options = tuple(Option(m.entry_id, self._entries[m.entry_id].title) for m in close)
        if body is None:
            body = messages.fallback if options else messages.fallback_no_suggestions
        body = body.strip()
        disclaimer = messages.disclaimer.strip()
        parts = [body]
        if options:
            parts.append(
                "\n".join([messages.suggestions_label, *(f"- {o.title}" for o in options)])
            )
        parts.append(disclaimer)
        return Reply(
            kind="fallback",
            text="\n\n".join(parts),
            body=body,
            score=round(score, 4),
            disclaimer=disclaimer,
            options=options,
            options_label=messages.suggestions_label if options else None,
        )


def _short(text: str, limit: int = 80) -> str:
    """Return text on one line, cut to ``limit`` characters (for problem reports)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
