"""Recording, reading, verifying and purging the audit trail, for every edge alike.

A change is recorded in the transaction that makes it (:func:`record_in`), so a change never lands
without its entry. A view or export of personal data is recorded before the data is handed out
(:func:`record`): if the entry cannot be written, nothing is shown. Reading the trail is itself an
act recorded (kind ``audit_read``), so whoever looks at who looked is on record too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from queue_server.app.refusals import FieldProblem, Refusal
from queue_server.domain.audit import AuditAct, AuditEntry, ChainBreak, check_chain
from queue_server.domain.clock import Clock
from queue_server.store import audit as stored
from queue_server.store.audit import AuditFilter
from queue_server.store.database import Connection, Database

REASON_LONGEST = 200


def require_reason(reason: str | None, field: str = "reason") -> str:
    """The reason given for seeing personal data, trimmed; refused (INVALID) when missing."""
    given = (reason or "").strip()
    if not given:
        raise Refusal.invalid([FieldProblem(field, "say why the data is needed (e.g. 回访核实); it is recorded")])
    if len(given) > REASON_LONGEST:
        raise Refusal.invalid([FieldProblem(field, f"at most {REASON_LONGEST} characters")])
    return given


async def record_in(conn: Connection, act: AuditAct, now: dt.datetime) -> AuditEntry:
    """Append ``act`` inside the caller's write transaction."""
    return await stored.append(conn, act, now)


async def record(db: Database, clock: Clock, act: AuditAct) -> AuditEntry:
    """Append ``act`` in a transaction of its own."""
    async with db.write() as conn:
        return await stored.append(conn, act, clock.now())


async def read_trail(db: Database, clock: Clock, which: AuditFilter, reader: AuditAct) -> list[AuditEntry]:
    """The entries ``which`` asks for, newest first, after recording that ``reader`` read them."""
    await record(db, clock, reader)
    async with db.read() as conn:
        return await stored.entries(conn, which)


async def verify_trail(db: Database) -> tuple[int, list[ChainBreak]]:
    """How many entries were checked and every break in their chains."""
    async with db.read() as conn:
        trail = await stored.whole_trail(conn)
    return len(trail), check_chain(trail)


async def purge_trail(db: Database, clock: Clock, days_by_centre: Mapping[str, int]) -> int:
    """Delete each chain's entries older than its centre's ``audit_days``; returns how many."""
    gone = 0
    async with db.write() as conn:
        for centre, days in days_by_centre.items():
            gone += await stored.purge(conn, centre, clock.now() - dt.timedelta(days=days))
    return gone
