"""The audit trail's rows: appended, read, verified and purged; never updated.

:func:`append` is the only write of an entry: inside the caller's transaction it takes its
centre's chain (on PostgreSQL a transaction-scoped advisory lock, so two instances never link two
entries to the same predecessor; SQLite has one writer anyway), reads the chain's last hash and
inserts the new entry linked to it. :func:`purge` deletes only a centre's entries older than its
period, which the database's triggers also insist on (migration 0025).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.audit import GENESIS, AuditAct, AuditEntry, AuditKind, entry_hash
from queue_server.store import schema

CHAIN_LOCK = 0x0A0D17
"""The first key of the PostgreSQL advisory lock of a chain; the second is the chain's hash."""


async def append(conn: AsyncConnection, act: AuditAct, at: dt.datetime) -> AuditEntry:
    """Link ``act`` to the end of its centre's chain and insert it; the entry as kept."""
    a = schema.audit_entries.c
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(:chain))"), {"key": CHAIN_LOCK, "chain": act.centre}
        )
    last = await conn.execute(select(a.hash).where(a.centre == act.centre).order_by(a.id.desc()).limit(1))
    previous = last.scalar_one_or_none() or GENESIS
    at = at.astimezone(dt.UTC)
    digest = entry_hash(previous, at, act)
    inserted = await conn.execute(
        insert(schema.audit_entries)
        .values(
            centre=act.centre,
            at=at,
            kind=act.kind.value,
            actor=act.actor,
            role=act.role,
            subject=act.subject,
            reason=act.reason,
            request_id=act.request_id,
            detail=dict(act.detail),
            previous=previous,
            hash=digest,
        )
        .returning(a.id)
    )
    return AuditEntry(inserted.scalar_one(), at, act, previous, digest)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to read: centres (none: all), a period, a kind, an actor; newest first."""

    centres: Collection[str] | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    kind: AuditKind | None = None
    actor: str | None = None
    limit: int = 500


def _entry(row: object) -> AuditEntry:
    r = row._mapping  # type: ignore[attr-defined]
    act = AuditAct(
        kind=AuditKind(r["kind"]),
        centre=r["centre"],
        actor=r["actor"],
        role=r["role"],
        subject=r["subject"],
        reason=r["reason"],
        request_id=r["request_id"],
        detail=r["detail"],
    )
    return AuditEntry(r["id"], r["at"], act, r["previous"], r["hash"])


async def entries(conn: AsyncConnection, which: AuditFilter) -> list[AuditEntry]:
    """The entries ``which`` asks for, newest first."""
    t = schema.audit_entries
    a = t.c
    query = select(t).order_by(a.id.desc()).limit(which.limit)
    if which.centres is not None:
        query = query.where(a.centre.in_(sorted(which.centres)))
    if which.since is not None:
        query = query.where(a.at >= which.since)
    if which.until is not None:
        query = query.where(a.at < which.until)
    if which.kind is not None:
        query = query.where(a.kind == which.kind.value)
    if which.actor is not None:
        query = query.where(a.actor == which.actor)
    return [_entry(row) for row in (await conn.execute(query)).all()]


async def whole_trail(conn: AsyncConnection, batch: int = 2000) -> list[AuditEntry]:
    """Every entry in id order (the order of each chain), read in batches."""
    t = schema.audit_entries
    found: list[AuditEntry] = []
    after = 0
    while True:
        rows = (await conn.execute(select(t).where(t.c.id > after).order_by(t.c.id).limit(batch))).all()
        found.extend(_entry(row) for row in rows)
        if len(rows) < batch:
            return found
        after = found[-1].id


async def chain_ends(conn: AsyncConnection) -> dict[str, tuple[int, str]]:
    """Each chain's centre, its number of entries and its last hash."""
    a = schema.audit_entries.c
    counted = await conn.execute(select(a.centre, func.count(), func.max(a.id)).group_by(a.centre).order_by(a.centre))
    ends: dict[str, tuple[int, str]] = {}
    for centre, count, last in counted.all():
        digest = await conn.execute(select(a.hash).where(a.id == last))
        ends[centre] = (int(count), str(digest.scalar_one()))
    return ends


async def purge(conn: AsyncConnection, centre: str, before: dt.datetime) -> int:
    """Delete the entries of ``centre``'s chain written before ``before`` (the oldest, so the chain
    stays whole); returns how many."""
    a = schema.audit_entries.c
    gone = await conn.execute(delete(schema.audit_entries).where(a.centre == centre, a.at < before))
    return int(gone.rowcount or 0)
