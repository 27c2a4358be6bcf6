"""The server's SQLite WAL checkpoints: a task of their own, at quiet moments, timed.

A commit no longer checkpoints the WAL (queue_server.store.wal_checkpoints says why): this task
does, every ``CHECKPOINT_SECONDS``, in a worker thread, in two steps. First it copies what the WAL
holds while commits go on (it waits for a moment when no write transaction holds the write turn,
so the copy and its sync do not compete with a commit's sync for the disk, but never longer than
``LONGEST_DEFER_SECONDS``). Commits made meanwhile leave the WAL not wholly copied, and SQLite
starts a WAL again from its beginning only after a complete checkpoint: checkpointing beside a
steady stream of commits, the WAL grew past 50 MB in a minute. So once the WAL holds
``RESTART_FRAMES`` pages (SQLite's own threshold) it then takes the write turn and copies the few
pages committed meanwhile, and the next commit starts the WAL over; a commit waits for that short
copy at most, where one of SQLite's own made it wait for the whole WAL. Each checkpoint's time is
in ``onewindow_sqlite_checkpoint_seconds`` (both steps); one over ``SLOW_CHECKPOINT_SECONDS`` is logged.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Histogram

from queue_server.app.instruments import REGISTRY
from queue_server.store.database import Database
from queue_server.store.errors import StoreError
from queue_server.store.wal_checkpoints import Checkpoint

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0
"""How often the task looks for a WAL to checkpoint (SQLite's own did it every 1,000 pages: a few
seconds of a busy hall's commits)."""
QUIET_POLL_SECONDS = 0.02
"""While a write transaction is under way, how often the task looks for the write turn free."""
LONGEST_DEFER_SECONDS = 5.0
"""The longest a checkpoint waits for a quiet moment."""
RESTART_FRAMES = 1000
"""A WAL of this many pages (about 4 MB) is copied whole under the write turn, so the next commit starts it over."""
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
            done, seconds = await checkpoint_once(db)
        except (StoreError, OSError) as error:  # the next round tries again; commits meanwhile go on
            log.warning("%s; trying again", error)
            continue
        if done.wal_frames and (done.wal_frames, done.copied) != last:  # else the WAL had nothing new
            CHECKPOINT_TIMES.observe(seconds)
        last = (done.wal_frames, done.copied)
        if seconds >= SLOW_CHECKPOINT_SECONDS:
            log.warning(
                "checkpointing the database's WAL took %.0f ms (%d of %d pages copied)",
                seconds * 1000,
                done.copied,
                done.wal_frames,
            )


async def checkpoint_once(db: Database) -> tuple[Checkpoint, float]:
    """One round: copy the WAL while commits go on, then, if it holds ``RESTART_FRAMES`` pages or
    more, what commits added meanwhile under the write turn; the last step's result and both steps' time."""
    done = await db.checkpoint()
    seconds = done.seconds
    if done.wal_frames >= RESTART_FRAMES:
        async with db.write_turn():
            done = await db.checkpoint()
        seconds += done.seconds
    return done, seconds
