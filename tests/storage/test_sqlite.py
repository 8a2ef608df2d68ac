"""The SQLite storage: the inbox's states, what is kept, and writes from many tasks."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bot.storage import HANDLED_KEPT, SQLiteStorage


def rows(path: Path) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT update_id, state, payload FROM inbox ORDER BY update_id"))


async def test_updates_are_stored_once_and_come_back_until_handled(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "bot.sqlite3")
    assert await store.add_updates([(1, '{"a": 1}'), (2, '{"b": 2}')]) == [1, 2]
    assert await store.add_updates([(2, '{"b": 2}'), (3, '{"c": 3}')]) == [3]
    await store.mark(1, "done")
    await store.mark(2, "sending")
    assert await store.unfinished() == [(2, "sending", '{"b": 2}'), (3, "pending", '{"c": 3}')]
    assert await store.last_update_id() == 3
    await store.close()


async def test_a_handled_update_keeps_no_text(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStorage(path)
    await store.add_updates([(7, '{"message": {"text": "my legs are numb"}}'), (8, "{}")])
    await store.mark(7, "done")
    await store.mark(8, "dropped")
    await store.close()
    assert rows(path) == [(7, "done", None), (8, "dropped", None)]


async def test_the_database_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStorage(path)
    await store.add_updates([(41, "{}"), (42, "{}")])
    await store.mark(41, "done")
    await store.close()
    again = SQLiteStorage(path)
    assert await again.unfinished() == [(42, "pending", "{}")]
    assert await again.add_updates([(41, "{}")]) == []
    await again.close()


async def test_purge_forgets_old_handled_updates_but_not_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStorage(path)
    await store.add_updates([(1, "{}"), (2, "{}"), (3, "{}"), (4, "{}")])
    for update_id in (1, 2, 4):
        await store.mark(update_id, "done")
    removed = await store.purge(now=time.time() + HANDLED_KEPT + 1)
    assert removed == 2
    assert [r[0] for r in rows(path)] == [3, 4]
    assert await store.last_update_id() == 4
    await store.close()


async def test_many_tasks_write_at_once_without_losing_a_row(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "bot.sqlite3")

    async def chat(base: int) -> None:
        for i in range(20):
            update_id = base * 100 + i
            assert await store.add_updates([(update_id, "{}")]) == [update_id]
            await store.mark(update_id, "sending")
            await store.mark(update_id, "done")

    await asyncio.gather(*(chat(b) for b in range(50)))
    assert await store.unfinished() == []
    assert await store.last_update_id() == 49 * 100 + 19
    await store.close()


async def test_the_database_uses_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStorage(path)
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
