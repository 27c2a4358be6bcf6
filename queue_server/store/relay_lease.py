"""Which server instance relays a centre's outbox now: a lease that lives as long as a transaction.

Several instances on one PostgreSQL database each run a relay for every centre, but only one may
publish a centre's rows at a time, or two could publish the same subject out of order (a display
drops a sequence lower than one it has seen, so a late older call would be lost to it). The lease
is PostgreSQL's transaction-level advisory lock on the pair (relay class, hash of the centre
code): taken inside the transaction that reads the pending rows and marks them sent, and held
while they are published. It ends with that transaction, and with the connection if the instance
dies, so a killed instance never keeps it: the next instance that asks takes over, and publishes
again, in order, the rows the dead one had not marked sent.

SQLite serves one instance (its file is local), so the lease is always granted there.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

RELAY_LOCK_CLASS = 0x0E1A
"""The first key of the advisory lock pair: marks the lock as the outbox relay's."""
SMS_LOCK_CLASS = 0x0E1B
"""The same lease for the SMS sender (queue_server.app.sms_sender): one instance sends a centre's notices."""


async def try_relay_lease(conn: AsyncConnection, centre: str, kind: int = RELAY_LOCK_CLASS) -> bool:
    """Take the centre's relay lease (or another ``kind`` of lease) for the rest of ``conn``'s
    transaction, unless another holds it.

    Never waits: an instance that finds it held leaves the rows to their holder.
    """
    if conn.dialect.name != "postgresql":
        return True
    query = text("SELECT pg_try_advisory_xact_lock(:kind, hashtext(:centre))")
    return bool((await conn.execute(query, {"kind": kind, "centre": centre})).scalar_one())


async def wait_relay_lease(conn: AsyncConnection, centre: str) -> None:
    """Take the centre's relay lease for the rest of ``conn``'s transaction, waiting for its holder.

    The holder keeps it for one batch of publishes; a dead holder's lease ends with its connection.
    """
    if conn.dialect.name != "postgresql":
        return
    query = text("SELECT pg_advisory_xact_lock(:kind, hashtext(:centre))")
    await conn.execute(query, {"kind": RELAY_LOCK_CLASS, "centre": centre})
