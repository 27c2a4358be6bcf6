"""SMS notices: the numbers citizens gave for them, and the notices' outbox with its record.

A number is kept per ticket (``sms_phones``) only with the consent words the citizen was shown,
and deleted by the daily jobs after its time. A notice is a row of ``sms_notices`` written in the
transaction of the action that causes it; its ``key`` is unique per centre, so a notice written
twice (a repeated request, a second instance) is written once. The sender reads the due rows,
sends them and records the answer: ``sent`` with the provider's id, or ``failed`` and why; a
provider error leaves the row ``pending`` with a later ``next_attempt_at``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema
from queue_server.store.contacts import mask


class NoticeStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    """Accepted by the provider; its delivery receipt is read later."""
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Phone:
    """A ticket's number given for notices."""

    serial: int
    phone: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice to write: to whom, with which template and parameters, once per ``key``."""

    key: str
    kind: str
    phone: str
    template: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A written notice not yet sent."""

    id: int
    centre: str
    kind: str
    phone: str
    template: str
    params: Mapping[str, str]
    attempts: int


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A sent notice whose delivery receipt is still to be read."""

    id: int
    centre: str
    phone: str
    biz_id: str
    sent_at: dt.datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A notice as the record shows it: the number masked."""

    id: int
    key: str
    kind: str
    phone_masked: str
    template: str
    params: Mapping[str, Any]
    status: str
    reason: str
    biz_id: str | None
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None


async def keep_phone(
    conn: AsyncConnection,
    centre: str,
    serial: int,
    phone: str,
    *,
    consent: str,
    source: str,
    now: dt.datetime,
    days: int,
) -> None:
    """Keep (or replace) the ticket's number for notices, with the consent words shown."""
    values = {
        "phone": phone,
        "consent": consent,
        "source": source,
        "given_at": now,
        "purge_after": now + dt.timedelta(days=days),
    }
    t = schema.sms_phones.c
    done = await conn.execute(update(schema.sms_phones).where(t.centre == centre, t.serial == serial).values(values))
    if not done.rowcount:
        await conn.execute(insert(schema.sms_phones).values(centre=centre, serial=serial, **values))


async def phone_of(conn: AsyncConnection, centre: str, serial: int) -> str | None:
    t = schema.sms_phones.c
    found = await conn.execute(select(t.phone).where(t.centre == centre, t.serial == serial))
    return found.scalar_one_or_none()


async def waiting_phones(conn: AsyncConnection, centre: str) -> list[Phone]:
    """The centre's numbers whose ticket has not had its call's notice yet."""
    t = schema.sms_phones.c
    rows = await conn.execute(select(t.serial, t.phone).where(t.centre == centre, t.called.is_(False)))
    return [Phone(int(serial), phone) for serial, phone in rows]


async def mark_called(conn: AsyncConnection, centre: str, serials: list[int]) -> None:
    t = schema.sms_phones.c
    await conn.execute(update(schema.sms_phones).where(t.centre == centre, t.serial.in_(serials)).values(called=True))


async def written_keys(conn: AsyncConnection, centre: str, keys: list[str]) -> set[str]:
    """Which of ``keys`` have a notice at the centre already."""
    if not keys:
        return set()
    n = schema.sms_notices.c
    rows = await conn.execute(select(n.key).where(n.centre == centre, n.key.in_(keys)))
    return {str(key) for key in rows.scalars()}


