"""Postal addresses (邮件寄递): where a promised case's result is posted, kept only with consent.

An address is taken at the counter with the citizen's consent (the words they agreed to are kept
with it), given in full only to whoever posts the result (the business system), masked anywhere
else, deleted in the transaction that records the delivery, and at the latest at ``purge_after``
by the daily jobs: the centre's ``policy.postal_days_after_due`` (60 by default) after the case's
promised date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store import schema
from queue_server.store.contacts import mask

CONSENT_ZH = "本人同意将办理结果邮寄至以下地址；地址仅用于本次寄递，送达后即删除，最迟于承诺办结日后{days}天删除。"
CONSENT_EN = (
    "I agree to have the result posted to this address; it is used only for this and deleted once delivered,"
    " at the latest {days} days after the promised date."
)


@dataclass(frozen=True, slots=True)
class PostalAddress:
    recipient: str
    phone: str
    address: str
    consent: str
    """The words the citizen agreed to, as shown at the counter."""
    taken_at: dt.datetime
    taken_by: str

    def masked(self) -> str:
        """张** 138****5678 广东省深圳市****: enough to recognise, not enough to send anything."""
        return f"{mask_name(self.recipient)} {mask(self.phone)} {mask_address(self.address)}"


def mask_address(address: str) -> str:
    """The first six characters (the province and city, as Chinese addresses begin) and the rest hidden."""
    kept = address.strip()[:6]
    return kept + "****" if len(address.strip()) > 6 else "****"


def mask_name(name: str) -> str:
    """张** : the family name only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


async def keep_address(
    conn: AsyncConnection, centre: str, serial: int, address: PostalAddress, purge_after: dt.datetime
) -> None:
    """Keep (or replace, when the citizen gives another) the address a case's result is posted to."""
    values = {
        "centre": centre,
        "serial": serial,
        "recipient": address.recipient,
        "phone": address.phone,
        "address": address.address,
        "consent": address.consent,
        "taken_at": address.taken_at,
        "taken_by": address.taken_by,
        "purge_after": purge_after,
    }
    await forget_address(conn, centre, serial)
    await conn.execute(insert(schema.postal_addresses).values(values))


async def address_of(conn: AsyncConnection, centre: str, serial: int) -> PostalAddress | None:
    a = schema.postal_addresses.c
    row = (
        await conn.execute(
            select(a.recipient, a.phone, a.address, a.consent, a.taken_at, a.taken_by).where(
                a.centre == centre, a.serial == serial
            )
        )
    ).first()
    return None if row is None else PostalAddress(*row)


async def forget_address(conn: AsyncConnection, centre: str, serial: int) -> bool:
    """Delete the case's address (its result was delivered); whether there was one."""
    a = schema.postal_addresses.c
    gone = await conn.execute(delete(schema.postal_addresses).where(a.centre == centre, a.serial == serial))
    return bool(gone.rowcount)


async def purge_addresses(conn: AsyncConnection, now: dt.datetime) -> int:
    """Delete every address past its time; returns how many."""
    gone = await conn.execute(delete(schema.postal_addresses).where(schema.postal_addresses.c.purge_after <= now))
    return int(gone.rowcount or 0)
