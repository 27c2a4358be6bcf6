"""What a Prometheus scrape reads from the database: one bounded query per figure, for every centre
at once (never one per centre), each grouped by centre in the database.

- the relay's lag: the oldest unsent outbox row of each centre (the partial index of unsent rows
  answers it);
- print jobs by state, and the oldest job still waiting for its printer's answer;
- SMS notices by state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import func, select

from queue_server.store import schema
from queue_server.store.database import Connection


async def oldest_unsent(conn: Connection, centres: Collection[str]) -> dict[str, dt.datetime]:
    """When each centre's oldest unsent outbox row was written; a centre with none is left out."""
    o = schema.outbox.c
    query = (
        select(o.centre, func.min(o.created_at))
        .where(o.sent_at.is_(None), o.centre.in_(list(centres)))
        .group_by(o.centre)
    )
    return {row[0]: row[1] for row in (await conn.execute(query)).all()}


async def print_jobs_by_state(conn: Connection, centres: Collection[str]) -> dict[tuple[str, str], int]:
    """How many print jobs each centre has in each state (queued, done, failed, unknown)."""
    p = schema.print_jobs.c
    query = select(p.centre, p.status, func.count()).where(p.centre.in_(list(centres))).group_by(p.centre, p.status)
    return {(centre, status): count for centre, status, count in (await conn.execute(query)).all()}


async def oldest_queued_jobs(conn: Connection, centres: Collection[str]) -> dict[str, dt.datetime]:
    """When each centre's oldest print job still waiting for its printer's answer was made."""
    p = schema.print_jobs.c
    query = (
        select(p.centre, func.min(p.created_at))
        .where(p.status == "queued", p.centre.in_(list(centres)))
        .group_by(p.centre)
    )
    return {row[0]: row[1] for row in (await conn.execute(query)).all()}


async def sms_by_state(conn: Connection, centres: Collection[str]) -> dict[tuple[str, str], int]:
    """How many SMS notices each centre keeps in each state (pending, sent, delivered, failed)."""
    n = schema.sms_notices.c
    query = select(n.centre, n.status, func.count()).where(n.centre.in_(list(centres))).group_by(n.centre, n.status)
    return {(centre, status): count for centre, status, count in (await conn.execute(query)).all()}
