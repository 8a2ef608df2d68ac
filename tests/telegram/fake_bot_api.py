"""A fake Telegram Bot API that checks what the bot sends the way Telegram would.

``BotApi`` holds the state and the rules (used in-process by the handler tests);
``FakeBotApiServer`` serves it over HTTP on 127.0.0.1 for the end-to-end tests.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
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


@dataclass(frozen=True)
class Call:
    """One request the bot made: the Bot API method and its decoded parameters."""

    method: str
    params: dict[str, Any]

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
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1000
        self._next_message_id = 500
        self._changed = threading.Condition()
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

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

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
            self._changed.notify_all()

    # --- what the bot uses --------------------------------------------------------------
    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Answer one Bot API request: (HTTP status, JSON body)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
            if method in self.fail_next:
                description = self.fail_next.pop(method)
                return 400, {"ok": False, "error_code": 400, "description": description}
            problems = request_problems(method, params)
            self.problems += [f"{method}: {p}" for p in problems]
            self._changed.notify_all()
            if problems:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: {problems[0]}",
                }
            if method == "getMe":
                return 200, {"ok": True, "result": BOT_USER}
            if method in _TRUE_METHODS:
                return 200, {"ok": True, "result": True}
            if method in {"sendMessage", "editMessageText"}:
                return 200, {"ok": True, "result": self._message(method, params)}
        return 400, {
            "ok": False,
            "error_code": 400,
            "description": f"Bad Request: method {method} is not implemented by the fake",
        }

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
        timeout = min(float(params.get("timeout") or 0), 10.0)
        deadline = time.monotonic() + timeout
        with self._changed:
            # Recorded on arrival: a waiting getUpdates means the bot is up and polling.
            self.calls.append(Call("getUpdates", params))
            self._changed.notify_all()
            # An offset confirms every update before it, as on the real server.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return list(self._updates)


class _Handler(BaseHTTPRequestHandler):
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
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        raw = dict(parse_qsl(url.query))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            params: dict[str, Any] = {**decode_params(raw), **json.loads(body or b"{}")}
        elif content_type.startswith("multipart/"):
            self._reply(400, {"ok": False, "error_code": 400, "description": "no files here"})
            return
        else:
            raw.update(parse_qsl(body.decode()))
            params = decode_params(raw)
        status, payload = self.server.api.handle(match.group(1), match.group(2), params)
        self._reply(status, payload)

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The bot drops its pending long poll when it stops; that is not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: BotApi


class FakeBotApiServer:
    """Serve a BotApi over HTTP on 127.0.0.1 (an ephemeral port) in a background thread."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = api
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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
