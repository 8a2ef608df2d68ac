"""Build the curator's usage report from the stored replies and votes.

The report counts messages per day and per kind of reply, the most asked topics, the topics
most often rated "not helpful", and the questions the bot could not answer, grouped when
they share most of their words, most frequent first. ``text_summary`` is what
``python -m bot stats`` prints and what /stats sends to an admin; the HTML page is in
html.py.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.responder import Responder
from bot.curation.model import DayRow, QuestionGroup, TopicRow, UsageReport, VoteRow
from bot.storage import Event, Storage, Vote

KINDS = ("answer", "fallback", "urgent", "smalltalk")
# Two unanswered questions belong together when they share this much of their words.
GROUP_OVERLAP = 0.5
# Wordings shown per group, and rows shown per table.
EXAMPLES = 5
TOP = 10


@dataclass(slots=True)
class _Group:
    terms: set[str]
    texts: list[str] = field(default_factory=list)
    closest: Counter[str] = field(default_factory=Counter)


def group_questions(
    questions: Iterable[tuple[str, str | None]],
    terms: Callable[[str], Iterable[str]],
    titles: Mapping[str, str],
) -> tuple[QuestionGroup, ...]:
    """Group (text, closest entry id) pairs by shared words; most frequent group first.

    ``terms`` turns a text into the words that carry its meaning (the bot's own analyzer,
    so "spasms" and "spasm" count as one word).
    """
    groups: list[_Group] = []
    for text, closest in questions:
        words = set(terms(text))
        home = None
        for group in groups:
            union = words | group.terms
            if union and len(words & group.terms) / len(union) >= GROUP_OVERLAP:
                home = group
                break
        if home is None:
            home = _Group(set(words))
            groups.append(home)
        home.texts.append(text)
        if closest:
            home.closest[closest] += 1
    ordered = sorted(groups, key=lambda g: -len(g.texts))
    return tuple(
        QuestionGroup(
            count=len(g.texts),
            examples=tuple(dict.fromkeys(g.texts))[:EXAMPLES],
            closest=titles.get(g.closest.most_common(1)[0][0]) if g.closest else None,
        )
        for g in ordered
    )


def build_report(
    events: Sequence[Event],
    votes: Sequence[Vote],
    *,
    titles: Mapping[str, str],
    terms: Callable[[str], Iterable[str]],
    days: int,
    now: datetime.datetime,
    texts_stored: bool,
) -> UsageReport:
    """Count the period's replies and votes into a report (``now`` is timezone-aware)."""
    end = now.date()
    start = end - datetime.timedelta(days=days - 1)
    per_day: dict[datetime.date, Counter[str]] = defaultdict(Counter)
    kinds: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for event in events:
        day = datetime.datetime.fromtimestamp(event.at, now.tzinfo).date()
        per_day[day][event.kind] += 1
        kinds[event.kind] += 1
        if event.kind == "answer" and event.entry_id:
            topics[event.entry_id] += 1
    total = sum(kinds.values())
    rows = tuple(
        DayRow(
            day=day,
            questions=sum(per_day[day].values()),
            answers=per_day[day]["answer"],
            fallbacks=per_day[day]["fallback"],
            urgent=per_day[day]["urgent"],
            smalltalk=per_day[day]["smalltalk"],
        )
        for day in (start + datetime.timedelta(days=i) for i in range(days))
    )
    helpful: Counter[str] = Counter()
    unhelpful: Counter[str] = Counter()
    for vote in votes:
        (helpful if vote.helpful else unhelpful)[vote.entry_id] += 1
    unanswered = [
        (e.text, e.closest) for e in events if e.kind == "fallback" and e.text is not None
    ]
    return UsageReport(
        generated=now,
        start=start,
        end=end,
        days=days,
        total=total,
        rates={kind: (kinds[kind] / total if total else 0.0) for kind in KINDS},
        per_day=rows,
        topics=tuple(
            TopicRow(entry, titles.get(entry, entry), count)
            for entry, count in topics.most_common(TOP)
        ),
        unhelpful=tuple(
            VoteRow(entry, titles.get(entry, entry), helpful[entry], unhelpful[entry])
            for entry in sorted(
                unhelpful,
                key=lambda e: (-unhelpful[e], -unhelpful[e] / (unhelpful[e] + helpful[e]), e),
            )[:TOP]
        ),
        unanswered=group_questions(unanswered, terms, titles),
        texts_stored=texts_stored,
    )


def text_summary(report: UsageReport, *, groups: int = TOP) -> str:
    """Return the report as plain text (the stats command and the admins' /stats)."""
    lines = [
        f"Usage from {report.start} to {report.end} ({report.days} days): {report.total} messages",
    ]
    if report.total:
        names = {
            "answer": "answered",
            "fallback": "not answered",
            "urgent": "urgent care",
            "smalltalk": "small talk",
        }
        lines.append(
            "  " + ", ".join(f"{names[k]} {report.rates[k]:.0%}" for k in KINDS if k in names)
        )
    busy = [row for row in report.per_day if row.questions]
    if busy:
        lines.append("Messages per day:")
        lines += [
            f"  {row.day}  {row.questions:>4}  (not answered {row.fallback_rate:.0%})"
            for row in busy
        ]
    if report.topics:
        lines.append("Most asked topics:")
        lines += [f"  {row.count:>4}  {row.title}" for row in report.topics]
    if report.unhelpful:
        lines.append("Rated not helpful:")
        lines += [
            f"  {row.not_helpful:>4} of {row.helpful + row.not_helpful}  {row.title}"
            for row in report.unhelpful
        ]
    if not report.texts_stored:
        lines.append("Unanswered questions: question text is not stored (STORE_QUESTION_TEXT).")
    elif report.unanswered:
        lines.append("Unanswered questions, most frequent first:")
        for group in report.unanswered[:groups]:
            closest = f"  (closest: {group.closest})" if group.closest else ""
            lines.append(f"  {group.count:>4}x  {group.examples[0]}{closest}")
    return "\n".join(lines)


async def usage_report(
    storage: Storage,
    responder: Responder,
    *,
    days: int,
    texts_stored: bool,
    now: datetime.datetime | None = None,
) -> UsageReport:
    """Read the last ``days`` days from the storage and build the report (local time)."""
    now = now or datetime.datetime.now().astimezone()
    start = datetime.datetime.combine(
        now.date() - datetime.timedelta(days=days - 1), datetime.time(), now.tzinfo
    )
    since, until = start.timestamp(), now.timestamp() + 1
    events = await storage.events(since, until)
    votes = await storage.votes(since, until)
    titles = {entry.id: entry.title for entry in responder.kb.entries}
    return build_report(
        events,
        votes,
        titles=titles,
        terms=responder.analyzer.stems,
        days=days,
        now=now,
        texts_stored=texts_stored,
    )
