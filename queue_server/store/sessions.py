"""Browser session and failed-login rows, found by the SHA-256 of the cookie's key.

``queue_server.auth.sessions`` holds the rules (lifetimes, when to slide a session, the login limits)
and calls these functions; they only run the statements.

Every function takes an open connection, so callers compose them into their own transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store.schema import login_failures, tokens, users, web_sessions

FailedBy = Literal["username", "address"]
"""What failed logins are counted by."""


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session as stored, with the account it stands for (all None for a kiosk's session)."""

    id: int
    user_id: int | None
    token_id: int | None
    csrf: str
    seen_at: dt.datetime
    expires_at: dt.datetime
    role: str | None
    username: str | None
    centres: list[str] | None
    staff_code: str | None
    disabled: bool | None


async def insert_session(
    conn: AsyncConnection,
    *,
    key_hash: str,
    user_id: int | None,
    token_id: int | None,
    csrf: str,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    await conn.execute(
        insert(web_sessions).values(
            key_hash=key_hash,
            user_id=user_id,
            token_id=token_id,
            csrf=csrf,
            created_at=now,
            seen_at=now,
            expires_at=expires_at,
        )
    )


async def session_by_key(conn: AsyncConnection, key_hash: str) -> SessionRow | None:
    """The session with its account, in one query."""
    row = (
        await conn.execute(
            select(web_sessions, users, tokens.c.revoked_at, tokens.c.role.label("token_role"))
            .select_from(
                web_sessions.outerjoin(users, users.c.id == web_sessions.c.user_id).outerjoin(
                    tokens, tokens.c.id == web_sessions.c.token_id
                )
            )
            .where(web_sessions.c.key_hash == key_hash)
        )
    ).first()
    if row is None:
        return None
    return SessionRow(
        row[0],  # the session's id: the user's is also called id
        row.user_id,
        row.token_id,
        row.csrf,
        row.seen_at,
        row.expires_at,
        row.role,
        row.username,
        row.centres,
        row.staff_code,
        row.disabled,
    )


async def slide_session(conn: AsyncConnection, session_id: int, now: dt.datetime, expires_at: dt.datetime) -> None:
    await conn.execute(
        update(web_sessions).where(web_sessions.c.id == session_id).values(seen_at=now, expires_at=expires_at)
    )


async def delete_session(conn: AsyncConnection, key_hash: str) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.key_hash == key_hash))


async def delete_expired(conn: AsyncConnection, now: dt.datetime, failures_before: dt.datetime) -> int:
    """Delete the sessions expired at ``now`` and the failed logins before ``failures_before``.

    Returns how many sessions went.
    """
    gone = await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
    await conn.execute(delete(login_failures).where(login_failures.c.at < failures_before))
    return int(gone.rowcount or 0)


async def failures_since(
    conn: AsyncConnection, by: FailedBy, value: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many logins failed for this username or address after ``since``, and when the first did."""
    column = login_failures.c.username if by == "username" else login_failures.c.address
    count, oldest = (
        await conn.execute(
            select(func.count(), func.min(login_failures.c.at)).where(column == value, login_failures.c.at > since)
        )
    ).one()
    return int(count), oldest


async def insert_failure(conn: AsyncConnection, username: str, address: str, at: dt.datetime) -> None:
    await conn.execute(insert(login_failures).values(username=username, address=address, at=at))


async def delete_failures(conn: AsyncConnection, username: str) -> None:
    await conn.execute(delete(login_failures).where(login_failures.c.username == username))
