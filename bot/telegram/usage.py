"""What the bot records of each reply for the curator, and the patients' votes.

For every reply: the time, a pseudonymous chat key (an HMAC of the chat id with a secret
key, never the id itself), the kind of reply, the entry and the score. The patient's words
only where the curator must read them: a question the bot could not answer, and a question
whose answer the patient rated "not helpful" (its text is held in memory for a while after
the answer, only for that). Never for an urgent or crisis message, and never at all when
STORE_QUESTION_TEXT is false. Rows older than RETENTION_DAYS are deleted (serve.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from bot.core.responder import Reply
from bot.storage import Event, Storage

logger = logging.getLogger(__name__)

# How long a question is held in memory in case its answer is rated "not helpful".
VOTE_WINDOW = 1800.0
# The most questions held for that at once.
HELD_TEXTS = 10_000


def pseudonym_key(secret: str | None, data_dir: Path) -> bytes:
    """Return the key for chat pseudonyms: the setting, or a random key kept in DATA_DIR.

    A key file is created (readable by the bot's user only) the first time no secret is
    set, so the pseudonyms stay the same across restarts.
    """
    if secret:
        return secret.encode()
    path = data_dir / "pseudonym.key"
    if path.is_file():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    logger.warning("PSEUDONYM_SECRET is not set; created a key in %s", path)
    return key


class UsageLog:
    """Records replies and votes in the storage, pseudonymously."""

    def __init__(
        self,
        storage: Storage,
        key: bytes | Callable[[], bytes],
        *,
        store_text: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self._key = key
        self.store_text = store_text
        self._clock = clock
        # ref -> (when, chat pseudonym, question): answers that may still be rated down.
        self._held: OrderedDict[str, tuple[float, str, str]] = OrderedDict()

    def chat(self, chat_id: int) -> str:
        """Return the chat's pseudonym: the same for the same chat, unlinkable without the key."""
        if callable(self._key):
            # Read (or created) on first use, so a bot that cannot start writes nothing.
            self._key = self._key()
        return hmac.new(self._key, str(chat_id).encode(), hashlib.sha256).hexdigest()[:32]

    async def reply(
        self, chat_id: int, reply: Reply, *, text: str | None, update_id: int | None
    ) -> str | None:
        """Record one reply; return the reference its feedback buttons carry (answers)."""
        now = self._clock()
        ref = secrets.token_urlsafe(9) if reply.kind == "answer" else None
        kept = text if self.store_text and reply.kind == "fallback" else None
        closest = reply.suggestions[0] if reply.suggestions else None
        event = Event(
            at=now,
            chat=self.chat(chat_id),
            kind=reply.kind,
            entry_id=reply.entry_id if reply.kind == "answer" else None,
            score=round(reply.score, 4),
            reason=reply.reason,
            closest=closest,
            text=kept,
            update_id=update_id,
            ref=ref,
        )
        try:
            await self.storage.record_event(event)
        except Exception as error:
            # The reply matters more than its count: never let a write stop it.
            logger.error("Could not record a reply: %s", type(error).__name__)
            return None
        if ref is not None and text is not None and self.store_text:
            self._hold(ref, event.chat, text, now)
        return ref

    async def vote(self, chat_id: int, ref: str, helpful: bool) -> bool:
        """Record a vote (a second press changes it); False for an unknown answer."""
        now = self._clock()
        chat = self.chat(chat_id)
        held = self._held.get(ref)
        fresh = held is not None and held[1] == chat and now - held[0] <= VOTE_WINDOW
        text = held[2] if held is not None and fresh and not helpful else None
        return await self.storage.record_vote(ref, chat, helpful, now, text)

    async def forget(self, chat_id: int) -> int:
        """Delete everything stored for one chat (and held in memory); count the rows."""
        chat = self.chat(chat_id)
        for ref in [r for r, (_at, owner, _text) in self._held.items() if owner == chat]:
            del self._held[ref]
        return await self.storage.forget_chat(chat)

    def _hold(self, ref: str, chat: str, text: str, now: float) -> None:
        self._held[ref] = (now, chat, text)
        while self._held:
            oldest_ref, (at, _chat, _text) = next(iter(self._held.items()))
            if len(self._held) <= HELD_TEXTS and now - at <= VOTE_WINDOW:
                break
            del self._held[oldest_ref]
