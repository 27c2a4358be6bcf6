"""Device credentials: the hash of each device's MQTT password, kept per centre.

Only Mosquitto's ``$7$`` hash is stored (see ``queue_server.bus.passwords``): the same string goes
into the broker's password file and is what the hall's own broker checks, so one row serves both
brokers. A device keeps its password until its row is deleted; ``onewindow mqtt-config`` deletes
the rows of devices that left the registry, so a removed device cannot connect again.

Every function takes an open connection, so callers compose them into their own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.centre import Centre
from queue_server.store.schema import centres, device_credentials

DeviceKey = tuple[str, str]
"""A device across centres: its centre's code and its id."""


async def registered_centres(conn: AsyncConnection) -> list[Centre]:
    """Every centre in the database, from its stored configuration, in code order."""
    rows = await conn.execute(select(centres.c.config).order_by(centres.c.code))
    return [Centre.model_validate(row.config) for row in rows]


async def password_hashes(conn: AsyncConnection) -> dict[DeviceKey, str]:
    """The stored hash of each device that has one."""
    c = device_credentials.c
    rows = await conn.execute(select(c.centre, c.device, c.password_hash))
    return {(str(row.centre), str(row.device)): str(row.password_hash) for row in rows}


async def add_password_hash(conn: AsyncConnection, key: DeviceKey, password_hash: str, now: dt.datetime) -> None:
    centre, device = key
    await conn.execute(
        device_credentials.insert().values(centre=centre, device=device, password_hash=password_hash, created_at=now)
    )


async def delete_password_hashes(conn: AsyncConnection, keys: Iterable[DeviceKey]) -> None:
    keys = list(keys)
    if keys:
        c = device_credentials.c
        await conn.execute(device_credentials.delete().where(tuple_(c.centre, c.device).in_(keys)))
