"""Request ids and their answers: a repeated request is answered with the first answer.

An answer is kept in the transaction of the action it answers (through ``Writes``, so a batch of
actions writes its answers in one statement) and read back by the centre and the request id. The
rows are deleted after a retention period; a device's retry comes within seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema
from queue_server.store.prepared import Prepared
from queue_server.store.repository import Writes


@dataclass(frozen=True, slots=True)
class Recorded:
    """The first answer given to a request id, and whose action it answered."""

    actor: str
    action: str
    answer: Any
    """The answer as the application kept it (``queue_server.app.answers.Answer.record``)."""


_r = schema.requests.c
_RECORDED = Prepared(
    select(_r.request_id, _r.actor, _r.action, _r.response).where(
        _r.centre == bindparam("centre"), _r.request_id.in_(bindparam("ids", expanding=True))
    )
)
"""The recorded answers of a batch's request ids: built and compiled once, not per batch."""


async def recorded_answers(conn: AsyncConnection, centre: str, request_ids: Iterable[str]) -> dict[str, Recorded]:
    """The recorded answers of any of ``request_ids``, by request id, in one query."""
    rows = await _RECORDED.fetch(conn, {"centre": centre, "ids": sorted(set(request_ids))})
    return {request_id: Recorded(actor, action, response) for request_id, actor, action, response in rows}


async def recorded_answer(conn: AsyncConnection, centre: str, request_id: str) -> Recorded | None:
    r = schema.requests.c
    row = (
        await conn.execute(select(r.actor, r.action, r.response).where(r.centre == centre, r.request_id == request_id))
    ).one_or_none()
    return None if row is None else Recorded(row.actor, row.action, row.response)


def keep_answer(writes: Writes, request_id: str, actor: str, action: str, answer: Any, now: dt.datetime) -> None:
    """Record the answer to ``request_id`` when ``writes`` is flushed (in the action's transaction)."""
    writes.recorded.add(request_id)
    writes.requests.append(
        {
            "centre": writes.code,
            "request_id": request_id,
            "actor": actor,
            "action": action,
            "response": answer,
            "created_at": now,
        }
    )


async def prune_requests(conn: AsyncConnection, before: dt.datetime) -> int:
    """Delete the answers recorded before ``before``; returns how many."""
    result = await conn.execute(delete(schema.requests).where(schema.requests.c.created_at < before))
    return int(result.rowcount or 0)
