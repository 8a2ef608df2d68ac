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
from pathlib import Path
from typing import Literal, Protocol, TypeVar

State = Literal["pending", "sending", "done", "dropped"]
T = TypeVar("T")

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
)


class Storage(Protocol):
    """What the bot stores: the inbox of updates (and, later, usage and feedback)."""

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

    async def purge(self, now: float | None = None) -> int:
        """Delete what is no longer needed; return how many rows went."""
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

    def run_now(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` in the storage thread and wait (outside an event loop)."""
        return self._executor.submit(self._call, work).result()

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

    async def purge(self, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - HANDLED_KEPT

        def delete(db: sqlite3.Connection) -> int:
            cursor = db.execute(
                "DELETE FROM inbox WHERE state IN ('done', 'dropped') AND handled < ?"
                " AND update_id < (SELECT MAX(update_id) FROM inbox)",
                (cutoff,),
            )
            return int(cursor.rowcount)

        return await self.run(delete)

    async def close(self) -> None:
        if self._connection is None:
            return

        def shut(db: sqlite3.Connection) -> None:
            db.close()

        await self.run(shut)
        self._connection = None
        self._executor.shutdown(wait=True)
