"""The curator's view of the bot's use: the usage report's data and its HTML rendering.

Imports nothing from telegram, like the core.
"""

from __future__ import annotations

from bot.curation.html import render_html
from bot.curation.model import DayRow, QuestionGroup, TopicRow, UsageReport, VoteRow

__all__ = [
    "DayRow",
    "QuestionGroup",
    "TopicRow",
    "UsageReport",
    "VoteRow",
    "render_html",
]
