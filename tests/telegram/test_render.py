from __future__ import annotations

import html
import re

import pytest

from bot.core.responder import Option, Reply, Responder
from bot.telegram.render import escape, label, render_reply, render_section
from bot.telegram.split import split_html, visible_length
from tests.telegram.fake_bot_api import text_problems


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_knowledge_base_text_is_escaped_and_lists_become_bullets(responder: Responder) -> None:
    reply = Reply(
        kind="answer",
        text="",
        body='Use <heat> & "rest".\n- first\n- second',
        entry_id="x",
        title="Heat & <cold>",
        section="A <section>",
        disclaimer="Not advice & see a doctor.",
        options=(Option("heat-and-cold", "A" * 100),),
        options_label="Related:",
    )
    rendered = render_reply(reply, responder.kb)
    assert rendered.text.startswith("<b>Heat &amp; &lt;cold&gt;</b>\n\n")
    assert 'Use &lt;heat&gt; &amp; "rest".\n• first\n• second' in rendered.text
    assert "A &lt;section&gt;</i>" in rendered.text
    assert text_problems(rendered.text, "HTML") == []
    assert rendered.keyboard is not None
    [[button]] = rendered.keyboard.inline_keyboard
    assert len(button.text) <= 60
    assert button.text.endswith("…")


def test_every_entry_renders_as_html_telegram_accepts(responder: Responder) -> None:
    for entry in responder.kb.entries:
        reply = responder.entry_reply(entry.id)
        assert reply is not None
        rendered = render_reply(reply, responder.kb)
        assert text_problems(rendered.text, "HTML") == [], entry.id


def test_every_section_menu_renders_with_a_back_button(responder: Responder) -> None:
    for index in range(len(responder.kb.sections)):
        rendered = render_section(responder.kb, index)
        assert rendered is not None
        assert rendered.keyboard is not None
        assert rendered.keyboard.inline_keyboard[-1][0].callback_data == "t"
        assert text_problems(rendered.text, "HTML") == []
    assert render_section(responder.kb, len(responder.kb.sections)) is None


def test_visible_length_counts_entities_once_and_emoji_as_telegram_does() -> None:
    assert visible_length("<b>a &amp; b</b>") == 5
    assert visible_length("💪") == 2


def test_short_text_is_not_split() -> None:
    assert split_html("<b>hi</b> there") == ["<b>hi</b> there"]


@pytest.mark.parametrize("limit", [50, 120, 4096])
def test_split_parts_fit_keep_tags_balanced_and_lose_no_words(limit: int) -> None:
    paragraph = "<b>Bold start</b> then text &amp; more 💪 text, " * 30
    markup = f"<i>{paragraph}</i>\n\n" * 12
    parts = split_html(markup, limit)
    assert len(parts) > 1
    for part in parts:
        assert visible_length(part) <= limit
        assert [p for p in text_problems(part, "HTML") if "too long" not in p] == []
    words = visible(markup).split()
    assert " ".join(visible(p) for p in parts).split() == words


def test_split_prefers_paragraph_breaks() -> None:
    first, second = "a" * 60, "b" * 60
    assert split_html(f"{first}\n\n{second}", 100) == [first, second]


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    parts = split_html("x" * 250, 100)
    assert [len(p) for p in parts] == [100, 100, 50]


def test_escape_keeps_quotes_readable() -> None:
    assert escape(' it\'s "fine" ') == 'it\'s "fine"'


def test_labels_collapse_whitespace() -> None:
    assert label("  Heat\n and  cold ") == "Heat and cold"


def test_urgent_replies_never_carry_buttons_or_extras(responder: Responder) -> None:
    reply = Reply(
        kind="urgent",
        text="Call emergency services now.",
        body="Call emergency services now (A&E).",
        disclaimer="Not advice.",
        options=(Option("heat-and-cold", "Heat and cold"),),
        options_label="Related:",
    )
    rendered = render_reply(reply, responder.kb)
    assert rendered.keyboard is None
    assert rendered.text == "Call emergency services now (A&amp;E)."
