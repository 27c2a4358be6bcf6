"""Keeping rectification cases (整改): one row per case, its steps and notes in order.

Case ids count per centre (1, 2, 3 ...), given out under the centre's lock. A bad rating opens at
most one case (a unique index on the rated ticket), so a rating applied twice cannot open two.
A case is saved only over the version it was read at: two people moving the same case at once
get one success and one clear refusal, never a lost step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.rectification import Case, CaseNote, CaseSource, CaseStatus
from queue_server.store import schema

_CASES = schema.rectification_cases


def _notes_json(notes: Iterable[CaseNote]) -> list[dict[str, Any]]:
    return [
        {"at": n.at.isoformat(), "actor": n.actor, "status": n.status.value, "text": n.text, "assignee": n.assignee}
        for n in notes
    ]


def _notes(data: Any) -> tuple[CaseNote, ...]:
    return tuple(
        CaseNote(
            at=dt.datetime.fromisoformat(item["at"]),
            actor=item["actor"],
            status=CaseStatus(item["status"]),
            text=item["text"],
            assignee=item.get("assignee"),
        )
        for item in data or []
    )


def case_from_row(row: Any) -> Case:
    return Case(
        id=row.id,
        source=CaseSource(row.source),
        opened_at=row.opened_at,
        due_on=row.due_on,
        status=CaseStatus(row.status),
        serial=row.serial,
        window=row.window,
        staff=row.staff,
        matter=row.matter,
        level=row.level,
        reasons=tuple(row.reasons or ()),
        comment=row.comment,
        assignee=row.assignee,
        closed_at=row.closed_at,
        notes=_notes(row.notes),
    )


async def next_case_id(conn: AsyncConnection, centre: str) -> int:
    """The next id at ``centre``; call it under the centre's lock."""
    last = (await conn.execute(select(func.max(_CASES.c.id)).where(_CASES.c.centre == centre))).scalar_one()
    return int(last or 0) + 1


async def insert_case(conn: AsyncConnection, centre: str, case: Case) -> None:
    await conn.execute(
        insert(_CASES).values(
            centre=centre,
            id=case.id,
            source=case.source.value,
            status=case.status.value,
            serial=case.serial,
            window=case.window,
            staff=case.staff,
            matter=case.matter,
            level=case.level,
            reasons=list(case.reasons),
            comment=case.comment,
            assignee=case.assignee,
            opened_at=case.opened_at,
            due_on=case.due_on,
            closed_at=case.closed_at,
            notes=_notes_json(case.notes),
            version=1,
        )
    )


async def load_case(conn: AsyncConnection, centre: str, case_id: int) -> tuple[Case, int] | None:
    """The case and the version it was read at, or None."""
    row = (await conn.execute(select(_CASES).where(_CASES.c.centre == centre, _CASES.c.id == case_id))).first()
    return None if row is None else (case_from_row(row), int(row.version))


async def save_case(conn: AsyncConnection, centre: str, case: Case, version: int) -> bool:
    """Write the case over ``version``; False when someone else saved it since it was read."""
    result = await conn.execute(
        update(_CASES)
        .where(_CASES.c.centre == centre, _CASES.c.id == case.id, _CASES.c.version == version)
        .values(
            status=case.status.value,
            assignee=case.assignee,
            closed_at=case.closed_at,
            notes=_notes_json(case.notes),
            version=version + 1,
        )
    )
    return bool(result.rowcount)


async def list_cases(conn: AsyncConnection, centre: str, statuses: Iterable[CaseStatus] | None = None) -> list[Case]:
    query = select(_CASES).where(_CASES.c.centre == centre).order_by(_CASES.c.id.desc())
    wanted = [s.value for s in statuses] if statuses is not None else None
    if wanted is not None:
        query = query.where(_CASES.c.status.in_(wanted))
    return [case_from_row(row) for row in await conn.execute(query)]
