"""A fake Telegram Bot API that checks what the bot sends the way Telegram would.

``BotApi`` holds the state and the rules (used in-process by the handler tests);
``FakeBotApiServer`` serves it over HTTP on 127.0.0.1 for the end-to-end tests.

Network and server trouble is injected per method with ``BotApi.inject`` and ``Fault``:
an error status, "retry after", a dropped connection, a body that is not JSON, or a late
answer. ``BotApi.calls`` holds the requests the server carried out (what a patient would
see); ``BotApi.attempts`` holds every request that arrived, faulted or not.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456789:TEST-token_that-must-never-be-logged"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "AS Helper",
    "username": "as_helper_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}

MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
INLINE_RESULTS_LIMIT = 50
# getUpdates hands out at most this many updates at once unless asked for fewer (as Telegram).
UPDATES_LIMIT = 100
# The tags Telegram's HTML parse mode accepts (the subset this bot may use).
TELEGRAM_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote"}
_TAG = re.compile(r"</?([a-z-]+)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
# Methods that answer True when their parameters are acceptable.
_TRUE_METHODS = {
    "answerCallbackQuery",
    "answerInlineQuery",
    "setMyCommands",
    "setMyDescription",
    "setMyShortDescription",
    "deleteWebhook",
    "setWebhook",
}
# How often the server thread checks whether it should stop.
SHUTDOWN_POLL_SECONDS = 0.02
# What a broken proxy in front of the Bot API answers instead of JSON.
BROKEN_BODY = b"<html><head><title>oops</title></head><body>oops</body></html>"

FaultKind = Literal["status", "retry_after", "drop", "broken", "late"]


def error_body(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    """Return Telegram's JSON error body (with ``parameters`` when given)."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return f"Error {code}"


