"""The bot's own database: one SQLite file under DATA_DIR, written off the event loop.

The inbox keeps every Telegram update from the moment it arrives until its reply is sent,
so a crash or a restart loses nothing and answers nothing twice:

    pending  -> stored, not yet answered (processed again at start-up)
    sending  -> its reply has gone out, or was going out when the bot stopped
    done     -> answered; the update's text is deleted at once
    dropped  -> not a valid update; confirmed and never processed

Only the update id, its state and times stay once an update is handled; the update itself
(which holds what the patient typed) is kept only while it waits. Handled rows are deleted
after a day, the newest one kept so polling resumes where it stopped.

``Storage`` is the interface the rest of the bot uses, so another database (PostgreSQL for
several workers) can come later behind it. ``SQLiteStorage`` runs every statement in one
worker thread: the event loop never waits on the disk, and writes keep their order.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeVar

State = Literal["pending", "sending", "done", "dropped"]
T = TypeVar("T")

# The database file under DATA_DIR.
DATABASE = "bot.sqlite3"
# How long handled updates are remembered (their ids only), to recognise one sent twice.
HANDLED_KEPT = 24 * 3600.0

# Each entry migrates the schema from its index to the next version.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        received REAL NOT NULL,
        state TEXT NOT NULL,
        handled REAL,
        payload TEXT
    );
    CREATE INDEX inbox_state ON inbox (state);
    """,
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        update_id INTEGER UNIQUE,
        ref TEXT UNIQUE,
        at REAL NOT NULL,
        chat TEXT NOT NULL,
        kind TEXT NOT NULL,
        entry_id TEXT,
        score REAL,
        reason TEXT,
        closest TEXT,
        text TEXT
    );
    CREATE INDEX events_at ON events (at);
    CREATE INDEX events_chat ON events (chat);
    CREATE TABLE votes (
        ref TEXT PRIMARY KEY,
        chat TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX votes_chat ON votes (chat);
    CREATE INDEX votes_at ON votes (at);
    """,
)


@dataclass(frozen=True, slots=True)
class Event:
    """One reply, as the curator's report counts it (see README, "What is stored").

    ``chat`` is a keyed hash of the chat id, never the id. ``text`` is what the patient
    typed, kept only for a question the bot could not answer (and only when the clinic
    stores question text); an answer rated not helpful gets its text when the vote comes.
    """

    at: float
    chat: str
    kind: str
    entry_id: str | None = None
    score: float = 0.0
    reason: str | None = None
    closest: str | None = None
    text: str | None = None
    update_id: int | None = None
    # The answer's feedback buttons point at this (answers only).
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Vote:
    """A patient's "helpful" or "not helpful" on one answer (the last press counts)."""

    ref: str
    chat: str
    entry_id: str
    helpful: bool
    at: float


class Storage(Protocol):
    """What the bot stores: the inbox of updates, the replies given and the votes."""

    async def add_updates(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store new updates as pending; return the ids that were not stored before."""
        ...

    async def unfinished(self) -> list[tuple[int, State, str | None]]:
        """Return the updates not yet handled, oldest first: (id, state, update JSON)."""
        ...

    async def mark(self, update_id: int, state: State) -> None:
        """Move an update to another state (its JSON is deleted once done or dropped)."""
        ...

    async def last_update_id(self) -> int | None:
        """Return the newest update id ever stored, or None for a new database."""
        ...

    async def purge(self, now: float | None = None, *, retention_days: int = 90) -> int:
        """Delete what is no longer needed, and usage older than the retention; count rows."""
        ...

    async def record_event(self, event: Event) -> None:
        """Store one reply (an update answered twice after a crash is stored once)."""
        ...

    async def record_vote(
        self, ref: str, chat: str, helpful: bool, at: float, text: str | None = None
    ) -> bool:
        """Store a chat's vote on one answer, replacing its earlier one; False if unknown.

        ``text`` (the question, for a "not helpful") is kept on the answer's event.
        """
        ...

    async def forget_chat(self, chat: str) -> int:
        """Delete everything stored for one chat; return how many rows went."""
        ...

    async def events(self, since: float, until: float) -> list[Event]:
        """Return the replies given in [since, until), oldest first."""
        ...

    async def votes(self, since: float, until: float) -> list[Vote]:
        """Return the votes cast in [since, until)."""
        ...

    async def close(self) -> None:
        """Finish pending writes and close the database."""
        ...


class SQLiteStorage:
    """Storage in one SQLite file (WAL mode), used from one worker thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage")
        self._connection: sqlite3.Connection | None = None
        self._executor.submit(self._open).result()

    def _open(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (not a power cut).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=5000")
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            connection.executescript(f"BEGIN; {script} PRAGMA user_version={number}; COMMIT;")
        self._connection = connection

    def run(self, work: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Run ``work(connection)`` in the storage thread; await the result."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        assert self._connection is not None, "the storage is closed"
        return work(self._connection)

    async def add_updates(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        now = time.time()

        def add(db: sqlite3.Connection) -> list[int]:
            added = []
            db.execute("BEGIN")
            for update_id, payload in updates:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, received, state, payload)"
                    " VALUES (?, ?, 'pending', ?)",
                    (update_id, now, payload),
                )
                if cursor.rowcount:
                    added.append(update_id)
            db.execute("COMMIT")
            return added

        return await self.run(add)

    async def unfinished(self) -> list[tuple[int, State, str | None]]:
        def read(db: sqlite3.Connection) -> list[tuple[int, State, str | None]]:
            rows = db.execute(
                "SELECT update_id, state, payload FROM inbox"
                " WHERE state IN ('pending', 'sending') ORDER BY update_id"
            )
            return [(int(i), state, payload) for i, state, payload in rows]

        return await self.run(read)

    async def mark(self, update_id: int, state: State) -> None:
        now = time.time()
        forget = state in ("done", "dropped")

        def write(db: sqlite3.Connection) -> None:
            if forget:
                db.execute(
                    "UPDATE inbox SET state = ?, handled = ?, payload = NULL WHERE update_id = ?",
                    (state, now, update_id),
                )
            else:
                db.execute("UPDATE inbox SET state = ? WHERE update_id = ?", (state, update_id))

        await self.run(write)

    async def last_update_id(self) -> int | None:
        def read(db: sqlite3.Connection) -> int | None:
            value = db.execute("SELECT MAX(update_id) FROM inbox").fetchone()[0]
            return None if value is None else int(value)

        return await self.run(read)

    async def purge(self, now: float | None = None, *, retention_days: int = 90) -> int:
        now = time.time() if now is None else now
        handled = now - HANDLED_KEPT
        kept = now - retention_days * 86400.0

        def delete(db: sqlite3.Connection) -> int:
            gone = db.execute(
                "DELETE FROM inbox WHERE state IN ('done', 'dropped') AND handled < ?"
                " AND update_id < (SELECT MAX(update_id) FROM inbox)",
                (handled,),
            ).rowcount
            gone += db.execute("DELETE FROM votes WHERE at < ?", (kept,)).rowcount
            gone += db.execute("DELETE FROM events WHERE at < ?", (kept,)).rowcount
            return int(gone)

        return await self.run(delete)

    async def record_event(self, event: Event) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR IGNORE INTO events (update_id, ref, at, chat, kind, entry_id, score,"
                " reason, closest, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.update_id,
                    event.ref,
                    event.at,
                    event.chat,
                    event.kind,
                    event.entry_id,
                    event.score,
                    event.reason,
                    event.closest,
                    event.text,
                ),
            )

        await self.run(write)

    async def record_vote(
        self, ref: str, chat: str, helpful: bool, at: float, text: str | None = None
    ) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT entry_id FROM events WHERE ref = ? AND chat = ?", (ref, chat)
            ).fetchone()
            if row is None:
                return False
            db.execute("BEGIN")
            db.execute(
                "INSERT INTO votes (ref, chat, entry_id, helpful, at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (ref) DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
                (ref, chat, row[0], int(helpful), at),
            )
            kept = None if helpful else text
            db.execute("UPDATE events SET text = ? WHERE ref = ?", (kept, ref))
            db.execute("COMMIT")
            return True

        return await self.run(write)

    async def forget_chat(self, chat: str) -> int:
        def delete(db: sqlite3.Connection) -> int:
            db.execute("BEGIN")
            gone = db.execute("DELETE FROM votes WHERE chat = ?", (chat,)).rowcount
            gone += db.execute("DELETE FROM events WHERE chat = ?", (chat,)).rowcount
            db.execute("COMMIT")
            return int(gone)

        return await self.run(delete)

    async def events(self, since: float, until: float) -> list[Event]:
        return await self.run(lambda db: _events(db, since, until))

    async def votes(self, since: float, until: float) -> list[Vote]:
        return await self.run(lambda db: _votes(db, since, until))

    async def close(self) -> None:
        if self._connection is None:
            return

        def shut(db: sqlite3.Connection) -> None:
            db.close()

        await self.run(shut)
        self._connection = None
        self._executor.shutdown(wait=True)


def _events(db: sqlite3.Connection, since: float, until: float) -> list[Event]:
    rows = db.execute(
        "SELECT at, chat, kind, entry_id, score, reason, closest, text, update_id, ref"
        " FROM events WHERE at >= ? AND at < ? ORDER BY at, id",
        (since, until),
    )
    return [Event(*row) for row in rows]


def _votes(db: sqlite3.Connection, since: float, until: float) -> list[Vote]:
    rows = db.execute(
        "SELECT ref, chat, entry_id, helpful, at FROM votes WHERE at >= ? AND at < ?",
        (since, until),
    )
    return [Vote(ref, chat, entry, bool(helpful), at) for ref, chat, entry, helpful, at in rows]
