from __future__ import annotations

import datetime
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from bot.curation.html import render_html
from bot.curation.model import DayRow, QuestionGroup, TopicRow, UsageReport, VoteRow

START = datetime.date(2025, 3, 1)
# Fourteen days; the fourth has no questions at all.
QUESTIONS = (13, 8, 15, 0, 20, 9, 11, 14, 7, 18, 10, 13, 6, 17)
FALLBACKS = (4, 2, 4, 0, 5, 1, 2, 3, 1, 6, 2, 3, 1, 4)
URGENT = (1, 0, 1, 0, 2, 0, 1, 0, 0, 1, 0, 1, 0, 1)
SMALLTALK = (2, 1, 2, 0, 3, 1, 1, 2, 1, 2, 1, 2, 1, 2)
SCRIPT = "<script>alert(1)</script>"
QUOTES = 'He said "stretch" & rest'
ARABIC = "مرحبا هل يمكنني السباحة؟"
LONG_WORD = "a" * 300 + "🙂"


def seeded_report() -> UsageReport:
    """Return a fortnight's report with known numbers and hostile patient wordings."""
    days = tuple(
        DayRow(START + datetime.timedelta(days=i), q, q - f - u - s, f, u, s)
        for i, (q, f, u, s) in enumerate(zip(QUESTIONS, FALLBACKS, URGENT, SMALLTALK, strict=True))
    )
    total = sum(QUESTIONS)
    return UsageReport(
        generated=datetime.datetime(2025, 3, 15, 8, 30, tzinfo=datetime.UTC),
        start=START,
        end=days[-1].day,
        days=len(days),
        total=total,
        rates={
            "answer": sum(d.answers for d in days) / total,
            "fallback": sum(FALLBACKS) / total,
            "urgent": sum(URGENT) / total,
            "smalltalk": sum(SMALLTALK) / total,
        },
        per_day=days,
        topics=(
            TopicRow("what-is-as", "What is ankylosing spondylitis?", 42),
            TopicRow("easing-a-spasm", "Easing a muscle spasm", 31),
            TopicRow("exercise", "Exercise & stretching", 17),
        ),
        unhelpful=(
            VoteRow("night-pain", "Pain at night", helpful=3, not_helpful=7),
            VoteRow("medicines", "Medicines <NSAIDs>", helpful=1, not_helpful=4),
        ),
        unanswered=(
            QuestionGroup(9, ("Can I drink alcohol with AS?", SCRIPT), "Medicines <NSAIDs>"),
            QuestionGroup(5, (QUOTES, ARABIC, LONG_WORD), None),
            QuestionGroup(2, (), "Exercise & stretching"),
        ),
        texts_stored=True,
    )


def empty_report() -> UsageReport:
    """Return a week in which nobody wrote to the bot."""
    days = tuple(DayRow(START + datetime.timedelta(days=i), 0, 0, 0, 0, 0) for i in range(7))
    return UsageReport(
        generated=datetime.datetime(2025, 3, 8, 9, 0),
        start=START,
        end=days[-1].day,
        days=7,
        total=0,
        rates={},
        per_day=days,
        topics=(),
        unhelpful=(),
        unanswered=(),
        texts_stored=True,
    )


