"""The files of appeals as stored: photos and PDFs of one centre, kept by their SHA-256.

Like staff photos (queue_server.store.staff_photos): storing a file twice stores it once; an
appeal names the files it carries (``Appeal.files``), kept with it on the case's row. A file is
deleted by the retention policy's daily job once no case kept open, or closed within the centre's
``appeal_evidence_days``, names it (:func:`purge_evidence`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.rectification import CaseStatus
from queue_server.store import schema


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    sha256: str
    media_type: str
    size: int


async def keep_evidence(
    conn: AsyncConnection, centre: str, sha256: str, media_type: str, data: bytes, by: str, now: dt.datetime
) -> None:
    """Store ``data`` under its hash, unless the centre already has it."""
    row = {"centre": centre, "sha256": sha256, "media_type": media_type, "data": data, "uploaded_at": now,
           "uploaded_by": by}  # fmt: skip
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(schema.appeal_evidence).values(row).on_conflict_do_nothing())


async def evidence_data(conn: AsyncConnection, centre: str, sha256: str) -> tuple[str, bytes] | None:
    """A stored file's media type and bytes, if the centre has it."""
    e = schema.appeal_evidence.c
    row = (await conn.execute(select(e.media_type, e.data).where(e.centre == centre, e.sha256 == sha256))).first()
    return (str(row.media_type), bytes(row.data)) if row is not None else None


async def stored_evidence(conn: AsyncConnection, centre: str, wanted: Iterable[str]) -> dict[str, StoredEvidence]:
    """Which of the ``wanted`` hashes the centre has, with their type and size, by hash."""
    asked = set(wanted)
    if not asked:
        return {}
    e = schema.appeal_evidence.c
    query = select(e.sha256, e.media_type, func.length(e.data).label("size")).where(
        e.centre == centre, e.sha256.in_(asked)
    )
    return {row.sha256: StoredEvidence(row.sha256, row.media_type, int(row.size)) for row in await conn.execute(query)}


async def purge_evidence(conn: AsyncConnection, centre: str, cutoff: dt.datetime) -> int:
    """Delete the centre's files uploaded before ``cutoff`` that no appeal of a case still open, or
    closed since ``cutoff``, names; returns how many. A file uploaded and never filed goes too."""
    r, e = schema.rectification_cases.c, schema.appeal_evidence.c
    kept_cases = select(r.appeal).where(
        r.centre == centre,
        r.appeal.is_not(None),
        or_(r.status != CaseStatus.CLOSED.value, r.closed_at.is_(None), r.closed_at >= cutoff),
    )
    named = {str(f["sha256"]) for (appeal,) in await conn.execute(kept_cases) for f in (appeal or {}).get("files", ())}
    old = (await conn.execute(select(e.sha256).where(e.centre == centre, e.uploaded_at < cutoff))).scalars().all()
    gone = [sha for sha in old if sha not in named]
    if not gone:
        return 0
    done = await conn.execute(delete(schema.appeal_evidence).where(e.centre == centre, e.sha256.in_(gone)))
    return int(done.rowcount or 0)
