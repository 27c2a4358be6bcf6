"""Follow-up contacts (回访): a citizen's phone number, kept only with consent and only for a while.

The number is written with the rating it came with (one transaction), shown in full only on the
rectification case of that ticket, masked (138****5678) anywhere else it is mentioned, never put
in a report or an export, and deleted by the daily jobs after the centre's ``follow_up_days``.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema

PHONE = re.compile(r"\+?[0-9][0-9 -]{5,22}[0-9]")
"""A mobile or landline number as people type it: digits, spaces and dashes, an optional +."""
CONSENT_ZH = "本人同意工作人员就本次评价电话回访；号码仅用于回访，{days}天后删除。"
CONSENT_EN = (
    "I agree to be called back about this rating; the number is used only for that and deleted after {days} days."
)


def mask(phone: str) -> str:
    """138****5678: enough to recognise one's own number, not enough to call it."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 6:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


async def keep_contact(
    conn: AsyncConnection, centre: str, serial: int, phone: str, consent: str, now: dt.datetime, days: int
) -> None:
    await conn.execute(
        insert(schema.follow_up_contacts).values(
            centre=centre,
            serial=serial,
            phone=phone.strip(),
            consent=consent,
            given_at=now,
            purge_after=now + dt.timedelta(days=days),
        )
    )


async def contact_of(conn: AsyncConnection, centre: str, serial: int) -> str | None:
    c = schema.follow_up_contacts.c
    found = await conn.execute(select(c.phone).where(c.centre == centre, c.serial == serial))
    return found.scalar_one_or_none()


async def purge_contacts(conn: AsyncConnection, now: dt.datetime) -> int:
    """Delete every number past its time; returns how many."""
    gone = await conn.execute(delete(schema.follow_up_contacts).where(schema.follow_up_contacts.c.purge_after <= now))
    return int(gone.rowcount or 0)
