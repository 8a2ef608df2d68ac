"""Score the responder on a labelled question file: accuracy per kind and the misses."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
        reply = responder.respond(example.question)
        report.total[example.kind] += 1
        right = reply.kind == example.kind and (
            example.kind != "answer" or reply.entry_id == example.entry_id
        )
        if right:
            report.correct[example.kind] += 1
        else:
            report.misses.append(Miss(example, reply))
        if reply.kind == "urgent" and example.kind != "urgent":
            report.false_red_flags += 1
        if reply.kind == "answer" and not right:
            report.wrong_confident_answers += 1
    return report


def format_miss(miss: Miss) -> str:
    """Describe one miss on one line: expected, got, score and the message."""
    expected = miss.example.kind + (f":{miss.example.entry_id}" if miss.example.entry_id else "")
    got = miss.reply.kind + (f":{miss.reply.entry_id}" if miss.reply.entry_id else "")
    return f"expected {expected:<42} got {got:<42} {miss.reply.score:.2f}  {miss.example.question}"
