"""Build the JSON of Telegram updates the way Telegram sends them (without update_id)."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from tests.telegram.fake_bot_api import BOT_USER

USER = {"id": 4242, "is_bot": False, "first_name": "Pat", "language_code": "en"}
ADMIN = {"id": 777, "is_bot": False, "first_name": "Clinic admin"}
GROUP = {"id": -100500, "type": "group", "title": "AS support group"}

_ids = itertools.count(1)


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def _entities(text: str) -> list[dict[str, Any]]:
    entities = []
    command = re.match(r"/\w+(@\w+)?", text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
    for mention in re.finditer(r"(?<![/\w])@\w+", text):
        entities.append(
            {"type": "mention", "offset": mention.start(), "length": len(mention.group())}
        )
    return entities


def message(
    text: str | None = None,
    *,
    user: dict[str, Any] = USER,
    chat: dict[str, Any] | None = None,
    reply_to: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return a message object from ``user``; text gets command and mention entities."""
    body: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(user),
        "from": user,
        **extra,
    }
    if text is not None:
        body["text"] = text
        if _entities(text):
            body["entities"] = _entities(text)
    if reply_to is not None:
        body["reply_to_message"] = reply_to
    return body


def text_update(text: str, **kwargs: Any) -> dict[str, Any]:
    return {"message": message(text, **kwargs)}


def edited_update(text: str, **kwargs: Any) -> dict[str, Any]:
    edited = message(text, **kwargs)
    edited["edit_date"] = edited["date"] + 5
    return {"edited_message": edited}


def bot_message(text: str = "menu", chat: dict[str, Any] | None = None) -> dict[str, Any]:
    """A message the bot sent earlier (a menu, or an answer a group member replies to)."""
    return message(text, user=BOT_USER, chat=chat or private_chat(USER))


def callback_update(data: str, *, chat: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": f"cq{next(_ids)}",
            "from": USER,
            "chat_instance": "ci-1",
            "data": data,
            "message": bot_message(chat=chat),
        }
    }


def inline_update(query: str) -> dict[str, Any]:
    return {"inline_query": {"id": f"iq{next(_ids)}", "from": USER, "query": query, "offset": ""}}


PHOTO = {
    "photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}],
}
VOICE = {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 3}}
STICKER = {
    "sticker": {
        "file_id": "s1",
        "file_unique_id": "u3",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}
DOCUMENT = {"document": {"file_id": "d1", "file_unique_id": "u4", "file_name": "scan.pdf"}}
VIDEO = {
    "video": {"file_id": "m1", "file_unique_id": "u5", "width": 320, "height": 240, "duration": 4}
}
