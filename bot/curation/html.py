"""Render the usage report as one self-contained HTML page for the clinic's curator.

The curator opens the page, often on a phone, to review what patients asked over a period,
what the bot could not answer and which answers were rated not helpful, and so decide what
to add to or rewrite in the knowledge base. The page needs no network: styles are inline,
the two charts are SVG drawn here, there is no script, and a Content-Security-Policy forbids
loading anything. Every string from the data (above all the patients' own wordings) is
escaped, and the same report always renders to the same bytes.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Iterable, Sequence
from html import escape

from bot.curation.model import DayRow, QuestionGroup, UsageReport

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KINDS = {
    "answer": "answered",
    "fallback": "fallback (no answer)",
    "urgent": "urgent care",
    "smalltalk": "small talk",
}
# Control characters (but tab and newline) and lone surrogates break the page or its encoding.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NUM = ' class="n"'
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# The charts' drawing box; the page scales it to the column's width.
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 360, 210, 48, 22, 12, 30

_CSS = """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1a1a1a;line-height:1.5;overflow-wrap:anywhere;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:46rem;margin:0 auto;padding:.5rem}
header,section{background:#fff;border:1px solid #d9dce1;border-radius:8px;
padding:.75rem;margin:0 0 .5rem}
h1{font-size:1.4rem;margin:0 0 .25rem;line-height:1.25}
h2{font-size:1.15rem;margin:0 0 .5rem}
p{margin:.25rem 0}
.muted{color:#4a5160}
.notice{background:#fff4d6;border-left:4px solid #9a6700;padding:.5rem .75rem}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:.5rem;
margin:0;padding:0;list-style:none}
.figures li{background:#eef3f9;border-radius:6px;padding:.5rem .75rem}
.figures b{display:block;font-size:1.5rem;line-height:1.2}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .4rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
thead th{background:#f0f2f5;overflow-wrap:normal}
tbody th{font-weight:normal}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n,.nw{white-space:nowrap}
.topic{min-width:6rem}
code{font-size:.85em;color:#4a5160}
svg{display:block;width:100%;max-width:30rem;height:auto;margin:.25rem 0}
svg text{font:13px system-ui,sans-serif;fill:#3a404c}
.grid{stroke:#dde1e6;stroke-width:1}
.axis{stroke:#5b6270;stroke-width:1}
.bar{fill:#2c64a8}
.line{fill:none;stroke:#a14a00;stroke-width:2}
.dot{fill:#a14a00}
details{margin:.25rem 0}
summary{cursor:pointer;color:#1d4f8a}
ol.groups{padding-left:1.5rem;margin:0}
ol.groups>li{margin:0 0 .75rem}
ul.examples{margin:.25rem 0 0;padding-left:1rem}
ul.examples li{white-space:pre-line}
"""


def render_html(report: UsageReport) -> str:
    """Return the report as one self-contained HTML5 document."""
    period = f"{_date(report.start)} to {_date(report.end)}"
    sections = (
        _figures(report),
        _chart_section("Questions per day", report, _questions_chart, _questions_table),
        _chart_section("Fallback rate over time", report, _fallback_chart, _fallback_table),
        _topics(report),
        _unhelpful(report),
        _unanswered(report),
    )
    generated = report.generated.strftime("%Y-%m-%d %H:%M")
    zone = report.generated.tzname()
    return "\n".join(
        (
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Usage report, {period}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            "<header>",
            "<h1>Usage report</h1>",
            f"<p>{period} ({_plural(report.days, 'day')})</p>",
            f'<p class="muted">Generated <time datetime="{_e(report.generated.isoformat())}">'
            f"{generated}{' ' + _e(zone) if zone else ''}</time></p>",
            "</header>",
            *sections,
            "</main>",
            "</body>",
            "</html>",
            "",
        )
    )


def _e(text: str) -> str:
    """Escape untrusted text for element content and quoted attributes."""
    return escape(_UNSAFE.sub("\ufffd", text), quote=True)


def _date(day: datetime.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _short(day: datetime.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _day(day: datetime.date) -> str:
    return f'<span class="nw">{_short(day)}</span>'


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _section(title: str, *body: str) -> str:
    return "\n".join((f"<section><h2>{title}</h2>", *body, "</section>"))


def _empty(text: str) -> str:
    return f'<p class="muted">{text}</p>'


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Build a scrolling table of HTML cells: a row heading, then columns of numbers."""
    ths = "".join(f'<th scope="col"{_NUM if i else ""}>{h}</th>' for i, h in enumerate(head))
    trs = "\n".join(
        f'<tr><th scope="row">{row[0]}</th>'
        + "".join(f"<td{_NUM}>{cell}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table>\n<thead><tr>{ths}</tr></thead>\n'
        f"<tbody>\n{trs}\n</tbody>\n</table></div>"
    )


def _figures(report: UsageReport) -> str:
    if report.total == 0:
        return _section("Key figures", _empty("No questions in this period."))
    items = [f"<li><b>{report.total:,}</b>{'question' if report.total == 1 else 'questions'}</li>"]
    items += [
        f"<li><b>{_percent(report.rates.get(kind, 0.0))}</b>{label}</li>"
        for kind, label in _KINDS.items()
    ]
    return _section("Key figures", '<ul class="figures">', *items, "</ul>")


def _chart_section(
    title: str,
    report: UsageReport,
    chart: Callable[[UsageReport], str],
    table: Callable[[Sequence[DayRow]], str],
) -> str:
    if report.total == 0 or not report.per_day:
        return _section(title, _empty("No questions in this period, so there is nothing to draw."))
    numbers = f"<details><summary>The numbers</summary>\n{table(report.per_day)}\n</details>"
    return _section(title, chart(report), numbers)


def _x(index: int, count: int) -> float:
    return _LEFT + (index + 0.5) * (_W - _LEFT - _RIGHT) / count


def _y(value: float, top: float) -> float:
    return _H - _BOTTOM - value / top * (_H - _TOP - _BOTTOM)


def _nice_step(raw: float) -> int:
    """Return the smallest whole 1, 2 or 5 times a power of ten at least ``raw``."""
    power = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _svg(slug: str, title: str, desc: str, days: Sequence[DayRow], ticks: str, body: str) -> str:
    """Wrap a chart's marks in the SVG frame: titles, grid, axis and a few day labels."""
    count = len(days)
    # At most five evenly spaced day labels, so they never run into each other on a phone.
    shown = range(0, count, max(1, math.ceil((count - 1) / 4)))
    labels = "".join(
        f'<text x="{_x(i, count):.1f}" y="{_H - 10}" text-anchor="middle">'
        f"{_short(days[i].day)}</text>"
        for i in shown
    )
    base = _H - _BOTTOM
    return (
        f'<svg role="img" viewBox="0 0 {_W} {_H}" aria-labelledby="{slug}-title" '
        f'aria-describedby="{slug}-desc">\n'
        f'<title id="{slug}-title">{title}</title>\n<desc id="{slug}-desc">{desc}</desc>\n'
        f'{ticks}\n<line class="axis" x1="{_LEFT}" y1="{base}" x2="{_W - _RIGHT}" y2="{base}"/>\n'
        f"{labels}\n{body}\n</svg>"
    )


def _tick(value: float, top: float, label: str) -> str:
    y = _y(value, top)
    return (
        f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}"/>'
        f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
    )


def _questions_chart(report: UsageReport) -> str:
    days = report.per_day
    peak = max(d.questions for d in days)
    step = _nice_step(max(peak, 1) / 4)
    top = step * max(1, math.ceil(peak / step))
    ticks = "".join(_tick(v, top, f"{v:,}") for v in range(0, top + 1, step))
    width = (_W - _LEFT - _RIGHT) / len(days) * 0.7
    bars = "\n".join(
        f'<rect class="bar" x="{_x(i, len(days)) - width / 2:.1f}" y="{_y(d.questions, top):.1f}" '
        f'width="{width:.1f}" height="{_y(0, top) - _y(d.questions, top):.1f}">'
        f"<title>{_short(d.day)}: {_plural(d.questions, 'question')}</title></rect>"
        for i, d in enumerate(days)
        if d.questions
    )
    busiest = max(days, key=lambda d: d.questions)
    desc = (
        f"Bar chart of the questions asked each day from {_date(report.start)} to "
        f"{_date(report.end)}. The busiest day was {_date(busiest.day)} with "
        f"{_plural(busiest.questions, 'question')}."
    )
    return _svg("questions-chart", "Questions per day", desc, days, ticks, bars)


def _fallback_chart(report: UsageReport) -> str:
    days = report.per_day
    count = len(days)
    ticks = "".join(_tick(v, 1, f"{round(v * 100)}%") for v in (0, 0.25, 0.5, 0.75, 1))
    points = [(i, d) for i, d in enumerate(days) if d.questions]
    # A day without questions has no rate: the line breaks there instead of dropping to zero.
    runs: list[list[str]] = []
    for n, (i, d) in enumerate(points):
        if n == 0 or i != points[n - 1][0] + 1:
            runs.append([])
        runs[-1].append(f"{_x(i, count):.1f},{_y(d.fallback_rate, 1):.1f}")
    lines = [f'<polyline class="line" points="{" ".join(r)}"/>' for r in runs if len(r) > 1]
    radius = 3 if count <= 31 else 1.5
    dots = [
        f'<circle class="dot" cx="{_x(i, count):.1f}" cy="{_y(d.fallback_rate, 1):.1f}" '
        f'r="{radius}"><title>{_short(d.day)}: {_percent(d.fallback_rate)} '
        f"({d.fallbacks:,} of {d.questions:,})</title></circle>"
        for i, d in points
    ]
    desc = (
        "Line chart of the share of each day's questions that got a fallback reply, "
        "from 0% to 100%; days without questions are left out. Over the whole period: "
        f"{_percent(report.rates.get('fallback', 0.0))}."
    )
    return _svg(
        "fallback-chart", "Fallback rate over time", desc, days, ticks, "\n".join(lines + dots)
    )


def _questions_table(days: Sequence[DayRow]) -> str:
    head = ("Day", "Questions", "Answered", "Fallback", "Urgent", "Small talk")
    rows = (
        (
            _day(d.day),
            *(f"{n:,}" for n in (d.questions, d.answers, d.fallbacks, d.urgent, d.smalltalk)),
        )
        for d in days
    )
    return _table(head, rows)


def _fallback_table(days: Sequence[DayRow]) -> str:
    head = ("Day", "Questions", "Fallbacks", "Rate")
    rows = (
        (
            _day(d.day),
            f"{d.questions:,}",
            f"{d.fallbacks:,}",
            _percent(d.fallback_rate) if d.questions else "\u2014",
        )
        for d in days
    )
    return _table(head, rows)


def _topic(title: str, entry_id: str) -> str:
    return f'<div class="topic">{_e(title)}<br><code>{_e(entry_id)}</code></div>'


def _topics(report: UsageReport) -> str:
    if not report.topics:
        return _section("Most asked topics", _empty("No topic was asked about in this period."))
    rows = (
        (
            _topic(t.title, t.entry_id),
            f"{t.count:,}",
            _percent(t.count / report.total) if report.total else "\u2014",
        )
        for t in report.topics
    )
    return _section("Most asked topics", _table(("Topic", "Questions", "Share"), rows))


def _unhelpful(report: UsageReport) -> str:
    title = "Topics rated not helpful"
    if not report.unhelpful:
        return _section(title, _empty("No answer was rated not helpful in this period."))
    rows = (
        (
            _topic(v.title, v.entry_id),
            f"{v.not_helpful:,}",
            f"{v.helpful:,}",
            _percent(v.not_helpful / votes) if (votes := v.helpful + v.not_helpful) else "\u2014",
        )
        for v in report.unhelpful
    )
    head = ("Topic", "Not helpful", "Helpful", "% not helpful")
    return _section(title, _table(head, rows))


def _group(group: QuestionGroup, texts_stored: bool) -> str:
    closest = f"closest topic: {_e(group.closest)}" if group.closest else "no close topic"
    parts = [f"<li><b>{_plural(group.count, 'message')}</b> \u00b7 {closest}"]
    if texts_stored and group.examples:
        parts.append('<ul class="examples">')
        parts += [f"<li><bdi>{_e(example)}</bdi></li>" for example in group.examples]
        parts.append("</ul>")
    parts.append("</li>")
    return "".join(parts)


def _unanswered(report: UsageReport) -> str:
    title = "Unanswered questions"
    notice = (
        ['<p class="notice">Question text storage is turned off, so only counts are shown.</p>']
        if not report.texts_stored
        else []
    )
    if not report.unanswered:
        return _section(title, *notice, _empty("No unanswered questions in this period."))
    total = sum(g.count for g in report.unanswered)
    intro = (
        f"<p>{_plural(total, 'message')} in {_plural(len(report.unanswered), 'group')}, "
        "most frequent first.</p>"
    )
    groups = "\n".join(_group(g, report.texts_stored) for g in report.unanswered)
    return _section(title, *notice, intro, f'<ol class="groups">\n{groups}\n</ol>')
