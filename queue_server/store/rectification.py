"""Keeping rectification cases (整改): one row per case, its steps and notes in order.

Case ids count per centre (1, 2, 3 ...), given out under the centre's lock. A bad rating opens at
most one case (a unique index on the rated ticket), so a rating applied twice cannot open two.
A case is saved only over the version it was read at: two people moving the same case at once
get one success and one clear refusal, never a lost step. The follow-up calls and the appeal
are kept on the case's row too (JSON), the appeal's status beside them for the reports' join.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.appeals import Appeal, AppealStatus, EvidenceFile, EvidenceType
from queue_server.domain.follow_up import CallResult, FollowUpCall, FollowUpOutcome
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


def _calls_json(calls: Iterable[FollowUpCall]) -> list[dict[str, Any]]:
    return [{"at": c.at.isoformat(), "actor": c.actor, "result": c.result.value, "note": c.note} for c in calls]


def _calls(data: Any) -> tuple[FollowUpCall, ...]:
    return tuple(
        FollowUpCall(dt.datetime.fromisoformat(item["at"]), item["actor"], CallResult(item["result"]), item["note"])
        for item in data or []
    )


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _appeal_json(appeal: Appeal | None) -> dict[str, Any] | None:
    if appeal is None:
        return None
    return {
        "filed_at": appeal.filed_at.isoformat(),
        "filed_by": appeal.filed_by,
        "reason": appeal.reason,
        "evidence": appeal.evidence,
        "files": [
            {"sha256": f.sha256, "name": f.name, "media_type": f.media_type.value, "size": f.size} for f in appeal.files
        ],
        "status": appeal.status.value,
        "decided_at": _when(appeal.decided_at),
        "decided_by": appeal.decided_by,
        "decision_note": appeal.decision_note,
    }


def _appeal(data: Any) -> Appeal | None:
    if not data:
        return None
    decided_at = data.get("decided_at")
    return Appeal(
        filed_at=dt.datetime.fromisoformat(data["filed_at"]),
        filed_by=data["filed_by"],
        reason=data["reason"],
        evidence=data.get("evidence", ""),
        files=tuple(
            EvidenceFile(f["sha256"], f["name"], EvidenceType(f["media_type"]), int(f["size"]))
            for f in data.get("files", ())
        ),
        status=AppealStatus(data["status"]),
        decided_at=dt.datetime.fromisoformat(decided_at) if decided_at else None,
        decided_by=data.get("decided_by"),
        decision_note=data.get("decision_note", ""),
    )


def _follow_up_columns(case: Case) -> dict[str, Any]:
    """The columns of the follow-up record and the appeal, as an insert and an update write them."""
    return {
        "named": case.named,
        "follow_up_calls": _calls_json(case.calls),
        "follow_up": case.follow_up.value if case.follow_up is not None else None,
        "appeal": _appeal_json(case.appeal),
        "appeal_status": case.appeal.status.value if case.appeal is not None else None,
    }


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
        named=bool(row.named),
        calls=_calls(row.follow_up_calls),
        follow_up=FollowUpOutcome(row.follow_up) if row.follow_up else None,
        appeal=_appeal(row.appeal),
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
            **_follow_up_columns(case),
        )
    )
    await _cases_changed(conn, centre)


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
            **_follow_up_columns(case),
        )
    )
    if result.rowcount:
        await _cases_changed(conn, centre)
    return bool(result.rowcount)


async def list_cases(conn: AsyncConnection, centre: str, statuses: Iterable[CaseStatus] | None = None) -> list[Case]:
    query = select(_CASES).where(_CASES.c.centre == centre).order_by(_CASES.c.id.desc())
    wanted = [s.value for s in statuses] if statuses is not None else None
    if wanted is not None:
        query = query.where(_CASES.c.status.in_(wanted))
    return [case_from_row(row) for row in await conn.execute(query)]


async def mark_named(conn: AsyncConnection, centre: str, serial: int) -> None:
    """The citizen left a number with the rating of ticket ``serial``: its case needs a follow-up call."""
    result = await conn.execute(
        update(_CASES)
        .where(_CASES.c.centre == centre, _CASES.c.source == CaseSource.RATING.value, _CASES.c.serial == serial)
        .values(named=True)
    )
    if result.rowcount:
        await _cases_changed(conn, centre)


async def _cases_changed(conn: AsyncConnection, centre: str) -> None:
    """A case of ``centre`` changed in this transaction: the live pages (queue_server.pages.live) read
    the cases again once it commits, in every instance."""
    c = schema.centres.c
    await conn.execute(update(schema.centres).where(c.code == centre).values(cases_version=c.cases_version + 1))
