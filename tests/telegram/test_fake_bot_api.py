"""The fake Bot API refuses what Telegram refuses, so the other tests can catch real bugs."""

from __future__ import annotations

import pytest

from tests.telegram.fake_bot_api import TOKEN, BotApi


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"chat_id": "1", "text": "<b>open", "parse_mode": "HTML"}, "unclosed"),
        ({"chat_id": "1", "text": "A&E", "parse_mode": "HTML"}, "unescaped '&'"),
        ({"chat_id": "1", "text": "1 < 2", "parse_mode": "HTML"}, "unescaped '<'"),
        ({"chat_id": "1", "text": "<br>", "parse_mode": "HTML"}, "Unsupported start tag"),
        ({"chat_id": "1", "text": "<b><i>x</b></i>", "parse_mode": "HTML"}, "end tag"),
        ({"chat_id": "1", "text": "x" * 4097}, "too long"),
        ({"chat_id": "1", "text": "<b> </b>", "parse_mode": "HTML"}, "empty"),
        (
            {
                "chat_id": "1",
                "text": "ok",
                "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "e" * 65}]]},
            },
            "BUTTON_DATA_INVALID",
        ),
    ],
)
def test_messages_telegram_would_refuse_get_a_400(params: dict[str, object], problem: str) -> None:
    api = BotApi()
    status, payload = api.handle(TOKEN, "sendMessage", params)
    assert status == 400
    assert problem in payload["description"]
    assert api.problems


def test_long_html_is_measured_after_entities() -> None:
    text = "<b>" + "&amp;" * 4096 + "</b>"
    status, _ = BotApi().handle(
        TOKEN, "sendMessage", {"chat_id": "1", "text": text, "parse_mode": "HTML"}
    )
    assert status == 200


def test_unknown_methods_and_wrong_tokens_are_refused() -> None:
    api = BotApi()
    assert api.handle(TOKEN, "sendPhoto", {})[0] == 400
    assert api.handle("1:wrong", "getMe", {})[0] == 401


def test_inline_answers_are_limited_to_50_results() -> None:
    result = {
        "type": "article",
        "title": "t",
        "input_message_content": {"message_text": "x"},
    }
    results = [{**result, "id": str(i)} for i in range(51)]
    status, payload = BotApi().handle(
        TOKEN, "answerInlineQuery", {"inline_query_id": "1", "results": results}
    )
    assert status == 400
    assert "RESULTS_TOO_MUCH" in payload["description"]