@dataclass(frozen=True)
class Fault:
    """One way a request can go wrong; queue it for a method with ``BotApi.inject``.

    Build one with the class methods. ``deliver`` says whether the server still carries
    the request out (the patient sees the message) although the bot is told otherwise; on
    getUpdates nothing is ever carried out: no updates are handed out or confirmed.
    """

    kind: FaultKind
    code: int = 200
    description: str = ""
    retry_after_seconds: int = 0
    delay: float = 0.0
    deliver: bool = False

    @classmethod
    def status(cls, code: int, description: str | None = None) -> Fault:
        """Answer HTTP ``code`` with Telegram's error body; nothing is carried out."""
        return cls("status", code=code, description=description or _phrase(code))

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        """Answer 429 "Too Many Requests: retry after ``seconds``"; nothing is carried out."""
        return cls(
            "retry_after",
            code=429,
            description=f"Too Many Requests: retry after {seconds}",
            retry_after_seconds=seconds,
        )

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without any answer; nothing is carried out."""
        return cls("drop", code=0)

    @classmethod
    def broken(cls, status: int = 200, deliver: bool = True) -> Fault:
        """Answer HTTP ``status`` with HTML, not JSON, having carried it out if ``deliver``."""
        return cls("broken", code=status, deliver=deliver)

    @classmethod
    def late(cls, delay: float, deliver: bool = True) -> Fault:
        """Carry the request out (if ``deliver``) and answer ``delay`` seconds later.

        Without ``deliver`` nothing is carried out and the late answer is a 502 Bad Gateway
        (on getUpdates: no updates).
        """
        return cls("late", code=502, description=_phrase(502), delay=delay, deliver=deliver)


@dataclass(frozen=True)
class Call:
    """One request the bot made: the Bot API method and its decoded parameters.

    ``time`` is when it arrived (``time.monotonic()``), ``fault`` what was injected into it,
    ``status`` the HTTP status sent back (None when the connection was dropped) and
    ``accepted`` whether the server carried it out (a message was sent, a query answered).
    """

    method: str
    params: dict[str, Any]
    time: float = field(default_factory=time.monotonic, compare=False)
    fault: Fault | None = None
    status: int | None = 200
    accepted: bool = True

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    @property
    def chat_id(self) -> str | None:
        """The chat the request is for, as text (None when it names none)."""
        chat = self.params.get("chat_id")
        return None if chat is None else str(chat)

    @property
    def reply_to(self) -> int | None:
        """The message id this message quotes (reply_parameters or reply_to_message_id)."""
        quoted = (self.params.get("reply_parameters") or {}).get("message_id")
        quoted = quoted if quoted is not None else self.params.get("reply_to_message_id")
        return None if quoted is None else int(quoted)


class RateLimited(NamedTuple):
    """A 429 the server sent: the method, when (``time.monotonic()``) and the seconds asked."""

    method: str
    time: float
    retry_after: int


@dataclass(frozen=True)
class Answer:
    """What the server sends back for one request.

    ``payload`` is JSON-encoded unless ``raw`` is set; ``dropped`` means the connection is
    closed without an answer; ``delay`` is how long to wait before answering.
    """

    status: int
    payload: Any = None
    raw: bytes | None = None
    delay: float = 0.0
    dropped: bool = False

    @property
    def body(self) -> bytes:
        return self.raw if self.raw is not None else json.dumps(self.payload).encode()

    @property
    def content_type(self) -> str:
        return "text/html" if self.raw is not None else "application/json"


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f'Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f'Unsupported self-closing tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f'Can\'t find start tag for end tag "{tag}"')
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def utf16_length(text: str) -> int:
    """Return the length Telegram measures: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def text_problems(text: Any, parse_mode: Any) -> list[str]:
    """Return why Telegram would refuse this message text (empty list when it is fine)."""
    if not isinstance(text, str):
        return ["text must be a string"]
    visible = text
    problems = []
    if parse_mode == "HTML":
        for position, char in enumerate(text):
            if char == "<" and not _TAG.match(text, position):
                problems.append(f"can't parse entities: unescaped '<' at {position}")
            if char == "&" and not _ENTITY.match(text, position):
                problems.append(f"can't parse entities: unescaped '&' at {position}")
        parser = _TelegramHtml()
        parser.feed(text)
        parser.close()
        problems += [f"can't parse entities: {p}" for p in parser.problems]
        if parser.open:
            problems.append(f"can't parse entities: unclosed tags {parser.open}")
        visible = "".join(parser.visible)
    if not visible.strip():
        problems.append("message text is empty")
    if utf16_length(visible) > MESSAGE_LIMIT:
        problems.append(f"message is too long ({utf16_length(visible)} > {MESSAGE_LIMIT})")
    return problems


def markup_problems(markup: Any) -> list[str]:
    """Return why Telegram would refuse this reply_markup."""
    if markup is None:
        return []
    problems = []
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                problems.append("button text is empty")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                problems.append(f"BUTTON_DATA_INVALID: {data!r}")
    return problems


def request_problems(method: str, params: dict[str, Any]) -> list[str]:
    """Return what Telegram would answer 400 for, for the methods this bot uses."""
    if method in {"sendMessage", "editMessageText"}:
        problems = text_problems(params.get("text"), params.get("parse_mode"))
        problems += markup_problems(params.get("reply_markup"))
        if method == "sendMessage" and "chat_id" not in params:
            problems.append("chat_id is required")
        if method == "editMessageText" and not (
            {"chat_id", "message_id"} <= set(params) or "inline_message_id" in params
        ):
            problems.append("message to edit not specified")
        return problems
    if method == "answerCallbackQuery":
        return [] if params.get("callback_query_id") else ["callback_query_id is required"]
    if method == "answerInlineQuery":
        return _inline_problems(params)
    if method == "setMyCommands":
        problems = []
        for command in params.get("commands", []):
            if not _COMMAND.match(command.get("command", "")):
                problems.append(f"BOT_COMMAND_INVALID: {command!r}")
            if not 1 <= len(command.get("description", "")) <= 256:
                problems.append(f"command description length: {command!r}")
        return problems
    if method == "setMyDescription":
        return _length_problems(params.get("description", ""), 512, "description")
    if method == "setMyShortDescription":
        return _length_problems(params.get("short_description", ""), 120, "short description")
    if method == "setWebhook":
        url = str(params.get("url", ""))
        return [] if url.startswith("https://") else ["bad webhook: HTTPS URL must be provided"]
    return []


