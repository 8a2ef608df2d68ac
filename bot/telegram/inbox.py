"""The inbox: every update is stored before Telegram is told it arrived, then answered once.

Polling and the webhook both hand raw updates (plain JSON) to ``Inbox.accept``:

1. Each update is written to the database as pending; an ``update_id`` already seen (the
   webhook called twice, a retry after a timeout) is skipped.
2. Only then is Telegram told it arrived (the next getUpdates offset, or the webhook's 200).
3. Each update is read and answered in its own task: updates from the same chat one after
   the other, in order; different chats side by side, at most ``concurrency`` at a time.
4. It is marked done once its handlers finished. One that is not a valid update (a message
   without a date, a chat without a type) is marked dropped and logged once, by id only.

At start-up ``resume`` answers what was pending when the bot stopped. An update whose reply
was already going out (``sending``) is not answered again: better a rare lost reply after a
crash than every crash doubling answers (see README, "Reliability").
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Hashable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.storage import Storage

logger = logging.getLogger(__name__)

# The update being answered in the current task (read by the request layer, see request.py).
current_update: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_update", default=None
)

# Updates answered side by side (different chats); more wait their turn.
CONCURRENCY = 64


def chat_of(update: dict[str, Any]) -> Hashable:
    """Return what orders an update: its chat (or its sender), else its own id."""
    for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        body = update.get(kind)
        if isinstance(body, dict) and isinstance(body.get("chat"), dict):
            return _key(body["chat"].get("id"), update)
    for kind in ("callback_query", "inline_query", "chosen_inline_result"):
        body = update.get(kind)
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return _key(message["chat"].get("id"), update)
        if isinstance(body, dict) and isinstance(body.get("from"), dict):
            # In a private chat the chat id is the user's id.
            return _key(body["from"].get("id"), update)
    return ("update", update.get("update_id"))


def _key(chat_id: object, update: dict[str, Any]) -> Hashable:
    # A malformed update may carry anything as an id (a list, a dict): order it on its own.
    if isinstance(chat_id, int | str) and not isinstance(chat_id, bool):
        return ("chat", chat_id)
    return ("update", update.get("update_id"))


class Inbox:
    """Stores updates durably, answers each exactly once, in order within a chat."""

    def __init__(self, storage: Storage, *, concurrency: int = CONCURRENCY) -> None:
        self.storage = storage
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._slots = asyncio.Semaphore(concurrency)
        self._last: dict[Hashable, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending: set[int] = set()

    async def accept(self, raw: list[Any]) -> int:
        """Store the updates, then schedule the new ones; return how many were new."""
        rows: list[tuple[int, str]] = []
        updates: dict[int, dict[str, Any]] = {}
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                logger.warning("Dropped an update without an update id")
                continue
            if update_id in updates:
                continue
            updates[update_id] = item
            rows.append((update_id, json.dumps(item, ensure_ascii=False)))
        if not rows:
            return 0
        added = await self.storage.add_updates(rows)
        for update_id in added:
            self._schedule(update_id, updates[update_id])
        return len(added)

    async def resume(self) -> int:
        """Answer the updates left pending when the bot stopped; return how many."""
        count = 0
        for update_id, state, payload in await self.storage.unfinished():
            if state == "sending":
                logger.warning(
                    "Update %s was being answered when the bot stopped; not answered twice",
                    update_id,
                )
                await self.storage.mark(update_id, "done")
                continue
            try:
                update = json.loads(payload or "")
            except ValueError:
                update = None
            if not isinstance(update, dict):
                await self._drop(update_id, "it could not be read back")
                continue
            self._schedule(update_id, update)
            count += 1
        return count

    async def before_send(self) -> None:
        """Record that the current update's reply is going out (before its first send)."""
        update_id = current_update.get()
        if update_id is None or update_id in self._sending:
            return
        self._sending.add(update_id)
        await self.storage.mark(update_id, "sending")

    async def drain(self) -> None:
        """Wait until the updates in hand are answered (bound it with asyncio.timeout)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _schedule(self, update_id: int, update: dict[str, Any]) -> None:
        chat = chat_of(update)
        previous = self._last.get(chat)
        task = asyncio.create_task(self._answer(update_id, update, previous))
        self._last[chat] = task
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if self._last.get(chat) is done:
                del self._last[chat]

        task.add_done_callback(finished)

    async def _answer(
        self, update_id: int, raw: dict[str, Any], previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        application = self.application
        assert application is not None, "the inbox needs the application before updates"
        async with self._slots:
            try:
                update = Update.de_json(raw, application.bot)
            except Exception as error:
                await self._drop(update_id, f"it is not a valid update ({type(error).__name__})")
                return
            token = current_update.set(update_id)
            try:
                await application.process_update(update)
            except Exception as error:
                # process_update hands handler errors to the error handler; this is the rest.
                logger.error("Update %s failed: %s", update_id, type(error).__name__)
            finally:
                current_update.reset(token)
            self._sending.discard(update_id)
            await self.storage.mark(update_id, "done")

    async def _drop(self, update_id: int, why: str) -> None:
        logger.warning("Update %s dropped: %s", update_id, why)
        await self.storage.mark(update_id, "dropped")