async def write_notices(
    conn: AsyncConnection, centre: str, notices: list[Notice], now: dt.datetime, keep_days: int
) -> int:
    """Write each notice whose key the centre has not had; returns how many were new.

    ``INSERT ... ON CONFLICT DO NOTHING`` on the key: a notice is written once, whoever writes it.
    """
    if not notices:
        return 0
    rows = [
        {
            "centre": centre,
            "key": notice.key,
            "kind": notice.kind,
            "phone": notice.phone,
            "phone_masked": mask(notice.phone),
            "template": notice.template,
            "params": dict(notice.params),
            "status": NoticeStatus.PENDING.value,
            "reason": "",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "purge_after": now + dt.timedelta(days=keep_days),
        }
        for notice in notices
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(schema.sms_notices).values(rows).on_conflict_do_nothing(index_elements=["centre", "key"])
    result = await conn.execute(statement)
    return int(result.rowcount or 0)


async def due_notices(conn: AsyncConnection, centres: list[str], now: dt.datetime, limit: int) -> list[DueNotice]:
    """The first ``limit`` pending notices of these centres whose time to be sent has come."""
    n = schema.sms_notices.c
    query = (
        select(n.id, n.centre, n.kind, n.phone, n.template, n.params, n.attempts)
        .where(n.status == NoticeStatus.PENDING.value, n.next_attempt_at <= now, n.centre.in_(centres))
        .order_by(n.id)
        .limit(limit)
    )
    return [
        DueNotice(row.id, row.centre, row.kind, row.phone or "", row.template, row.params, row.attempts)
        for row in await conn.execute(query)
    ]


async def sent_today(conn: AsyncConnection, phone: str, since: dt.datetime) -> int:
    """How many notices went to ``phone`` since ``since`` (the start of the centre's day), at any centre."""
    n = schema.sms_notices.c
    query = select(func.count()).where(n.phone == phone, n.sent_at >= since)
    return int((await conn.execute(query)).scalar_one())


async def record_sent(
    conn: AsyncConnection, notice_id: int, biz_id: str, now: dt.datetime, attempts: int, check_at: dt.datetime
) -> None:
    """Accepted by the provider; its receipt is read from ``check_at`` on (``next_attempt_at``)."""
    values = {"status": NoticeStatus.SENT.value, "biz_id": biz_id, "sent_at": now, "reason": "", "attempts": attempts}
    await _set(conn, notice_id, next_attempt_at=check_at, **values)


async def due_receipts(
    conn: AsyncConnection, centres: list[str], now: dt.datetime, since: dt.datetime, limit: int
) -> list[SentNotice]:
    """Sent notices sent after ``since`` whose receipt is due to be read."""
    n = schema.sms_notices.c
    query = (
        select(n.id, n.centre, n.phone, n.biz_id, n.sent_at, n.attempts)
        .where(
            n.status == NoticeStatus.SENT.value,
            n.next_attempt_at <= now,
            n.sent_at >= since,
            n.centre.in_(centres),
            n.phone.is_not(None),
        )
        .order_by(n.id)
        .limit(limit)
    )
    rows = await conn.execute(query)
    return [SentNotice(r.id, r.centre, r.phone, r.biz_id or "", r.sent_at, r.attempts) for r in rows]


async def record_receipt(
    conn: AsyncConnection, notice_id: int, status: NoticeStatus | None, reason: str, check_at: dt.datetime
) -> None:
    """Delivered or failed (with the network's code), or, for None, read again from ``check_at``."""
    if status is None:
        await _set(conn, notice_id, next_attempt_at=check_at)
    else:
        await _set(conn, notice_id, status=status.value, reason=reason)


async def record_failed(conn: AsyncConnection, notice_id: int, reason: str, attempts: int) -> None:
    await _set(conn, notice_id, status=NoticeStatus.FAILED.value, reason=reason, attempts=attempts)


async def record_retry(conn: AsyncConnection, notice_id: int, reason: str, attempts: int, at: dt.datetime) -> None:
    await _set(conn, notice_id, reason=reason, attempts=attempts, next_attempt_at=at)


async def _set(conn: AsyncConnection, notice_id: int, **values: Any) -> None:
    await conn.execute(update(schema.sms_notices).where(schema.sms_notices.c.id == notice_id).values(values))


async def notice_records(conn: AsyncConnection, centre: str, limit: int = 100) -> list[NoticeRecord]:
    """The centre's latest notices, newest first, the numbers masked."""
    n = schema.sms_notices.c
    query = (
        select(
            n.id, n.key, n.kind, n.phone_masked, n.template, n.params, n.status, n.reason, n.biz_id, n.attempts,
            n.created_at, n.sent_at,
        )
        .where(n.centre == centre)
        .order_by(n.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [NoticeRecord(**row._mapping) for row in await conn.execute(query)]


async def purge_sms(conn: AsyncConnection, now: dt.datetime) -> int:
    """Delete the numbers past their time, and blank them in the notices sent to them; returns how many."""
    gone = await conn.execute(delete(schema.sms_phones).where(schema.sms_phones.c.purge_after <= now))
    n = schema.sms_notices.c
    blanked = await conn.execute(
        update(schema.sms_notices).where(n.purge_after <= now, n.phone.is_not(None)).values(phone=None)
    )
    return int(gone.rowcount or 0) + int(blanked.rowcount or 0)


async def forget_numbers_given_before(conn: AsyncConnection, centre: str, cutoff: dt.datetime) -> int:
    """Delete the centre's numbers given before ``cutoff``, and blank them in the notices written
    before it (a centre's ``sms_days`` shorter than the SMS settings'); returns how many."""
    p, n = schema.sms_phones.c, schema.sms_notices.c
    gone = await conn.execute(delete(schema.sms_phones).where(p.centre == centre, p.given_at < cutoff))
    blanked = await conn.execute(
        update(schema.sms_notices)
        .where(n.centre == centre, n.created_at < cutoff, n.phone.is_not(None))
        .values(phone=None)
    )
    return int(gone.rowcount or 0) + int(blanked.rowcount or 0)


async def purge_records(conn: AsyncConnection, centre: str, cutoff: dt.datetime) -> int:
    """Delete the centre's notices written before ``cutoff``, apart from those still to be sent."""
    n = schema.sms_notices.c
    gone = await conn.execute(
        delete(schema.sms_notices).where(
            n.centre == centre, n.status != NoticeStatus.PENDING.value, n.created_at < cutoff
        )
    )
    return int(gone.rowcount or 0)