def _length_problems(text: Any, limit: int, what: str) -> list[str]:
    if not isinstance(text, str):
        return [f"{what} must be a string"]
    return [] if len(text) <= limit else [f"{what} is too long ({len(text)} > {limit})"]


def _inline_problems(params: dict[str, Any]) -> list[str]:
    results = params.get("results", [])
    problems = []
    if len(results) > INLINE_RESULTS_LIMIT:
        problems.append(f"RESULTS_TOO_MUCH: {len(results)}")
    ids = [r.get("id", "") for r in results]
    if len(set(ids)) != len(ids):
        problems.append("RESULT_ID_DUPLICATE")
    button = params.get("button")
    if button is not None and not (button.get("text") and button.get("start_parameter")):
        problems.append("inline results button needs text and start_parameter")
    for result in results:
        if not 1 <= len(str(result.get("id", "")).encode()) <= 64:
            problems.append(f"RESULT_ID_INVALID: {result.get('id')!r}")
        if result.get("type") == "article" and not result.get("title"):
            problems.append("article title is empty")
        content = result.get("input_message_content") or {}
        problems += text_problems(content.get("message_text"), content.get("parse_mode"))
        problems += markup_problems(result.get("reply_markup"))
    return problems


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """Decode form fields the way Telegram does: JSON for objects and arrays, text otherwise."""
    return {key: json.loads(v) if v[:1] in "{[" else v for key, v in raw.items()}


