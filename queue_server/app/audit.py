"""Recording, reading and verifying the audit trail, for every edge alike (the retention job purges
it: queue_server.app.maintenance).

A change is recorded in the transaction that makes it (:func:`record_in`), so a change never lands
without its entry. A view or export of personal data is recorded before the data is handed out
(:func:`record`): if the entry cannot be written, nothing is shown. Exporting the trail is itself
an act recorded (kind ``audit_exported``), so whoever takes a copy of who looked is on record too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from queue_server.app.refusals import FieldProblem, Refusal
from queue_server.domain.audit import Actor, AuditAct, AuditEntry, AuditKind, ChainBreak, check_chain
from queue_server.domain.clock import Clock
from queue_server.store import audit as stored
from queue_server.store.audit import AuditFilter
from queue_server.store.database import Connection, Database

__all__ = [
    "AuditFilter",
    "actor_named",
    "chain_ends",
    "detail_text",
    "export_trail",
    "read_trail",
    "record",
    "record_in",
    "require_reason",
    "verify_trail",
]

REASON_LONGEST = 200


def require_reason(reason: str | None, field: str = "reason") -> str:
    """The reason given for seeing personal data, trimmed; refused (INVALID) when missing."""
    given = (reason or "").strip()
    if not given:
        raise Refusal.invalid([FieldProblem(field, "say why the data is needed (e.g. 回访核实); it is recorded")])
    if len(given) > REASON_LONGEST:
        raise Refusal.invalid([FieldProblem(field, f"at most {REASON_LONGEST} characters")])
    return given


def actor_named(actor: str) -> Actor:
    """The actor of an event-log actor string (``manager:li``, ``staff:s01``): its prefix is the role."""
    return Actor(actor, actor.partition(":")[0])


async def record_in(conn: Connection, act: AuditAct, now: dt.datetime) -> AuditEntry:
    """Append ``act`` inside the caller's write transaction."""
    return await stored.append(conn, act, now)


async def record(db: Database, clock: Clock, act: AuditAct) -> AuditEntry:
    """Append ``act`` in a transaction of its own."""
    async with db.write() as conn:
        return await stored.append(conn, act, clock.now())


async def read_trail(db: Database, which: AuditFilter) -> list[AuditEntry]:
    """The entries ``which`` asks for, newest first."""
    async with db.read() as conn:
        return await stored.entries(conn, which)


async def export_trail(
    db: Database, clock: Clock, which: AuditFilter, reader: Actor, *, reason: str, request_id: str, form: str
) -> list[AuditEntry]:
    """The entries ``which`` asks for, after recording in each centre's chain it covers that
    ``reader`` exported them (as ``form``: csv, xlsx) and why; the export's own entries are not in it."""
    entries = await read_trail(db, which)
    async with db.write() as conn:
        for centre in sorted(which.centres or {entry.act.centre for entry in entries}):
            detail = {"format": form, "entries": sum(1 for e in entries if e.act.centre == centre), **_asked(which)}
            act = AuditAct.by(
                reader, AuditKind.AUDIT_EXPORTED, centre, "audit", reason=reason, request_id=request_id, detail=detail
            )
            await stored.append(conn, act, clock.now())
    return entries


def _asked(which: AuditFilter) -> dict[str, str]:
    """The filter of an export, as its entry keeps it."""
    asked = {
        "since": which.since.isoformat() if which.since else "",
        "until": which.until.isoformat() if which.until else "",
        "kind": which.kind.value if which.kind else "",
        "actor": which.actor or "",
    }
    return {name: value for name, value in asked.items() if value}


async def verify_trail(db: Database) -> tuple[int, list[ChainBreak]]:
    """How many entries were checked and every break in their chains."""
    async with db.read() as conn:
        trail = await stored.whole_trail(conn)
    return len(trail), check_chain(trail)


async def chain_ends(db: Database) -> dict[str, tuple[int, str]]:
    """Each chain's centre (``""``: the city's), its number of entries and its last hash."""
    async with db.read() as conn:
        return await stored.chain_ends(conn)


def detail_text(detail: Mapping[str, object]) -> str:
    """An entry's detail as one line of JSON, for a spreadsheet cell."""
    return json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, default=str)
