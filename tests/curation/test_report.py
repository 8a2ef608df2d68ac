"""The usage report and the stats command, on a seeded database (numbers checked)."""

from __future__ import annotations

import asyncio
import datetime
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.loader import DEFAULT_DIR
from bot.core.responder import Responder
from bot.curation.report import build_report, group_questions, text_summary, usage_report
from bot.storage import DATABASE, Event, SQLiteStorage

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=datetime.UTC)


def at(days_ago: int, hour: int = 10) -> float:
    day = NOW - datetime.timedelta(days=days_ago)
    return day.replace(hour=hour).timestamp()


SEED = [
    Event(at(0), "a", "answer", "hydration", 0.9, ref="r1"),
    Event(at(0), "a", "answer", "hydration", 0.8, ref="r2"),
    Event(at(0), "b", "fallback", None, 0.1, text="is my thyroid making my legs ache"),
    Event(at(1), "b", "fallback", None, 0.1, text="does my thyroid make my legs ache"),
    Event(at(1), "c", "fallback", None, 0.2, text="how much does a physio cost", reason="provider"),
    Event(at(1), "c", "urgent", None, 1.0),
    Event(at(2), "d", "smalltalk", None, 1.0),
    Event(at(2), "d", "answer", "medication", 0.7, ref="r3"),
    Event(at(40), "e", "answer", "medication", 0.7, ref="old"),  # outside a 7-day report
]


async def seed(path: Path) -> None:
    storage = SQLiteStorage(path)
    for number, event in enumerate(SEED):
        await storage.record_event(
            Event(**{**{f: getattr(event, f) for f in event.__slots__}, "update_id": number})
        )
    await storage.record_vote("r1", "a", False, at(0, 11), "does water help cramps")
    await storage.record_vote("r2", "a", True, at(0, 11))
    await storage.record_vote("r3", "d", False, at(2, 11))
    await storage.close()


def curator_command(
    *args: str, cwd: Path, data: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` the way a curator would, reading DATA_DIR=data."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        env={"PYTHONPATH": str(ROOT), "DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def responder() -> Responder:
    return Responder.from_directory(DEFAULT_DIR)


def test_the_report_counts_the_period(tmp_path: Path, responder: Responder) -> None:
    path = tmp_path / DATABASE
    asyncio.run(seed(path))

    async def read() -> object:
        storage = SQLiteStorage(path)
        report = await usage_report(storage, responder, days=7, texts_stored=True, now=NOW)
        await storage.close()
        return report

    report = asyncio.run(read())
    assert report.total == 8
    assert report.rates["answer"] == pytest.approx(3 / 8)
    assert report.rates["fallback"] == pytest.approx(3 / 8)
    assert report.rates["urgent"] == pytest.approx(1 / 8)
    assert len(report.per_day) == 7
    assert [row.questions for row in report.per_day] == [0, 0, 0, 0, 2, 3, 3]
    assert report.per_day[-1].fallback_rate == pytest.approx(1 / 3)
    assert [(t.entry_id, t.count) for t in report.topics] == [
        ("hydration", 2),
        ("medication", 1),
    ]
    # Most "not helpful" first; a tie goes to the worse share.
    assert [(v.entry_id, v.helpful, v.not_helpful) for v in report.unhelpful] == [
        ("medication", 0, 1),
        ("hydration", 1, 1),
    ]
    groups = report.unanswered
    assert [g.count for g in groups] == [2, 1], "the two thyroid wordings form one group"
    assert "thyroid" in groups[0].examples[0]
    text = text_summary(report)
    assert "8 messages" in text
    assert "answered 38%" in text
    assert "2x  does my thyroid make my legs ache" in text
    assert "1 of 2  Staying hydrated" in text


def test_the_stats_command_prints_the_summary_and_writes_the_html(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    asyncio.run(seed(data / DATABASE))
    html = tmp_path / "report.html"
    result = curator_command(
        "stats", "--days", "3650", "--html", str(html), cwd=tmp_path, data=data
    )
    assert result.returncode == 0, result.stderr
    assert "9 messages" in result.stdout
    assert "Unanswered questions, most frequent first:" in result.stdout
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page
    assert "thyroid" in page


def test_the_stats_command_says_when_there_is_no_database(tmp_path: Path) -> None:
    result = curator_command("stats", cwd=tmp_path, data=tmp_path / "none")
    assert result.returncode == 1
    assert "No database" in result.stdout


def test_without_stored_text_the_report_says_so(responder: Responder) -> None:
    report = build_report(
        SEED[:3],
        [],
        titles={},
        terms=responder.analyzer.stems,
        days=1,
        now=NOW,
        texts_stored=False,
    )
    assert "question text is not stored" in text_summary(report)


def test_retention_deletes_old_usage(tmp_path: Path) -> None:
    path = tmp_path / DATABASE
    asyncio.run(seed(path))

    async def purge() -> int:
        storage = SQLiteStorage(path)
        gone = await storage.purge(now=NOW.timestamp(), retention_days=30)
        await storage.close()
        return gone

    assert asyncio.run(purge()) == 1
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 8
        assert db.execute("SELECT COUNT(*) FROM events WHERE ref = 'old'").fetchone()[0] == 0


def test_groups_keep_different_questions_apart(responder: Responder) -> None:
    groups = group_questions(
        [
            ("can i drink alcohol with ibuprofen", None),
            ("is wine ok with ibuprofen", None),
            ("what is a good mattress for my back", "relieving-spasms"),
        ],
        responder.analyzer.stems,
        {"relieving-spasms": "How to ease a muscle spasm"},
    )
    assert len(groups) >= 2
    assert any(g.closest == "How to ease a muscle spasm" for g in groups)
