"""Staff photos as stored: content-addressed JPEGs of one centre, kept by their SHA-256.

Storing the same photo twice is storing it once; the centre's configuration names which photo a
staff member shows (``Staff.photo``), so a change of photo is a configuration change like any other.
The retention policy's daily job marks when a photo is first found named by no staff member
(``unnamed_since``) and deletes it once the centre's ``staff_photo_days`` have passed since
(:func:`purge_unnamed`); a photo named again is kept again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema


async def keep_photo(conn: AsyncConnection, centre: str, sha256: str, image: bytes, by: str, now: dt.datetime) -> None:
    """Store ``image`` under its hash, unless the centre already has it (two managers may send it at once)."""
    row = {"centre": centre, "sha256": sha256, "image": image, "uploaded_at": now, "uploaded_by": by}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(schema.staff_photos).values(row).on_conflict_do_nothing())


async def photo_image(conn: AsyncConnection, centre: str, sha256: str) -> bytes | None:
    p = schema.staff_photos.c
    found = await conn.execute(select(p.image).where(p.centre == centre, p.sha256 == sha256))
    image = found.scalar_one_or_none()
    return bytes(image) if image is not None else None


async def missing_photos(conn: AsyncConnection, centre: str, wanted: Iterable[str]) -> list[str]:
    """Which of the ``wanted`` hashes the centre has no photo for, in the order asked."""
    asked = [sha for sha in wanted if sha]
    if not asked:
        return []
    p = schema.staff_photos.c
    rows = await conn.execute(select(p.sha256).where(p.centre == centre, p.sha256.in_(set(asked))))
    have = {row.sha256 for row in rows}
    return [sha for sha in asked if sha not in have]


async def purge_unnamed(conn: AsyncConnection, centre: str, named: Collection[str], now: dt.datetime, days: int) -> int:
    """Mark the centre's photos ``named`` by no staff member as unnamed from ``now`` (those named again
    lose the mark), and delete those unnamed for ``days`` or more; returns how many were deleted."""
    p = schema.staff_photos.c
    shown = list(named)
    await conn.execute(
        update(schema.staff_photos)
        .where(p.centre == centre, p.sha256.in_(shown), p.unnamed_since.is_not(None))
        .values(unnamed_since=None)
    )
    await conn.execute(
        update(schema.staff_photos)
        .where(p.centre == centre, p.sha256.not_in(shown), p.unnamed_since.is_(None))
        .values(unnamed_since=now)
    )
    done = await conn.execute(
        delete(schema.staff_photos).where(
            p.centre == centre, p.sha256.not_in(shown), p.unnamed_since <= now - dt.timedelta(days=days)
        )
    )
    return int(done.rowcount or 0)
