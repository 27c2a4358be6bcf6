"""One person's data on request (PIPL 个人信息保护法 arts. 45 and 47): exported, or erased everywhere.

The person is named by a phone number or an ID number. The database never holds an ID number, only
its keyed hash (queue_server.http_common.id_key), so the number asked for is hashed with the same
key and looked up so; a mobile number is looked up in full and by the keyed hash a confirmed
number of the public booking page is kept as. Each export and each erasure is recorded in the audit
trail of every centre that held something (the city's chain when none did), with who asked and
why, in the transaction that reads or erases: nothing is handed out or erased unrecorded. The
entries name the person by a masked number or a prefix of the keyed hash, never in full.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from queue_server.app.audit import require_reason
from queue_server.app.refusals import Refusal
from queue_server.domain.audit import CITY, Actor, AuditAct, AuditKind
from queue_server.domain.bookings import id_number, person_key
from queue_server.domain.clock import Clock
from queue_server.domain.errors import InvalidTransition
from queue_server.domain.phone_codes import phone_key
from queue_server.store import audit as audit_trail
from queue_server.store.contacts import mask
from queue_server.store.database import Database
from queue_server.store.privacy import PersonKeys, erase_person, person_data

MOBILE = re.compile(r"1[3-9][0-9]{9}")


class PrivacyRequestError(ValueError):
    """A request that names nobody usable (a mistyped number, no reason); the message says why."""


@dataclass(frozen=True, slots=True)
class Person:
    """Whom a request is about: how to find their rows, and how the audit trail names them."""

    keys: PersonKeys
    named: str
    """``phone:138****5678`` or ``id:<first 12 hex of the keyed hash>``."""


def person(id_key: bytes, *, phone: str | None = None, id_number_typed: str | None = None) -> Person:
    """The person a phone number or an ID number (one of them) names."""
    if (phone is None) == (id_number_typed is None):
        raise PrivacyRequestError("Name the person by one phone number or one ID number")
    if phone is not None:
        digits = re.sub(r"\D", "", phone)
        for prefix in ("0086", "86"):
            if len(digits) > 11 and digits.startswith(prefix):
                digits = digits.removeprefix(prefix)
        if not 5 <= len(digits) <= 20:
            raise PrivacyRequestError(
                f"Cannot look up phone number {mask(phone)!r}: give its digits, e.g. 138 1234 5678"
            )
        hashes = (phone_key(id_key, digits),) if MOBILE.fullmatch(digits) else ()
        return Person(PersonKeys((digits, "86" + digits, "0086" + digits), hashes), f"phone:{mask(digits)}")
    assert id_number_typed is not None
    try:
        number = id_number(id_number_typed)
    except InvalidTransition as error:
        raise PrivacyRequestError(f"Cannot look up the ID number: {error}") from None
    hashed = person_key(id_key, number)
    return Person(PersonKeys((), (hashed,)), f"id:{hashed[:12]}")


def _reason(reason: str) -> str:
    try:
        return require_reason(reason)
    except Refusal:
        raise PrivacyRequestError(
            "Give the reason for the request (e.g. 本人申请 2026-12-06 第12号), it is recorded"
        ) from None


def _centres(found: dict[str, list[dict[str, Any]]]) -> list[str]:
    return sorted({row["centre"] for rows in found.values() for row in rows}) or [CITY]


async def export_person(db: Database, clock: Clock, who: Person, by: Actor, reason: str) -> dict[str, Any]:
    """Everything held about ``who`` as JSON values, recorded in the audit trail as exported."""
    why = _reason(reason)
    async with db.write() as conn:
        found = await person_data(conn, who.keys)
        counts = {kind: len(rows) for kind, rows in found.items() if rows}
        for centre in _centres(found):
            act = AuditAct.by(by, AuditKind.PERSONAL_EXPORTED, centre, who.named, reason=why, detail={"rows": counts})
            await audit_trail.append(conn, act, clock.now())
    return {"person": who.named, "exported_at": clock.now().astimezone(dt.UTC).isoformat(), "data": found}


async def erase(db: Database, clock: Clock, who: Person, by: Actor, reason: str) -> dict[str, int]:
    """Delete or blank everything held about ``who``, recorded in the audit trail; how many rows of each kind."""
    why = _reason(reason)
    async with db.write() as conn:
        centres = _centres(await person_data(conn, who.keys))
        done = await erase_person(conn, who.keys)
        counts = {kind: count for kind, count in done.items() if count}
        for centre in centres:
            act = AuditAct.by(by, AuditKind.PERSONAL_ERASED, centre, who.named, reason=why, detail={"rows": counts})
            await audit_trail.append(conn, act, clock.now())
    return done


async def held(db: Database, who: Person) -> dict[str, int]:
    """How many rows of each kind hold ``who`` (no data shown, nothing recorded): what an erasure would touch."""
    async with db.read() as conn:
        found = await person_data(conn, who.keys)
    return {kind: len(rows) for kind, rows in found.items()}
