"""Staff photos as stored: content-addressed JPEGs of one centre, kept by their SHA-256.

Storing the same photo twice is storing it once; the centre's configuration names which photo a
staff member shows (``Staff.photo``), so a change of photo is a configuration change like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
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
