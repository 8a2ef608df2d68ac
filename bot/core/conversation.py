"""What the bot remembers of a chat between two messages, and where it keeps it.

A ``ChatContext`` holds no text: only the topics last answered, the kind of the last reply,
when it was sent, and whether the chat is in the careful period that follows an urgent or
crisis reply. ``ContextStore`` keeps one per chat in memory, bounded in number and in time,
so it cannot grow without limit; nothing of a conversation is written to disk.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace

from bot.core.replies import Reply

# How many recent topics a chat remembers (most recent first).
REMEMBERED_TOPICS = 3
# The most stale chats dropped while storing one (keeps every message's cost bounded).
SWEEP_LIMIT = 64


@dataclass(frozen=True, slots=True)
class ChatContext:
    """One chat's memory: recent topics, the last reply's kind and time, careful mode."""

    topics: tuple[str, ...] = ()
    kind: str | None = None
    at: float = 0.0
    careful_until: float = 0.0
    crisis: bool = False

    @property
    def topic(self) -> str | None:
        """Return the topic answered last, or None."""
        return self.topics[0] if self.topics else None

    def fresh(self, now: float, ttl: float) -> ChatContext:
        """Return this context, or an empty one when the chat went quiet for longer than ttl.

        The careful period outlives the topics: a crisis is remembered for its own time.
        """
        if now - self.at <= ttl:
            return self
        if self.careful(now):
            return ChatContext(careful_until=self.careful_until, crisis=self.crisis, at=self.at)
        return ChatContext()

    def expired(self, now: float, ttl: float) -> bool:
        """Return True when nothing of this chat needs remembering any more."""
        return now - self.at > ttl and not self.careful(now)

    def careful(self, now: float) -> bool:
        """Return True while the chat is in the careful period after an urgent reply."""
        return now < self.careful_until

    def after(self, reply: Reply, now: float, careful_for: float) -> ChatContext:
        """Return the context once ``reply`` has been sent."""
        topics = self.topics
        if reply.kind == "answer" and reply.entry_id:
            topics = (reply.entry_id, *(t for t in topics if t != reply.entry_id))
            topics = topics[:REMEMBERED_TOPICS]
        context = replace(self, topics=topics, kind=reply.kind, at=now)
        if reply.kind == "urgent":
            crisis = reply.crisis or (self.crisis and self.careful(now))
            context = replace(context, careful_until=now + careful_for, crisis=crisis)
        return context

    def opened(self, entry_id: str, now: float) -> ChatContext:
        """Return the context after the patient opened a topic with a button or a link."""
        topics = (entry_id, *(t for t in self.topics if t != entry_id))[:REMEMBERED_TOPICS]
        return replace(self, topics=topics, kind="answer", at=now)


class ContextStore:
    """Chat contexts in memory: at most ``max_chats``, each forgotten after ``ttl`` seconds.

    The least recently used chat is dropped first when the store is full, and chats gone
    quiet for longer than ``ttl`` are dropped whenever another chat is stored, so a chat
    that never comes back does not stay in memory.
    """

    def __init__(
        self,
        *,
        max_chats: int = 10_000,
        ttl: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_chats = max_chats
        self.ttl = ttl
        self.clock = clock
        self._chats: OrderedDict[Hashable, ChatContext] = OrderedDict()

    def __len__(self) -> int:
        return len(self._chats)

    def get(self, chat: Hashable) -> ChatContext:
        """Return the chat's context (an empty one for a new or forgotten chat)."""
        context = self._chats.get(chat)
        if context is None:
            return ChatContext()
        fresh = context.fresh(self.clock(), self.ttl)
        if fresh == ChatContext():
            del self._chats[chat]
        return fresh

    def put(self, chat: Hashable, context: ChatContext) -> None:
        """Remember the chat's context, dropping stale chats and the least recently used."""
        self._chats[chat] = context
        self._chats.move_to_end(chat)
        now = self.clock()
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        # The oldest chats come first; a few careful ones may hold up the sweep, never long.
        for _ in range(SWEEP_LIMIT):
            oldest = next(iter(self._chats.values()), None)
            if oldest is None or not oldest.expired(now, self.ttl):
                break
            self._chats.popitem(last=False)

    def forget_matching(self, belongs: Callable[[Hashable], bool]) -> int:
        """Drop every chat whose key ``belongs`` accepts (a group's members); count them."""
        keys = [key for key in self._chats if belongs(key)]
        for key in keys:
            del self._chats[key]
        return len(keys)
