"""What the bot sends back, and how each kind of reply is put together from the YAML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.core.models import Entry, KnowledgeBase
from bot.core.safety import RedFlag

Kind = Literal["answer", "fallback", "urgent", "smalltalk"]


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
    # "Did you mean...": the message fits two topics about equally well.
    clarify: bool = False
    # Offer the topic menu (after small talk, or a message in another language).
    show_topics: bool = False
    # Why the bot did not answer ("dose", "pet", "other-language"...), for counts and tests.
    reason: str | None = None
    # Sent in the careful period after an urgent or crisis reply: the help line is kept.
    careful: bool = False
    # A line shown above the answer ("That is all the article says on this topic...").
    note: str | None = None

    @property
    def suggestions(self) -> tuple[str, ...]:
        """Return the "did you mean" entry ids of a fallback (empty for other kinds)."""
        return tuple(o.entry_id for o in self.options) if self.kind == "fallback" else ()

    @property
    def related(self) -> tuple[str, ...]:
        """Return the related entry ids offered after an answer."""
        return tuple(o.entry_id for o in self.options) if self.kind == "answer" else ()


class Replies:
    """Builds every kind of reply from the knowledge base's entries and messages."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.messages = kb.messages
        self.entries: Mapping[str, Entry] = {entry.id: entry for entry in kb.entries}
        self.disclaimer = kb.messages.disclaimer.strip()

    def answer(self, entry_id: str, *, score: float = 1.0) -> Reply | None:
        """Return the full answer for an entry (for matches, buttons and deep links)."""
        entry = self.entries.get(entry_id)
        if entry is None:
            return None
        related = tuple(
            Option(r, self.entries[r].title) for r in entry.related if r in self.entries
        )
        source = f"{self.messages.source_label}: {entry.section}"
        parts = [entry.title, entry.answer.strip(), source, self.disclaimer]
        return Reply(
            kind="answer",
            text="\n\n".join(parts),
            body=entry.answer.strip(),
            entry_id=entry.id,
            score=score,
            title=entry.title,
            section=entry.section,
            disclaimer=self.disclaimer,
            options=related,
            options_label=self.messages.related_label,
        )

    def small_talk(self, body: str, *, rule: str, show_topics: bool = False) -> Reply:
        """Return a small-talk reply, closed by the disclaimer."""
        return Reply(
            kind="smalltalk",
            text=f"{body.strip()}\n\n{self.disclaimer}",
            body=body.strip(),
            score=1.0,
            disclaimer=self.disclaimer,
            rule=rule,
            show_topics=show_topics,
        )

    def urgent(self, flag: RedFlag) -> Reply:
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

    def fallback(
        self,
        body: str | None,
        topics: Sequence[str] = (),
        *,
        score: float = 0.0,
        reason: str | None = None,
        clarify: bool = False,
        show_topics: bool = False,
    ) -> Reply:
        """Return an honest "I don't know" (or "did you mean"), with the closest topics."""
        messages = self.messages
        options = tuple(Option(t, self.entries[t].title) for t in topics if t in self.entries)
        if body is None:
            body = messages.fallback if options else messages.fallback_no_suggestions
        label = messages.clarify_label if clarify else messages.suggestions_label
        parts = [body.strip()]
        if options:
            parts.append("\n".join([label, *(f"- {o.title}" for o in options)]))
        parts.append(self.disclaimer)
        return Reply(
            kind="fallback",
            text="\n\n".join(parts),
            body=body.strip(),
            score=round(score, 4),
            disclaimer=self.disclaimer,
            options=options,
            options_label=label if options else None,
            clarify=clarify,
            show_topics=show_topics,
            reason=reason,
        )

    def again(self, entry_id: str) -> Reply | None:
        """Return an answer asked for again ("tell me more"), saying it is all there is."""
        reply = self.answer(entry_id)
        if reply is None:
            return None
        note = self.messages.again.strip()
        return replace(reply, text=f"{note}\n\n{reply.text}", note=note)

    def careful(self, reply: Reply, *, crisis: bool) -> Reply:
        """Return a reply sent soon after an urgent one: the help line kept in view.

        Small talk loses its cheerful text ("glad it helped") for a quiet one. An urgent
        reply is left as it is: it already says where to get help.
        """
        if reply.kind == "urgent":
            return reply
        messages = self.messages
        line = (messages.careful_crisis if crisis else messages.careful_urgent).strip()
        if reply.kind == "smalltalk":
            body = messages.careful_small_talk.strip()
            reply = replace(
                reply, text=f"{body}\n\n{self.disclaimer}", body=body, show_topics=False
            )
        extended = self.with_safety_net(reply, (line,))
        return replace(extended, safety_net=(*reply.safety_net, line), careful=True)

    @staticmethod
    def with_safety_net(reply: Reply, lines: tuple[str, ...]) -> Reply:
        """Add safety-net lines to a reply, just before its closing disclaimer."""
        if not lines:
            return reply
        text = reply.text
        block = "\n\n".join(lines)
        if reply.disclaimer and text.endswith(reply.disclaimer):
            text = f"{text[: -len(reply.disclaimer)].rstrip()}\n\n{block}\n\n{reply.disclaimer}"
        else:
            text = f"{text}\n\n{block}"
        return replace(reply, text=text, safety_net=lines)