class _Sections(HTMLParser):
    """Collects each section's visible text and table rows, keyed by its heading."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self.heading: str | None = None
        self.in_h2 = self.in_cell = False
        self.hidden = 0  # inside an <svg> or <style>, whose text is not page text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.in_h2, self.heading = True, ""
        elif tag in ("svg", "style"):
            self.hidden += 1
        elif tag == "tr" and self.heading is not None:
            self.rows.setdefault(self.heading, []).append([])
        elif tag in ("td", "th") and self.heading is not None:
            self.rows[self.heading][-1].append("")
            self.in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.in_h2 = False
        elif tag in ("td", "th"):
            self.in_cell = False
        elif tag in ("svg", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if self.in_h2 and self.heading is not None:
            self.heading += data
        elif self.heading is not None and not self.hidden:
            self.text[self.heading] = self.text.get(self.heading, "") + data
            if self.in_cell:
                self.rows[self.heading][-1][-1] += data


def sections(page: str) -> _Sections:
    parser = _Sections()
    parser.feed(page)
    parser.close()
    return parser


def test_key_figures_show_the_total_and_each_rate_as_a_percentage() -> None:
    text = sections(render_html(seeded_report())).text["Key figures"]
    assert "161questions" in text
    for figure in ("58.4%answered", "23.6%fallback", "5.0%urgent", "13.0%small talk"):
        assert figure in text


def test_header_names_the_period_and_when_it_was_generated() -> None:
    page = render_html(seeded_report())
    assert "<title>Usage report, 1 Mar 2025 to 14 Mar 2025</title>" in page
    assert "1 Mar 2025 to 14 Mar 2025 (14 days)" in page
    assert "2025-03-15 08:30 UTC" in page


def test_topic_table_lists_counts_and_shares_most_asked_first() -> None:
    rows = sections(render_html(seeded_report())).rows["Most asked topics"]
    assert rows == [
        ["Topic", "Questions", "Share"],
        ["What is ankylosing spondylitis?what-is-as", "42", "26.1%"],
        ["Easing a muscle spasmeasing-a-spasm", "31", "19.3%"],
        ["Exercise & stretchingexercise", "17", "10.6%"],
    ]


def test_vote_table_shows_not_helpful_counts_and_share() -> None:
    rows = sections(render_html(seeded_report())).rows["Topics rated not helpful"]
    assert rows[1:] == [
        ["Pain at nightnight-pain", "7", "3", "70.0%"],
        ["Medicines <NSAIDs>medicines", "4", "1", "80.0%"],
    ]


def test_both_charts_are_labelled_svg_images_with_their_numbers() -> None:
    page = render_html(seeded_report())
    assert page.count('<svg role="img"') == 2
    assert '<title id="questions-chart-title">Questions per day</title>' in page
    assert '<title id="fallback-chart-title">Fallback rate over time</title>' in page
    # One bar per day with questions; the quiet day breaks the fallback line in two.
    assert page.count('<rect class="bar"') == 13
    assert page.count('<polyline class="line"') == 2
    assert page.count('<circle class="dot"') == 13
    parsed = sections(page)
    assert ["1 Mar", "13", "6", "4", "1", "2"] in parsed.rows["Questions per day"]
    fallback = parsed.rows["Fallback rate over time"]
    assert ["1 Mar", "13", "4", "30.8%"] in fallback
    assert ["4 Mar", "0", "0", "\u2014"] in fallback


def test_patient_wordings_are_escaped_and_kept_readable() -> None:
    page = render_html(seeded_report())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "He said &quot;stretch&quot; &amp; rest" in page
    assert "Medicines &lt;NSAIDs&gt;" in page
    assert f"<li><bdi>{ARABIC}</bdi></li>" in page
    assert LONG_WORD in page
    assert "overflow-wrap:anywhere" in page
    text = sections(page).text["Unanswered questions"]
    assert "16 messages in 3 groups" in text
    assert "9 messages \u00b7 closest topic: Medicines <NSAIDs>" in text
    assert "5 messages \u00b7 no close topic" in text


def test_control_characters_in_wordings_cannot_break_the_page() -> None:
    group = QuestionGroup(1, ("nul\x00 and \x1b[31m and \ud800",), None)
    page = render_html(replace(seeded_report(), unanswered=(group,)))
    page.encode("utf-8")
    assert not re.search(r"[\x00\x1b\ud800]", page)
    assert "nul\ufffd and \ufffd[31m and \ufffd" in page


@pytest.mark.parametrize("report", [seeded_report(), empty_report()], ids=["seeded", "empty"])
def test_page_is_self_contained_and_fits_a_phone(report: UsageReport) -> None:
    page = render_html(report)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert (
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    ) in page
    for outside in ("http://", "https://", "<link", "src=", "url(", "@import", "<script"):
        assert outside not in page


def test_texts_off_says_only_counts_are_shown_and_hides_wordings() -> None:
    stored = render_html(seeded_report())
    off = render_html(replace(seeded_report(), texts_stored=False))
    notice = "Question text storage is turned off, so only counts are shown."
    assert notice not in stored
    assert notice in off
    assert "Can I drink alcohol with AS?" in stored
    assert "Can I drink alcohol with AS?" not in off
    assert (
        "9 messages \u00b7 closest topic: Medicines" in sections(off).text["Unanswered questions"]
    )


def test_empty_period_says_there_were_no_questions() -> None:
    parsed = sections(render_html(empty_report()))
    assert "No questions in this period." in parsed.text["Key figures"]
    assert "No questions in this period" in parsed.text["Questions per day"]
    assert "No questions in this period" in parsed.text["Fallback rate over time"]
    assert "No topic was asked about" in parsed.text["Most asked topics"]
    assert "No answer was rated not helpful" in parsed.text["Topics rated not helpful"]
    assert "No unanswered questions" in parsed.text["Unanswered questions"]
    assert "<svg" not in render_html(empty_report())


def test_a_single_quiet_day_among_busy_ones_still_draws_both_charts() -> None:
    report = seeded_report()
    one = replace(report, per_day=report.per_day[:1], days=1, end=START)
    page = render_html(one)
    assert page.count('<svg role="img"') == 2
    assert page.count('<circle class="dot"') == 1
    assert '<polyline class="line"' not in page


def test_same_report_renders_to_the_same_page() -> None:
    assert render_html(seeded_report()) == render_html(seeded_report())
    later = replace(seeded_report(), generated=datetime.datetime(2025, 3, 16, 7, 5))
    assert "2025-03-16 07:05" in render_html(later)
