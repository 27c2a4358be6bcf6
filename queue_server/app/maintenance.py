"""Forgetting what is no longer needed: outbox rows the broker took long ago, old request ids, whom
a 帮办代办 window helped and whom a real-name ticket was issued to, once the centre's time for it has
passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from queue_server.domain.clock import Clock
from queue_server.store.assisted import forget_helped
from queue_server.store.database import Database
from queue_server.store.outbox import prune_sent
from queue_server.store.real_name import forget_people
from queue_server.store.requests import prune_requests as forget_requests


async def prune_outbox(db: Database, clock: Clock, older_than_days: int = 2) -> int:
    """Forget outbox rows the broker acknowledged long ago (unsent rows are never pruned)."""
    cutoff = clock.now() - dt.timedelta(days=older_than_days)
    async with db.write() as conn:
        return await prune_sent(conn, cutoff)


async def prune_requests(db: Database, clock: Clock, older_than_days: int = 7) -> int:
    """Forget request ids after their retention period; a device's retry comes within seconds."""
    cutoff = clock.now() - dt.timedelta(days=older_than_days)
    async with db.write() as conn:
        return await forget_requests(conn, cutoff)


async def forget_assisted(db: Database, clock: Clock, days_by_centre: Mapping[str, int]) -> int:
    """Blank the person each 帮办代办 record names once its centre's ``assisted_days`` have passed."""
    forgotten = 0
    async with db.write() as conn:
        for centre, days in days_by_centre.items():
            forgotten += await forget_helped(conn, centre, clock.now() - dt.timedelta(days=days))
    return forgotten


async def forget_real_names(db: Database, days_by_centre: Mapping[str, tuple[dt.date, int]]) -> int:
    """Blank the ID number's hash of each real-name ticket once its centre's ``real_name_days`` have
    passed since its service day; ``days_by_centre`` gives each centre's local today and its days."""
    forgotten = 0
    async with db.write() as conn:
        for centre, (today, days) in days_by_centre.items():
            forgotten += await forget_people(conn, centre, today - dt.timedelta(days=days))
    return forgotten
