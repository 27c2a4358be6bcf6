"""The server's SQLite WAL checkpoints: a task of their own, at quiet moments, timed.

A commit no longer checkpoints the WAL (queue_server.store.wal_checkpoints says why): this task
does, every ``CHECKPOINT_SECONDS`` when the WAL has grown, in a worker thread. It waits for a
moment when no write transaction holds the write turn, so the copy and its sync do not compete
with a commit's sync for the disk, but never longer than ``LONGEST_DEFER_SECONDS``: under a
steady load there is no quiet moment, and the WAL must not grow without end. Each checkpoint's
time is in ``onewindow_sqlite_checkpoint_seconds``; one over ``SLOW_CHECKPOINT_SECONDS`` is logged.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Histogram

from queue_server.app.instruments import REGISTRY
from queue_server.store.database import Database
from queue_server.store.errors import StoreError

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0
"""How often the task looks for a WAL to checkpoint (SQLite's own did it every 1,000 pages: a few
seconds of a busy hall's commits)."""
QUIET_POLL_SECONDS = 0.02
"""While a write transaction is under way, how often the task looks for the write turn free."""
LONGEST_DEFER_SECONDS = 5.0
"""The longest a checkpoint waits for a quiet moment."""
SLOW_CHECKPOINT_SECONDS = 0.25
"""A checkpoint this long is logged (a slow disk, or a WAL that grew large)."""

CHECKPOINT_TIMES = Histogram(
    "onewindow_sqlite_checkpoint_seconds",
    "SQLite WAL checkpoints run by the server's own task (in a worker thread: no commit waits for one)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)


async def run_checkpoints(db: Database) -> None:
    """Checkpoint ``db``'s WAL at quiet moments until cancelled (nothing to do unless it was opened
    with ``background_checkpoints``)."""
    if not db.background_checkpoints:
        return
    loop = asyncio.get_running_loop()
    last: tuple[int, int] | None = None
    while True:
        await asyncio.sleep(CHECKPOINT_SECONDS)
        deferred_until = loop.time() + LONGEST_DEFER_SECONDS
        while db.writing and loop.time() < deferred_until:
            await asyncio.sleep(QUIET_POLL_SECONDS)
        try:
            done = await db.checkpoint()
        except (StoreError, OSError) as error:  # the next round tries again; commits meanwhile go on
            log.warning("%s; trying again", error)
            continue
        if done.wal_frames and (done.wal_frames, done.copied) != last:  # else the WAL had nothing new
            CHECKPOINT_TIMES.observe(done.seconds)
        last = (done.wal_frames, done.copied)
        if done.seconds >= SLOW_CHECKPOINT_SECONDS:
            log.warning(
                "checkpointing the database's WAL took %.0f ms (%d of %d pages copied)",
                done.seconds * 1000,
                done.copied,
                done.wal_frames,
            )
