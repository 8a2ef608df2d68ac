"""The fake Bot API refuses what Telegram refuses, so the other tests can catch real bugs.

Its injected faults do what they say over real HTTP, so the tests that use them can trust
what they see.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.telegram.fake_bot_api import (
    BROKEN_BODY,
    TOKEN,
    BotApi,
    FakeBotApiServer,
    Fault,
)


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
    assert api.handle("1:wrong", "getUpdates", {})[0] == 401
    assert [c.method for c in api.calls] == ["sendPhoto"]
    assert [(c.method, c.status) for c in api.attempts][1:] == [
        ("getMe", 401),
        ("getUpdates", 401),
    ]


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


# --- faults over HTTP -------------------------------------------------------------------------

MESSAGE = {"chat_id": 4242, "text": "hello"}
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class Client:
    """Talk to a FakeBotApiServer as the bot does: JSON in, (status, body) out."""

    def __init__(self, server: FakeBotApiServer, http: httpx.Client) -> None:
        self.server = server
        self.http = http

    def url(self, method: str) -> str:
        return f"{self.server.base_url}{TOKEN}/{method}"

    def post(self, method: str, params: dict[str, Any], timeout: float = 5.0) -> httpx.Response:
        return self.http.post(self.url(method), json=params, timeout=timeout)

    def json(self, method: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = self.post(method, params or {})
        return response.status_code, response.json()


@pytest.fixture
def api() -> BotApi:
    return BotApi()


@pytest.fixture
def client(api: BotApi) -> Iterator[Client]:
    with FakeBotApiServer(api) as server, httpx.Client() as http:
        yield Client(server, http)


def test_a_status_fault_answers_telegrams_error_and_delivers_nothing(
    api: BotApi, client: Client
) -> None:
    api.inject("sendMessage", Fault.status(503))
    assert client.json("sendMessage", MESSAGE) == (
        503,
        {"ok": False, "error_code": 503, "description": "Service Unavailable"},
    )
    assert api.calls == []
    [attempt] = api.attempts
    assert attempt.fault == Fault.status(503)
    assert (attempt.status, attempt.accepted) == (503, False)
    # The queue is empty again: the next request is carried out.
    status, body = client.json("sendMessage", MESSAGE)
    assert (status, body["ok"]) == (200, True)
    assert [c.text for c in api.delivered(chat_id=4242)] == ["hello"]


def test_a_status_fault_carries_telegrams_description(api: BotApi, client: Client) -> None:
    api.inject("answerCallbackQuery", Fault.status(400, TOO_OLD))
    status, body = client.json("answerCallbackQuery", {"callback_query_id": "cq1"})
    assert (status, body["description"]) == (400, TOO_OLD)
    assert api.delivered("answerCallbackQuery") == []


def test_retry_after_answers_429_and_times_the_retry(api: BotApi, client: Client) -> None:
    api.inject("sendMessage", Fault.retry_after(3))
    assert client.json("sendMessage", MESSAGE) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    [limited] = api.rate_limited
    assert (limited.method, limited.retry_after) == ("sendMessage", 3)
    assert api.calls == []
    client.json("sendMessage", {"chat_id": 1, "text": "another chat, not a retry"})
    assert api.early_retries() == []
    client.json("sendMessage", MESSAGE)
    [(throttled, retry)] = api.early_retries()
    assert throttled.time == limited.time
    assert retry.time - throttled.time < 3
    assert retry.accepted
    # A retry is only early beyond the slack allowed.
    assert api.early_retries(slack=3.0) == []


def test_a_drop_closes_the_connection_without_a_byte(api: BotApi, client: Client) -> None:
    api.inject("sendMessage", Fault.drop())
    url = urlsplit(client.url("sendMessage"))
    body = json.dumps(MESSAGE).encode()
    request = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    assert url.hostname is not None
    assert url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=5) as connection:
        connection.sendall(request + body)
        assert connection.recv(1024) == b""
    assert api.calls == []
    [attempt] = api.attempts
    assert (attempt.status, attempt.accepted) == (None, False)


def test_a_drop_is_a_protocol_error_for_an_http_client(api: BotApi, client: Client) -> None:
    api.inject("getMe", Fault.drop())
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("getMe", {})
    assert client.json("getMe")[0] == 200


def test_a_broken_body_after_delivery_still_sends_the_message(api: BotApi, client: Client) -> None:
    api.inject("sendMessage", Fault.broken())
    response = client.post("sendMessage", MESSAGE)
    assert response.status_code == 200
    assert response.content == BROKEN_BODY
    with pytest.raises(json.JSONDecodeError):
        response.json()
    [sent] = api.delivered()
    assert (sent.fault, sent.status) == (Fault.broken(), 200)
    # Its message id was taken: the next message gets the one after it.
    first_id = client.json("sendMessage", MESSAGE)[1]["result"]["message_id"]
    api.inject("sendMessage", Fault.broken())
    client.post("sendMessage", MESSAGE)
    assert client.json("sendMessage", MESSAGE)[1]["result"]["message_id"] == first_id + 2


def test_a_broken_body_without_delivery_sends_nothing(api: BotApi, client: Client) -> None:
    api.inject("editMessageText", Fault.broken(502, deliver=False))
    response = client.post("editMessageText", {**MESSAGE, "message_id": 7})
    assert (response.status_code, response.content) == (502, BROKEN_BODY)
    assert api.calls == []
    assert api.attempts[0].status == 502


def test_a_late_answer_is_delivered_although_the_client_gave_up(
    api: BotApi, client: Client
) -> None:
    api.inject("sendMessage", Fault.late(0.6))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post("sendMessage", MESSAGE, timeout=0.2)
    assert time.monotonic() - started < 0.5
    [sent] = api.delivered()
    assert sent.fault == Fault.late(0.6)
    # A patient client gets the normal answer, after the delay.
    api.inject("sendMessage", Fault.late(0.3))
    started = time.monotonic()
    status, body = client.json("sendMessage", MESSAGE)
    assert time.monotonic() - started >= 0.3
    assert (status, body["ok"]) == (200, True)
    assert len(api.delivered()) == 2


def test_a_late_answer_without_delivery_is_a_bad_gateway(api: BotApi, client: Client) -> None:
    api.inject("sendMessage", Fault.late(0.2, deliver=False))
    started = time.monotonic()
    status, body = client.json("sendMessage", MESSAGE)
    assert time.monotonic() - started >= 0.2
    assert (status, body["error_code"]) == (502, 502)
    assert api.calls == []


def test_faults_are_taken_in_order_per_method(api: BotApi, client: Client) -> None:
    api.inject("sendMessage", Fault.status(500), Fault.status(502))
    api.inject("sendMessage", Fault.retry_after(1))
    api.inject("answerCallbackQuery", Fault.status(400, TOO_OLD))
    assert api.faults_left("sendMessage") == 3
    assert client.json("getMe")[0] == 200, "other methods are not affected"
    statuses = [client.json("sendMessage", MESSAGE)[0] for _ in range(4)]
    assert statuses == [500, 502, 429, 200]
    assert api.faults_left("sendMessage") == 0
    assert api.faults_left("answerCallbackQuery") == 1
    assert [a.method for a in api.attempts] == ["getMe", *["sendMessage"] * 4]
    assert [c.method for c in api.calls] == ["getMe", "sendMessage"]
    times = [a.time for a in api.attempts]
    assert times == sorted(times)


@pytest.mark.parametrize(
    "fault",
    [Fault.status(502), Fault.drop(), Fault.broken(), Fault.late(0.1), Fault.retry_after(1)],
    ids=lambda fault: fault.kind,
)
def test_a_faulted_get_updates_hands_out_and_confirms_nothing(
    api: BotApi, client: Client, fault: Fault
) -> None:
    first = api.push_update({"message": {"text": "one"}})
    client.json("getUpdates", {"timeout": 0})
    api.push_update({"message": {"text": "two"}})
    api.inject("getUpdates", fault)
    try:
        status, body = client.json("getUpdates", {"offset": first + 1, "timeout": 0})
    except (httpx.RemoteProtocolError, json.JSONDecodeError):
        pass
    else:
        assert body.get("result", []) == []
        assert status == (200 if fault.kind in {"late", "broken"} else fault.code)
    # The first update was not confirmed by the faulted request's offset.
    status, body = client.json("getUpdates", {"timeout": 0})
    assert [u["update_id"] for u in body["result"]] == [first, first + 1]
    assert [a.fault for a in api.attempts] == [None, fault, None]
    assert len(api.calls_to("getUpdates")) == 2


def test_get_updates_honours_limit_and_records_when_updates_were_handed_out(
    api: BotApi, client: Client
) -> None:
    ids = [api.push_update({"message": {"text": str(i)}}) for i in range(150)]
    before = time.monotonic()
    assert len(client.json("getUpdates", {"timeout": 0})[1]["result"]) == 100
    batch = client.json("getUpdates", {"offset": ids[100], "limit": 5})[1]["result"]
    assert [u["update_id"] for u in batch] == ids[100:105]
    assert set(api.handed_out) == set(ids[:105])
    assert all(before <= t <= time.monotonic() for t in api.handed_out.values())


def test_push_raw_keeps_the_update_as_given(api: BotApi, client: Client) -> None:
    without_date = {"update_id": 5000, "message": {"chat": {"id": 1}, "text": "x" * 20_000}}
    unknown = {"some_future_update": {"id": "f1"}}
    assert api.push_raw(without_date) == 5000
    assigned = api.push_raw(unknown)
    assert assigned == 5001, "new ids continue after the given ones"
    body = client.json("getUpdates", {"timeout": 0})[1]
    assert body["result"] == [without_date, {"update_id": 5001, **unknown}]
    assert unknown == {"some_future_update": {"id": "f1"}}, "the caller's dict is untouched"


def test_push_raw_hands_out_an_update_id_no_offset_can_confirm_once(
    api: BotApi, client: Client
) -> None:
    api.push_raw({"update_id": "not a number", "message": {}})
    assert len(client.json("getUpdates", {"timeout": 0})[1]["result"]) == 1
    assert client.json("getUpdates", {"timeout": 0})[1]["result"] == []


def test_delivered_counts_only_what_reached_the_chat(api: BotApi) -> None:
    api.handle(TOKEN, "sendMessage", {"chat_id": "1", "text": "one"})
    api.handle(TOKEN, "sendMessage", {"chat_id": "2", "text": "two"})
    api.handle(TOKEN, "sendMessage", {"chat_id": "1", "text": "<b>refused", "parse_mode": "HTML"})
    api.fail_next["sendMessage"] = "Bad Request: chat not found"
    api.handle(TOKEN, "sendMessage", {"chat_id": "1", "text": "failed"})
    assert [c.text for c in api.delivered(chat_id=1)] == ["one"]
    assert [c.text for c in api.delivered()] == ["one", "two"]
    assert len(api.calls_to("sendMessage")) == 4, "calls keeps the refused ones"


def test_replies_name_the_message_they_quote(api: BotApi) -> None:
    api.handle(TOKEN, "sendMessage", {**MESSAGE, "reply_parameters": {"message_id": 9}})
    api.handle(TOKEN, "sendMessage", {**MESSAGE, "reply_to_message_id": "8"})
    api.handle(TOKEN, "sendMessage", MESSAGE)
    assert [c.reply_to for c in api.delivered()] == [9, 8, None]


def test_in_process_faults_behave_like_their_http_forms(api: BotApi) -> None:
    api.inject("getMe", Fault.drop(), Fault.broken(), Fault.retry_after(2))
    with pytest.raises(ConnectionResetError):
        api.handle(TOKEN, "getMe", {})
    assert api.handle(TOKEN, "getMe", {}) == (200, BROKEN_BODY.decode())
    status, body = api.handle(TOKEN, "getMe", {})
    assert (status, body["parameters"]) == (429, {"retry_after": 2})


def test_new_calls_waits_for_calls_after_an_index(api: BotApi) -> None:
    assert api.new_calls(0, timeout=0.05) == []
    api.handle(TOKEN, "getMe", {})
    assert [c.method for c in api.new_calls(0, timeout=1)] == ["getMe"]
    assert api.new_calls(1, timeout=0.05) == []
