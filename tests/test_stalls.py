"""What measures the event loop's stalls, and the WAL checkpoints taken out of the commits' way.

The loop watch and the garbage collector's timer are read back from the process's registry, as a
scrape reads them; the checkpoints run on a real SQLite file, whose WAL is read with SQLite's own
``PRAGMA wal_checkpoint``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
import time
from pathlib import Path

from prometheus_client.exposition import generate_latest
from sqlalchemy import text

from queue_server.app.checkpoints import RESTART_FRAMES, checkpoint_once, run_checkpoints
from queue_server.app.instruments import REGISTRY
from queue_server.app.stalls import timed_job, watch_garbage_collector, watch_loop
from queue_server.store.database import Database

ROW = "x" * 3000
"""About one page per row: enough rows make a WAL of ``RESTART_FRAMES`` pages."""


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_callback_that_holds_the_loop_shows_as_lag() -> None:
    over_50ms = sample("onewindow_event_loop_lag_seconds_count") - sample(
        "onewindow_event_loop_lag_seconds_bucket", le="0.05"
    )
    watch = asyncio.create_task(watch_loop(0.001))
    try:
        await asyncio.sleep(0.01)  # the watch is asleep in its timer now
        time.sleep(0.12)  # a callback holding the loop: the timer cannot fire until it returns
        await asyncio.sleep(0.01)
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    after = sample("onewindow_event_loop_lag_seconds_count") - sample(
        "onewindow_event_loop_lag_seconds_bucket", le="0.05"
    )
    assert after >= over_50ms + 1
    assert b"onewindow_event_loop_lag_seconds_bucket" in generate_latest(REGISTRY)


def test_each_garbage_collection_is_timed_by_generation() -> None:
    watch_garbage_collector()
    watch_garbage_collector()  # once, however often called
    before = sample("onewindow_gc_pause_seconds_count", generation="2")
    gc.collect()
    assert sample("onewindow_gc_pause_seconds_count", generation="2") == before + 1


def test_a_periodic_job_round_is_timed_by_name() -> None:
    before = sample("onewindow_background_job_seconds_count", job="test-job")
    with timed_job("test-job"):
        pass
    assert sample("onewindow_background_job_seconds_count", job="test-job") == before + 1


def autocheckpoint(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


async def wal_pages(db: Database) -> int:
    """Pages in the WAL now (a passive checkpoint reports them and copies what it may)."""
    return (await db.checkpoint()).wal_frames


async def write_rows(db: Database, count: int) -> None:
    for _ in range(count):
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO filler (body) VALUES (:body)"), {"body": ROW})


async def make_filler(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)"))


async def test_the_servers_database_leaves_checkpoints_to_its_task(tmp_path: Path) -> None:
    path = tmp_path / "hall.db"
    async with Database(f"sqlite:///{path}", background_checkpoints=True) as db:
        async with db.write() as conn:
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
        await make_filler(db)
        await write_rows(db, RESTART_FRAMES + 50)
        done, _ = await checkpoint_once(db)
        assert done.wal_frames > RESTART_FRAMES  # no commit checkpointed it
        assert done.copied == done.wal_frames  # copied whole under the write turn
        await write_rows(db, 1)
        assert await wal_pages(db) < 10, "the next commit starts the WAL over"
    async with Database(f"sqlite:///{path}") as reopened, reopened.read() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM filler"))).scalar_one() == RESTART_FRAMES + 51


async def test_other_databases_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "tool.db"
    async with Database(f"sqlite:///{path}") as db:
        assert not db.background_checkpoints
        async with db.write() as conn:
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 1000
        await asyncio.wait_for(run_checkpoints(db), 5)  # nothing to do: it returns at once
    assert autocheckpoint(path) == 1000


async def test_a_small_wal_is_copied_without_the_write_turn(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'hall.db'}", background_checkpoints=True) as db:
        await make_filler(db)
        await write_rows(db, 20)
        async with db.write_turn():  # held: a round that asked for it would wait here forever
            done, _ = await asyncio.wait_for(checkpoint_once(db), 5)
        assert 0 < done.wal_frames < RESTART_FRAMES and done.copied == done.wal_frames
