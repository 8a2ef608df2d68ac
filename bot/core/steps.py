"""The steps of a reply. Each reads the analysed message and either answers or passes.

A step is a plain callable ``(message, turn) -> Reply | None``; the responder runs them in
order and the first reply wins. ``Turn`` carries what one step learns for the next (what
triage saw, the closest topics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.config import Tuning
from bot.core.conversation import ChatContext
from bot.core.followup import Cue, FollowUps, expand
from bot.core.matcher import Match
from bot.core.message import Message
from bot.core.models import KnowledgeBase
from bot.core.replies import Replies, Reply
from bot.core.safety import Assessment, Triage
from bot.core.scope import ScopeGuard
from bot.core.smalltalk import SmallTalk
from bot.core.topics import TopicMatcher


@dataclass(slots=True)
class Turn:
    """What the steps of one reply share."""

    assessment: Assessment = field(default_factory=Assessment)
    matches: list[Match] = field(default_factory=list)
    # What the chat remembers from before this message (empty for a single question).
    context: ChatContext = field(default_factory=ChatContext)
    # Read once per message by whichever step needs them first (see Steps._cue, _plain).
    cue: Cue | None = None
    cue_read: bool = False
    plain: list[Match] | None = None


# Replies after which a short message may lean on the last topic ("and heat?").
FOLLOWS = ("answer", "smalltalk")

Step = Callable[[Message, Turn], Reply | None]


class Steps:
    """The steps, sharing the knowledge base's components."""

    def __init__(
        self,
        kb: KnowledgeBase,
        replies: Replies,
        *,
        triage: Triage,
        smalltalk: SmallTalk,
        scope: ScopeGuard,
        matcher: TopicMatcher,
        follow_ups: FollowUps,
        read: Callable[[str], Message],
        on_topic: Callable[[Message], bool],
        names_topic: Callable[[Message], bool],
        names_subject: Callable[[Message], bool],
        tuning: Tuning,
    ) -> None:
        self.kb = kb
        self._follow_ups = follow_ups
        self._read = read
        self._on_topic = on_topic
        self._names_topic = names_topic
        self._names_subject = names_subject
        self.replies = replies
        self._triage = triage
        self._smalltalk = smalltalk
        self._scope = scope
        self._matcher = matcher
        self._tuning = tuning

    def empty(self, message: Message, turn: Turn) -> Reply | None:
        """Ask for a question in words when the message has none (emoji, punctuation)."""
        return self.replies.fallback(self.kb.messages.empty) if message.empty else None

    def triage(self, message: Message, turn: Turn) -> Reply | None:
        """Send an emergency to urgent care before and instead of anything else."""
        turn.assessment = self._triage.assess(message.text)
        flag = turn.assessment.flag
        return self.replies.urgent(flag) if flag is not None else None

    def small_talk(self, message: Message, turn: Turn) -> Reply | None:
        """Greet, thank, say goodbye, or answer a feeling warmly, with the topic menu."""
        found = self._smalltalk.recognise_with_strays(message.words, asks=message.asks)
        if found is None:
            return None
        intent, strays = found
        topical = self._names_topic(message)
        if message.asks and topical:
            return None  # "newly diagnosed, what actually is AS": a question about a topic
        reported = not message.asks and self._smalltalk.reports(intent, message.words)
        if strays and intent.closes and topical and not reported:
            return None  # "thanks, my calves still cramp at night" is about a topic
        if strays and intent.alone and self._scope.rule(message.corrected) is not None:
            return None  # "translate good morning into Japanese" is not a greeting
        if not intent.alone and self._scope.rule((), message.corrected) is not None:
            return None  # "I'm so worried about my cat" is not about the patient's feelings
        return self.replies.small_talk(
            intent.reply, rule=intent.name, show_topics=intent.show_topics
        )

    def language(self, message: Message, turn: Turn) -> Reply | None:
        """Say honestly that only one language is read for now, and offer the topics."""
        if message.language == self.kb.language.profile.code:
            return None
        return self.replies.fallback(
            self.kb.messages.other_language, reason="other-language", show_topics=True
        )

    def scope(self, message: Message, turn: Turn) -> Reply | None:
        """Decline what the article does not cover, saying why (a dose, a pet, a provider).

        "Explain that again, brain fog today" after an answer asks for that answer, not
        about brain fog: a request to hear the last answer again is left to the follow-up.
        """
        if self._leans_on(turn) is not None and self._is_again(message, turn):
            return None
        rule = self._scope.rule(message.asked, message.corrected)
        if rule is None:
            return None
        reason = self.kb.out_of_scope.reasons.get(rule.reason)
        topics = reason.topics if reason else self._close(message, turn)
        body = reason.reply if reason else None
        return self.replies.fallback(body, topics, reason=rule.reason)

    def pointing(self, message: Message, turn: Turn) -> Reply | None:
        """Answer "the second one" or "the stretches you mentioned" from the recent answers.

        A list line is read in the latest answer that lists that many; a named thing is
        looked for among what the recent answers list or link to, and must stand out.
        """
        # "What was the second one?" may come after an honest "I don't know" too.
        recent = turn.context.topics if turn.context.kind in (*FOLLOWS, "fallback") else ()
        entries = self.replies.entries
        recent = tuple(t for t in recent if t in entries)
        if not recent:
            return None
        index = self._follow_ups.item(message.words)
        if index is not None:
            plain = self._plain(message, turn)
            named = plain and plain[0].confident and plain[0].entry_id not in recent
            if named and self._names_subject(message):
                return None  # "first thing in the morning my calves cramp": a new question
            # The latest list, unless the last answer has its own lines and is not one of
            # that list's parts ("the last one" after opening the list's second line).
            hub = next((entries[t] for t in recent if len(entries[t].parts) > max(index, 0)), None)
            last = entries[recent[0]]
            if (
                "\n- " in last.answer
                and not last.parts
                and (hub is None or last.id not in hub.parts)
            ):
                return self.replies.again(last.id)  # its lines are all in this answer
            return self.replies.answer(hub.parts[index]) if hub is not None else None
        if not self._follow_ups.points(message.words):
            return None
        said = {p for t in recent for p in (t, *entries[t].parts, *entries[t].related)}
        plain = self._plain(message, turn)
        if plain and plain[0].confident and plain[0].entry_id not in said:
            return self._best(plain)  # "the stretches you mentioned": named, not the last
        ranked = [m for m in self._matcher.match(message, limit=len(entries)) if m.entry_id in said]
        if not ranked or ranked[0].score < self._tuning.pointer_floor:
            return None
        if len(ranked) > 1 and ranked[0].score - ranked[1].score < self._tuning.clarify_margin:
            return None
        if ranked[0].entry_id == recent[0]:
            return self.replies.again(recent[0])
        return self.replies.answer(ranked[0].entry_id, score=ranked[0].score)

    def follow_up(self, message: Message, turn: Turn) -> Reply | None:
        """Read a short follow-up together with the topic answered just before.

        "tell me more" gets that answer again; "what else?" its wider topic; a pronoun
        ("is it safe?") or an elliptic question ("what about at night?") is read with the
        topic's subject put in. A message that names another topic on its own still gets
        that topic, and a follow-up that fits nothing offers the last topic back.
        """
        topic = self._leans_on(turn)
        if topic is None or topic not in self.replies.entries:
            return None
        cue = self._cue(message, turn)
        if cue is None:
            return None
        entry = self.replies.entries[topic]
        limit = self._tuning.max_suggestions
        plain = self._plain(message, turn)
        named = self._named(plain, topic)
        if cue.kind == "again":
            if not cue.partial:
                return self.replies.again(topic)
            if named and self._names_subject(message):
                return None  # "tell me more about heat": a topic of its own
            # "Tell me more about what I can do when it hits": the rest may be a new question.
            expanded = self._expanded(message, Cue("elliptic"), entry.subject or entry.title)
            moved = expanded and expanded[0].confident and expanded[0].entry_id != topic
            if moved and self._on_topic(message):
                turn.matches = expanded
                return self._best(expanded)
            return self.replies.again(topic)
        if cue.kind == "other":
            broader = entry.broader or topic
            if (
                named
                and named.entry_id != broader
                and not self._follow_ups.rules_out(message.words)
            ):
                return None  # "and heat, what else?" names heat; "no heat pad, what else?" does not
            if broader == topic:
                return self.replies.again(topic)
            return self.replies.answer(broader, score=plain[0].score if plain else 0.0)
        expanded = self._expanded(message, cue, entry.subject or entry.title)
        resolved = expanded and expanded[0].confident and self._on_topic(message)
        # A pronoun leans on the last topic unless the message's own topic is clearly stronger.
        lean = self._tuning.pronoun_margin if cue.kind == "pronoun" else 0.0
        if named and not (resolved and expanded[0].score + lean > named.score):
            return None  # the message names another topic on its own: "and heat?"
        if resolved:
            turn.matches = expanded
            return self._best(expanded)
        if plain and plain[0].confident:
            return None
        turn.matches = plain
        close = [topic, *(t for t in self._close(message, turn) if t != topic)]
        return self.replies.fallback(
            self.kb.messages.follow_up_unclear,
            close[:limit],
            score=plain[0].score if plain else 0.0,
            reason="follow-up",
        )

    def _named(self, matches: list[Match], topic: str) -> Match | None:
        """Return the match of a message that clearly names a topic other than ``topic``."""
        if not matches or not matches[0].confident or matches[0].entry_id == topic:
            return None
        if len(matches) > 1 and matches[0].score - matches[1].score < self._tuning.clarify_margin:
            return None
        return matches[0]

    @staticmethod
    def _leans_on(turn: Turn) -> str | None:
        """Return the topic a short message may lean on: the last one, after an answer."""
        context = turn.context
        return context.topic if context.kind in FOLLOWS else None

    def _cue(self, message: Message, turn: Turn) -> Cue | None:
        """Return the message's follow-up cue (read once per message)."""
        if not turn.cue_read:
            turn.cue, turn.cue_read = self._follow_ups.cue(message.words), True
        return turn.cue

    def _is_again(self, message: Message, turn: Turn) -> bool:
        cue = self._cue(message, turn)
        return cue is not None and cue.kind == "again"

    def _plain(self, message: Message, turn: Turn) -> list[Match]:
        """Return the matcher's ranking of the message on its own (matched once)."""
        if turn.plain is None:
            turn.plain = self._matcher.match(message, limit=self._tuning.max_suggestions)
        return turn.plain

    def _expanded(self, message: Message, cue: Cue, subject: str) -> list[Match]:
        text = expand(message.words, cue, subject)
        return self._matcher.match(self._read(text), limit=self._tuning.max_suggestions)

    def matching(self, message: Message, turn: Turn) -> Reply | None:
        """Answer from the best topic when the matcher is sure, or ask between two close ones."""
        turn.matches = self._plain(message, turn)
        if not turn.matches or not turn.matches[0].confident:
            return None
        if self._leans_on_nothing(message, turn):
            return None
        return self._best(turn.matches)

    def _leans_on_nothing(self, message: Message, turn: Turn) -> bool:
        """Return True for "how long does it take?" with no topic named and none before it.

        Such a message could be about anything; answering it would be a guess.
        """
        if self._leans_on(turn) is not None:
            return False
        cue = self._cue(message, turn)
        if cue is None or cue.kind == "other" or self._names_subject(message):
            return False
        # "What about ice?", "can they make you weaker?" say what they are about on their own.
        plain = self._plain(message, turn)
        return not (plain and plain[0].score >= self._tuning.follow_up_alone)

    def _best(self, matches: list[Match]) -> Reply | None:
        """Answer from the first match, or ask between the first two when they are close."""
        best = matches[0]
        runner_up = matches[1] if len(matches) > 1 else None
        if runner_up is not None and best.score - runner_up.score < self._tuning.clarify_margin:
            return self.replies.fallback(
                self.kb.messages.clarify,
                [best.entry_id, runner_up.entry_id],
                score=best.score,
                reason="clarify",
                clarify=True,
            )
        return self.replies.answer(best.entry_id, score=best.score)

    def fallback(self, message: Message, turn: Turn) -> Reply:
        """Say honestly that this is not covered, offering the closest topics."""
        top = turn.matches[0].score if turn.matches else 0.0
        return self.replies.fallback(None, self._close(message, turn), score=top)

    def _close(self, message: Message, turn: Turn) -> list[str]:
        """Return the topics close enough to offer as "closest topics"."""
        if not turn.matches:
            turn.matches = self._plain(message, turn)
        floor = self._tuning.suggestion_floor
        return [m.entry_id for m in turn.matches if m.score >= floor][
            : self._tuning.max_suggestions
        ]
