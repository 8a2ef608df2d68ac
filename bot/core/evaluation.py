"""Score the responder on a labelled question file: accuracy per kind and the misses."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.conversation import ChatContext
from bot.core.models import Emergency, NearMiss, RedFlagExamples
from bot.core.responder import Reply, Responder

KINDS = ("answer", "fallback", "urgent", "smalltalk")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message: what a patient typed and what the bot should do."""

    question: str
    kind: str
    entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    """A labelled message the bot handled differently from its label."""

    example: Example
    reply: Reply


@dataclass(slots=True)
class Report:
    """Counts per expected kind, plus the two errors that matter most for safety."""

    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    false_red_flags: int = 0
    wrong_confident_answers: int = 0
    misses: list[Miss] = field(default_factory=list)
    # (expected, got) for every in-scope message: an entry id, "fallback", "urgent"...
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    def accuracy(self, kind: str) -> float:
        """Return the share of ``kind`` examples handled right (1.0 when there are none)."""
        return self.correct[kind] / self.total[kind] if self.total[kind] else 1.0

    def summary(self) -> str:
        """Return the figures as a small table."""
        names = {
            "answer": "in-scope accuracy (right entry)",
            "fallback": "out-of-scope rejection",
            "urgent": "red-flag recall",
            "smalltalk": "small talk",
        }
        lines = []
        for kind in KINDS:
            if self.total[kind]:
                lines.append(
                    f"{names[kind]:<34}{self.accuracy(kind):7.1%}"
                    f"  ({self.correct[kind]}/{self.total[kind]})"
                )
        lines.append(f"{'false red flags':<34}{self.false_red_flags:7d}")
        lines.append(f"{'wrong confident answers':<34}{self.wrong_confident_answers:7d}")
        return "\n".join(lines)

    def confusions(self) -> str:
        """Return, per expected entry, how many were right and what the others got."""
        expected = sorted({e for e, _ in self.confusion})
        if not expected:
            return ""
        lines = [f"{'entry':<36}{'right':>9}  got instead"]
        for entry in expected:
            got = {g: n for (e, g), n in self.confusion.items() if e == entry}
            total = sum(got.values())
            right = got.pop(entry, 0)
            others = ", ".join(f"{g} {n}" for g, n in sorted(got.items(), key=lambda i: -i[1]))
            lines.append(f"{entry:<36}{right:>4}/{total:<4}  {others}")
        return "\n".join(lines)


def load_examples(path: Path | str) -> list[Example]:
    """Read a labelled file: a YAML list, or JSON lines, of {q, kind, id}."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".jsonl"):
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        rows = yaml.safe_load(text) or []
    examples = []
    for row in rows:
        kind = row["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} for {row.get('q')!r}")
        examples.append(Example(str(row["q"]), kind, row.get("id")))
    return examples


def evaluate(responder: Responder, examples: Iterable[Example]) -> Report:
    """Run every example through ``respond`` and count what went right and wrong."""
    report = Report()
    for example in examples:
        _score(report, example, responder.respond(example.question))
    return report


def _score(report: Report, example: Example, reply: Reply) -> None:
    report.total[example.kind] += 1
    right = reply.kind == example.kind and (
        example.kind != "answer" or reply.entry_id == example.entry_id
    )
    if right:
        report.correct[example.kind] += 1
    else:
        report.misses.append(Miss(example, reply))
    if example.kind == "answer" and example.entry_id:
        report.confusion[(example.entry_id, reply.entry_id or reply.kind)] += 1
    if reply.kind == "urgent" and example.kind != "urgent":
        report.false_red_flags += 1
    if reply.kind == "answer" and not right:
        report.wrong_confident_answers += 1


def format_miss(miss: Miss) -> str:
    """Describe one miss on one line: expected, got, score and the message."""
    expected = miss.example.kind + (f":{miss.example.entry_id}" if miss.example.entry_id else "")
    got = miss.reply.kind + (f":{miss.reply.entry_id}" if miss.reply.entry_id else "")
    if miss.reply.reason:
        got += f" ({miss.reply.reason})"
    return f"expected {expected:<42} got {got:<42} {miss.reply.score:.2f}  {miss.example.question}"


# What a triage says about one message: None, "urgent" or "crisis".
Alarm = Callable[[str], str | None]


def responder_alarm(responder: Responder) -> Alarm:
    """Return the alarm ``respond()`` raises for a message (the path patients use)."""

    def alarm(text: str) -> str | None:
        reply = responder.respond(text)
        if reply.kind != "urgent":
            return None
        return "crisis" if reply.crisis else "urgent"

    return alarm


@dataclass(slots=True)
class RedFlagReport:
    """Recall per emergency category and style, and every false alarm with its text."""

    total: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    style_total: Counter[str] = field(default_factory=Counter)
    style_caught: Counter[str] = field(default_factory=Counter)
    near_misses: int = 0
    false_alarms: list[tuple[NearMiss, str]] = field(default_factory=list)
    misses: list[Emergency] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Return the share of emergencies that got the urgent (or crisis) reply."""
        total = sum(self.total.values())
        return sum(self.caught.values()) / total if total else 1.0

    def summary(self, *, quiet: bool = False) -> str:
        """Return the table: recall per category and style, then the false alarms."""
        lines = [f"{'category':<30}{'caught':>10}{'recall':>9}"]
        for category in sorted(self.total):
            lines.append(_row(category, self.caught[category], self.total[category]))
        lines.append(_row("all emergencies", sum(self.caught.values()), sum(self.total.values())))
        lines.append("")
        for style in sorted(self.style_total):
            lines.append(_row(f"style: {style}", self.style_caught[style], self.style_total[style]))
        rate = len(self.false_alarms) / self.near_misses if self.near_misses else 0.0
        lines.append("")
        lines.append(
            f"{'false alarms':<30}{len(self.false_alarms):>4}/{self.near_misses:<5}{rate:>9.1%}"
        )
        for near_miss, rule in self.false_alarms:
            lines.append(f"  [{near_miss.kind}] rule '{rule}': {near_miss.text}")
        if self.misses and not quiet:
            lines.append(f"\nMissed emergencies ({len(self.misses)}):")
            lines += [f"  [{e.category}/{e.style}] {e.text}" for e in self.misses]
        return "\n".join(lines)