class BotApi:
    """Bot API state: answers requests, records them, and queues updates for getUpdates."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        # Requests the server carried out or refused on their merits, in order of arrival.
        self.calls: list[Call] = []
        # Every request that arrived, with the fault injected into it (if any).
        self.attempts: list[Call] = []
        # Every 429 sent.
        self.rate_limited: list[RateLimited] = []
        # update_id -> when getUpdates first handed the update out (time.monotonic()).
        self.handed_out: dict[int, float] = {}
        self.problems: list[str] = []
        self._updates: list[dict[str, Any]] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._next_update_id = 1000
        self._next_message_id = 500
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self.closed = False
        # method -> Telegram's error description, returned once (to test error paths).
        self.fail_next: dict[str, str] = {}

    # --- what the tests use -------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates and return its update_id."""
        with self._changed:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
            self._updates.append(update)
            self._changed.notify_all()
            return int(update["update_id"])

    def push_raw(self, update: dict[str, Any]) -> Any:
        """Queue an update exactly as given (malformed ones too); return its update_id.

        Only a missing update_id is added. An update_id that is not an integer is handed out
        once; an integer one stays queued until an offset confirms it, as on Telegram.
        """
        with self._changed:
            if "update_id" not in update:
                update = {"update_id": self._next_update_id, **update}
            update_id = update["update_id"]
            if isinstance(update_id, int):
                self._next_update_id = max(self._next_update_id, update_id + 1)
            self._updates.append(update)
            self._changed.notify_all()
            return update_id

    def inject(self, method: str, *faults: Fault) -> None:
        """Queue faults for ``method``: each request for it takes the next one, in order."""
        with self._changed:
            self._faults.setdefault(method, deque()).extend(faults)

    def faults_left(self, method: str) -> int:
        """Return how many injected faults for ``method`` no request has taken yet."""
        with self._changed:
            return len(self._faults.get(method, ()))

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def delivered(
        self, method: str = "sendMessage", chat_id: int | str | None = None
    ) -> list[Call]:
        """Return the calls the server carried out (messages a patient saw), in order."""
        chat = None if chat_id is None else str(chat_id)
        with self._changed:
            return [
                c
                for c in self.calls
                if c.method == method and c.accepted and (chat is None or c.chat_id == chat)
            ]

    def new_calls(self, since: int, *, timeout: float) -> list[Call]:
        """Return ``calls[since:]``, waiting up to ``timeout`` seconds for there to be some."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.calls) <= since and not self.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return self.calls[since:]

    def early_retries(self, slack: float = 0.0) -> list[tuple[Call, Call]]:
        """Return (429'd attempt, next attempt) pairs where the retry came too soon.

        The next attempt is the next request for the same method and chat; it is too soon
        when it arrived more than ``slack`` seconds before retry_after had passed.
        """
        with self._changed:
            attempts = list(self.attempts)
        early = []
        for index, throttled in enumerate(attempts):
            if throttled.fault is None or throttled.fault.kind != "retry_after":
                continue
            retry = next(
                (
                    a
                    for a in attempts[index + 1 :]
                    if a.method == throttled.method and a.chat_id == throttled.chat_id
                ),
                None,
            )
            allowed = throttled.time + throttled.fault.retry_after_seconds - slack
            if retry is not None and retry.time < allowed:
                early.append((throttled, retry))
        return early

    def wait_for(
        self, predicate: Callable[[Call], bool], *, count: int = 1, timeout: float = 10.0
    ) -> list[Call]:
        """Wait until ``count`` recorded calls satisfy ``predicate``; return them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if predicate(c)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"timed out waiting for a call; calls so far: {seen}")
                self._changed.wait(remaining)

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._stopping.set()
            self._changed.notify_all()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (for a late answer), or less if the server is closing."""
        if seconds > 0:
            self._stopping.wait(seconds)

    # --- what the bot uses --------------------------------------------------------------
    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Answer one Bot API request: (HTTP status, JSON body).

        For in-process use: a dropped connection raises ConnectionResetError, a late answer
        blocks for its delay and a broken body comes back as text.
        """
        answer = self.answer(token, method, params)
        if answer.dropped:
            raise ConnectionResetError("the Bot API closed the connection without an answer")
        self.pause(answer.delay)
        if answer.raw is not None:
            return answer.status, answer.raw.decode(errors="replace")
        return answer.status, answer.payload

    def answer(self, token: str, method: str, params: dict[str, Any]) -> Answer:
        """Carry out one request, unless a fault says otherwise; return what to send back."""
        with self._changed:
            queued = self._faults.get(method)
            fault = queued.popleft() if queued else None
            if fault is not None and (not fault.deliver or method == "getUpdates"):
                return self._refuse(method, params, fault)
            if token != self.token:
                self.attempts.append(Call(method, params, fault=fault, status=401, accepted=False))
                self._changed.notify_all()
                return Answer(401, error_body(401, "Unauthorized"))
        if method == "getUpdates":
            return Answer(200, {"ok": True, "result": self._get_updates(params)})
        status, payload = self._carry_out(method, params, fault)
        if fault is None:
            return Answer(status, payload)
        if fault.kind == "broken":
            return Answer(fault.code, raw=BROKEN_BODY)
        return Answer(status, payload, delay=fault.delay)

    def _refuse(self, method: str, params: dict[str, Any], fault: Fault) -> Answer:
        """Answer a request as ``fault`` says without carrying it out (lock held)."""
        now = time.monotonic()
        if fault.kind == "drop":
            answer = Answer(0, dropped=True)
        elif fault.kind == "broken":
            answer = Answer(fault.code, raw=BROKEN_BODY)
        elif fault.kind == "late" and method == "getUpdates":
            answer = Answer(200, {"ok": True, "result": []}, delay=fault.delay)
        elif fault.kind == "retry_after":
            seconds = fault.retry_after_seconds
            body = error_body(fault.code, fault.description, retry_after=seconds)
            answer = Answer(fault.code, body)
            self.rate_limited.append(RateLimited(method, now, seconds))
        else:
            answer = Answer(
                fault.code, error_body(fault.code, fault.description), delay=fault.delay
            )
        status = None if answer.dropped else answer.status
        self.attempts.append(Call(method, params, now, fault, status, accepted=False))
        self._changed.notify_all()
        return answer

    def _carry_out(
        self, method: str, params: dict[str, Any], fault: Fault | None
    ) -> tuple[int, Any]:
        with self._changed:
            now = time.monotonic()
            status, payload = self._result(method, params)
            sent = fault.code if fault is not None and fault.kind == "broken" else status
            call = Call(method, params, now, fault, sent, accepted=status == 200)
            self.calls.append(call)
            self.attempts.append(call)
            self._changed.notify_all()
            return status, payload

    def _result(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Apply the rules to one request (lock held): (HTTP status, JSON body)."""
        if method in self.fail_next:
            return 400, error_body(400, self.fail_next.pop(method))
        problems = request_problems(method, params)
        self.problems += [f"{method}: {p}" for p in problems]
        if problems:
            return 400, error_body(400, f"Bad Request: {problems[0]}")
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in _TRUE_METHODS:
            return 200, {"ok": True, "result": True}
        if method in {"sendMessage", "editMessageText"}:
            return 200, {"ok": True, "result": self._message(method, params)}
        return 400, error_body(400, f"Bad Request: method {method} is not implemented by the fake")

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "sendMessage":
            self._next_message_id += 1
            message_id = self._next_message_id
        else:
            message_id = int(params.get("message_id", 0))
        chat_id = int(params.get("chat_id", 0))
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            "text": re.sub(r"<[^>]+>", "", str(params.get("text", ""))),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or UPDATES_LIMIT), 1), UPDATES_LIMIT)
        timeout = min(float(params.get("timeout") or 0), 10.0)
        deadline = time.monotonic() + timeout
        with self._changed:
            # Recorded on arrival: a waiting getUpdates means the bot is up and polling.
            call = Call("getUpdates", params)
            self.calls.append(call)
            self.attempts.append(call)
            self._changed.notify_all()
            # An offset confirms every update before it, as on the real server.
            self._updates = [u for u in self._updates if not _confirmed(u, offset)]
            while not self._updates and not self.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            batch = self._updates[:limit]
            now = time.monotonic()
            for update in batch:
                update_id = update.get("update_id")
                if isinstance(update_id, int):
                    self.handed_out.setdefault(update_id, now)
            # An update_id no offset can confirm is handed out once.
            if any(not isinstance(u.get("update_id"), int) for u in batch):
                once = {id(u) for u in batch if not isinstance(u.get("update_id"), int)}
                self._updates = [u for u in self._updates if id(u) not in once]
            return batch


def _confirmed(update: dict[str, Any], offset: int) -> bool:
    update_id = update.get("update_id")
    return isinstance(update_id, int) and update_id < offset


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as Telegram: the bot reuses its connections, and a drop closes one of them.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without this, Nagle's algorithm holds the body
    # back until the client's delayed ACK of the headers (about 40 ms a request).
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length))

    def _serve(self, body: bytes) -> None:
        url = urlsplit(self.path)
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", url.path)
        if match is None:
            self._reply(Answer(404, error_body(404, "Not Found")))
            return
        raw = dict(parse_qsl(url.query))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            params: dict[str, Any] = {**decode_params(raw), **json.loads(body or b"{}")}
        elif content_type.startswith("multipart/"):
            self._reply(Answer(400, error_body(400, "no files here")))
            return
        else:
            raw.update(parse_qsl(body.decode()))
            params = decode_params(raw)
        api = self.server.api
        answer = api.answer(match.group(1), match.group(2), params)
        if answer.dropped:
            # Closed once this method returns, without a byte of answer.
            self.close_connection = True
            return
        api.pause(answer.delay)
        self._reply(answer)

    def _reply(self, answer: Answer) -> None:
        data = answer.body
        # The bot drops its pending long poll when it stops (and a client gives up on a
        # late answer); that is not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: BotApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client goes away; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeBotApiServer:
    """Serve a BotApi over HTTP on 127.0.0.1 (an ephemeral port) in a background thread."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = api
        # A short poll interval, so that stopping the server takes milliseconds, not 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), daemon=True
        )

    @property
    def base_url(self) -> str:
        """The TELEGRAM_API_BASE_URL that points a bot at this server."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def __enter__(self) -> FakeBotApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.api.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
