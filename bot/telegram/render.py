"""Turn core replies and the topic menu into Telegram HTML and inline keyboards."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.models import KnowledgeBase, Messages
from bot.core.responder import Option, Reply

# Telegram allows 64 bytes of callback data; "e:" plus an entry id (<= 60 chars) fits.
CALLBACK_LIMIT = 64
# Longer button labels are cut off on phones, so shorten them ourselves.
LABEL_LIMIT = 60
ENTRY_PREFIX = "e:"
SECTION_PREFIX = "s:"
TOPICS_DATA = "t"
VOTE_PREFIX = "v:"


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message to send: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    # An urgent or crisis reply: resent even when a first try may have arrived.
    urgent: bool = False


def escape(text: str) -> str:
    """Escape knowledge-base text for HTML and show its "- " lines as bullets."""
    lines = html.escape(text.strip(), quote=False).split("\n")
    return "\n".join("• " + line[2:] if line.startswith("- ") else line for line in lines)


def paragraphs(*texts: str) -> str:
    """Escape each text and join them with blank lines."""
    return "\n\n".join(escape(text) for text in texts if text.strip())


def label(text: str, limit: int = LABEL_LIMIT) -> str:
    """Put text on one line and shorten it to ``limit`` characters (button labels, previews)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def entry_data(entry_id: str) -> str:
    """Return the callback data that opens an entry."""
    return ENTRY_PREFIX + entry_id


def option_keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
    """Return one button per option, one per row, or None when there are none."""
    rows = [
        [InlineKeyboardButton(label(o.title), callback_data=entry_data(o.entry_id))]
        for o in options
        if len(entry_data(o.entry_id).encode()) <= CALLBACK_LIMIT
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def answer_html(reply: Reply, messages: Messages) -> str:
    """Return an answer as HTML: title, answer, cited section, safety net and disclaimer."""
    parts = [f"<b>{escape(reply.title or '')}</b>", escape(reply.body)]
    if reply.note:
        parts.insert(0, f"<i>{escape(reply.note)}</i>")
    if reply.section:
        parts.append(f"<i>{escape(f'{messages.source_label}: {reply.section}')}</i>")
    parts += safety_net_html(reply)
    if reply.disclaimer:
        parts.append(escape(reply.disclaimer))
    return "\n\n".join(parts)


def safety_net_html(reply: Reply) -> list[str]:
    """Return the reply's safety-net lines, in bold so they stand out from the answer."""
    return [f"<b>{escape(line)}</b>" for line in reply.safety_net]


def render_reply(reply: Reply, kb: KnowledgeBase, *, feedback: str | None = None) -> Rendered:
    """Render any core reply; urgent replies get no buttons that could distract from them.

    ``feedback`` is the reference an answer's "helpful / not helpful" buttons carry.
    """
    if reply.kind == "urgent":
        return Rendered(escape(reply.body), urgent=True)
    if reply.kind == "answer":
        text = answer_html(reply, kb.messages)
    else:
        parts = [escape(reply.body), *safety_net_html(reply)]
        if reply.disclaimer:
            parts.append(escape(reply.disclaimer))
        text = "\n\n".join(parts)
    keyboard = option_keyboard(reply.options)
    if keyboard is not None and reply.options_label:
        text += "\n\n" + escape(reply.options_label)
    elif keyboard is None and reply.show_topics:
        text += "\n\n" + escape(kb.messages.topics_header)
        keyboard = topics_keyboard(kb)
    if reply.kind == "answer" and feedback is not None:
        rows = [list(row) for row in keyboard.inline_keyboard] if keyboard else []
        rows.append(feedback_row(feedback, kb.messages))
        keyboard = InlineKeyboardMarkup(rows)
    return Rendered(text, keyboard)


def vote_data(ref: str, helpful: bool) -> str:
    """Return the callback data of a feedback button."""
    return f"{VOTE_PREFIX}{ref}:{int(helpful)}"


def feedback_row(
    ref: str, messages: Messages, chosen: bool | None = None
) -> list[InlineKeyboardButton]:
    """Return the "helpful / not helpful" buttons, the chosen one ticked."""
    labels = ((True, messages.feedback_helpful), (False, messages.feedback_not_helpful))
    return [
        InlineKeyboardButton(
            ("✓ " if chosen is value else "") + label, callback_data=vote_data(ref, value)
        )
        for value, label in labels
    ]


def mark_vote(
    markup: InlineKeyboardMarkup, ref: str, helpful: bool, messages: Messages
) -> InlineKeyboardMarkup:
    """Return an answer's keyboard with the patient's vote ticked (other rows unchanged)."""
    mine = f"{VOTE_PREFIX}{ref}:"
    rows = [
        feedback_row(ref, messages, helpful)
        if any(str(b.callback_data or "").startswith(mine) for b in row)
        else list(row)
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(rows)


def topics_keyboard(kb: KnowledgeBase) -> InlineKeyboardMarkup:
    """Return one button per article section that has entries."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label(section.label), callback_data=f"{SECTION_PREFIX}{i}")]
            for i, section in enumerate(kb.sections)
            if kb.entries_in(section.heading)
        ]
    )


def render_topics(kb: KnowledgeBase, *intro: str) -> Rendered:
    """Render the section list, after optional introductory texts (welcome, disclaimer)."""
    return Rendered(paragraphs(*intro, kb.messages.topics_header), topics_keyboard(kb))


def render_section(kb: KnowledgeBase, index: int) -> Rendered | None:
    """Render one section's entries as buttons with a back button, or None if out of range."""
    if not 0 <= index < len(kb.sections):
        return None
    section = kb.sections[index]
    options = tuple(Option(e.id, e.title) for e in kb.entries_in(section.heading))
    keyboard = option_keyboard(options)
    rows = [list(row) for row in keyboard.inline_keyboard] if keyboard else []
    rows.append([InlineKeyboardButton(label(kb.messages.back_button), callback_data=TOPICS_DATA)])
    text = f"<b>{escape(section.heading)}</b>\n\n{escape(kb.messages.section_header)}"
    return Rendered(text, InlineKeyboardMarkup(rows))


def render_unknown_topic(kb: KnowledgeBase) -> Rendered:
    """Say a topic no longer exists and show the section list instead."""
    return render_topics(kb, kb.messages.unknown_topic)