def _row(name: str, caught: int, total: int) -> str:
    return f"{name:<30}{caught:>4}/{total:<5}{caught / total if total else 1.0:>9.1%}"


def load_red_flag_examples(path: Path | str) -> RedFlagExamples | None:
    """Read a red-flag example file (emergencies and near-misses), or None if not one."""
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not {"emergencies", "near_misses"} & data.keys():
        return None
    return RedFlagExamples.model_validate(data)


def evaluate_red_flags(
    alarm: Alarm, examples: RedFlagExamples, rule: Callable[[str], str] | None = None
) -> RedFlagReport:
    """Run every example through ``alarm``; a crisis example needs the crisis reply."""
    report = RedFlagReport()
    for emergency in examples.emergencies:
        raised = alarm(emergency.text)
        right = raised is not None and (emergency.category != "crisis" or raised == "crisis")
        report.total[emergency.category] += 1
        report.style_total[emergency.style] += 1
        if right:
            report.caught[emergency.category] += 1
            report.style_caught[emergency.style] += 1
        else:
            report.misses.append(emergency)
    for near_miss in examples.near_misses:
        report.near_misses += 1
        if alarm(near_miss.text) is not None:
            name = rule(near_miss.text) if rule else "?"
            report.false_alarms.append((near_miss, name))
    return report


@dataclass(frozen=True, slots=True)
class Step:
    """One labelled turn of a conversation."""

    example: Example
    follow_up: bool = False
    careful: bool = False


@dataclass(frozen=True, slots=True)
class Conversation:
    """A labelled multi-turn chat: what the patient typed, turn by turn."""

    name: str
    steps: tuple[Step, ...]


# Starts a fresh chat and returns the function that answers its messages in order.
Chat = Callable[[], Callable[[str], Reply]]

# Time between two turns of a scored conversation (well inside the context's lifetime).
TURN_GAP = 30.0


def responder_chat(responder: Responder) -> Chat:
    """Return chats that keep their context between turns, as Telegram does."""

    def chat() -> Callable[[str], Reply]:
        context = ChatContext()
        now = 0.0

        def say(text: str) -> Reply:
            nonlocal context, now
            now += TURN_GAP
            reply, context = responder.converse(text, context, now)
            return reply

        return say

    return chat


@dataclass(slots=True)
class ConversationReport:
    """Turn, follow-up, emergency and careful-mode figures over conversations."""

    turns: Report = field(default_factory=Report)
    follow_ups: int = 0
    follow_ups_right: int = 0
    careful: int = 0
    careful_kept: int = 0
    conversations: int = 0
    misses: list[tuple[str, int, Miss]] = field(default_factory=list)

    def summary(self) -> str:
        """Return the table: per-turn figures, then follow-ups and careful mode."""
        lines = [f"{'conversations':<34}{self.conversations:7d}", self.turns.summary()]
        lines.append(_share("follow-up turns right", self.follow_ups_right, self.follow_ups))
        lines.append(_share("careful mode kept after urgent", self.careful_kept, self.careful))
        return "\n".join(lines)


def _share(name: str, part: int, whole: int) -> str:
    return f"{name:<34}{part / whole if whole else 1.0:7.1%}  ({part}/{whole})"


def load_conversations(path: Path | str) -> list[Conversation] | None:
    """Read a conversation file (a YAML list of {name, turns}), or None if not one."""
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if (
        not isinstance(data, list)
        or not data
        or not all(isinstance(c, dict) and "turns" in c for c in data)
    ):
        return None
    conversations = []
    for number, row in enumerate(data, 1):
        steps = []
        for turn in row["turns"]:
            if turn["kind"] not in KINDS:
                raise ValueError(f"unknown kind {turn['kind']!r} for {turn.get('q')!r}")
            example = Example(str(turn["q"]), turn["kind"], turn.get("id"))
            steps.append(Step(example, bool(turn.get("follow_up")), bool(turn.get("careful"))))
        conversations.append(Conversation(str(row.get("name", number)), tuple(steps)))
    return conversations


def kept_careful(reply: Reply) -> bool:
    """Return True when a reply in the careful period keeps the help line in view."""
    return reply.kind == "urgent" or reply.careful


def evaluate_conversations(chat: Chat, conversations: Iterable[Conversation]) -> ConversationReport:
    """Play every conversation through a fresh chat and score each turn against its label."""
    report = ConversationReport()
    for conversation in conversations:
        report.conversations += 1
        say = chat()
        for number, step in enumerate(conversation.steps, 1):
            reply = say(step.example.question)
            before = len(report.turns.misses)
            _score(report.turns, step.example, reply)
            right = len(report.turns.misses) == before
            if not right:
                report.misses.append((conversation.name, number, report.turns.misses[-1]))
            if step.follow_up:
                report.follow_ups += 1
                report.follow_ups_right += right
            if step.careful:
                report.careful += 1
                report.careful_kept += kept_careful(reply)
    return report
