"""The usage report's data: what patients asked over a period, and how the bot replied.

Plain frozen records filled by the database queries and read by the renderers; they hold
numbers and strings only, so a report can be built by hand in a test.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DayRow:
    """One day's messages, counted by the kind of reply they got."""

    day: datetime.date
    questions: int  # all messages that day
    answers: int
    fallbacks: int  # "I don't know" / out of scope replies
    urgent: int  # urgent-care or crisis replies
    smalltalk: int

    @property
    def fallback_rate(self) -> float:
        """Return the share of the day's messages that got a fallback (0 on a quiet day)."""
        return self.fallbacks / self.questions if self.questions else 0.0


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A knowledge-base topic and how many messages it answered."""

    entry_id: str
    title: str
    count: int


@dataclass(frozen=True, slots=True)
class VoteRow:
    """A topic and the patients' "helpful" / "not helpful" votes on its answer."""

    entry_id: str
    title: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Unanswered messages that say much the same thing, with a few of their wordings."""

    count: int  # how many unanswered messages are in the group
    examples: tuple[str, ...]  # up to 5 of the patients' own wordings (untrusted text!)
    closest: str | None  # title of the topic the bot found closest, if any


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Everything the curator's report shows for one period."""

    generated: datetime.datetime
    start: datetime.date
    end: datetime.date
    days: int
    total: int  # messages in the period
    # Reply kind ("answer", "fallback", "urgent", "smalltalk") -> share 0..1.
    rates: Mapping[str, float]
    per_day: tuple[DayRow, ...]  # every day in the period, oldest first, zeros included
    topics: tuple[TopicRow, ...]  # most asked topics, most first
    unhelpful: tuple[VoteRow, ...]  # topics with the most "not helpful" votes, most first
    unanswered: tuple[QuestionGroup, ...]  # most frequent first
    texts_stored: bool  # False when the clinic turned question text storage off
