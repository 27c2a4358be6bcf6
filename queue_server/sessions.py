"""Browser sessions: a person after their password, a kiosk PC after its device token.

The browser holds only a random key in an HTTP-only cookie; the database holds its SHA-256, the
account (or the kiosk's token) it stands for, and the session's CSRF value, which every form and
every changing request must send back. A person's session lasts a working day from the last
request; an enrolled kiosk's (or rating tablet's) a year. Revoking the token, disabling the account or deleting it
ends its sessions at once: each request looks them up again.

Failed logins are counted per username and per address over a quarter of an hour: past the limit
the login page answers 429 and says how long to wait, whether the password was right or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.accounts import Principal, Role, authenticate_token, token_id
from queue_server.store.schema import login_failures, tokens, users, web_sessions

SESSION_COOKIE = "ow_session"
PERSON_LIFETIME = dt.timedelta(hours=12)
"""A person's session ends this long after their last request: a working day, not a week."""
KIOSK_LIFETIME = dt.timedelta(days=365)
"""An enrolled kiosk stays enrolled this long after its last request (a manager enrols it again)."""
SEEN_EVERY = dt.timedelta(minutes=1)
"""A session's last-seen time is written at most this often, so reads stay reads."""
LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 30
"""Failed logins allowed per window: a person mistyping is fine, a script guessing is stopped."""


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    principal: Principal
    csrf: str
    seen_at: dt.datetime
    expires_at: dt.datetime

    @property
    def lifetime(self) -> dt.timedelta:
        return KIOSK_LIFETIME if self.principal.via == "token" else PERSON_LIFETIME


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def open_session(
    conn: AsyncConnection, now: dt.datetime, *, user_id: int | None = None, token_id: int | None = None
) -> tuple[str, str]:
    """A new session for an account or a kiosk token; returns the cookie's key and the CSRF value."""
    if (user_id is None) == (token_id is None):
        raise ValueError("A session stands for one account or one kiosk token")
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    lifetime = PERSON_LIFETIME if user_id is not None else KIOSK_LIFETIME
    await conn.execute(
        insert(web_sessions).values(
            key_hash=_hash(key),
            user_id=user_id,
            token_id=token_id,
            csrf=csrf,
            created_at=now,
            seen_at=now,
            expires_at=now + lifetime,
        )
    )
    return key, csrf


async def find_session(conn: AsyncConnection, key: str, now: dt.datetime) -> Session | None:
    """The live session of a cookie key, or None (unknown, expired, account disabled, token revoked)."""
    if not key or len(key) > 100:
        return None
    row = (
        await conn.execute(
            select(web_sessions, users, tokens.c.revoked_at, tokens.c.role.label("token_role"))
            .select_from(
                web_sessions.outerjoin(users, users.c.id == web_sessions.c.user_id).outerjoin(
                    tokens, tokens.c.id == web_sessions.c.token_id
                )
            )
            .where(web_sessions.c.key_hash == _hash(key))
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    session_id, csrf, seen_at, expires_at = row[0], row.csrf, row.seen_at, row.expires_at
    if row.user_id is not None:
        if row.disabled:
            return None
        principal = Principal(
            role=Role(row.role),
            subject=row.username,
            centres=tuple(row.centres),
            staff_code=row.staff_code,
            via="password",
            user_id=row.user_id,
        )
    else:
        found = await _token_principal(conn, row.token_id)
        if found is None:
            return None
        principal = found
    return Session(session_id, principal, csrf, seen_at, expires_at)


async def _token_principal(conn: AsyncConnection, token_id: int | None) -> Principal | None:
    row = (
        await conn.execute(
            select(tokens, users.c.disabled.label("user_disabled"))
            .select_from(tokens.outerjoin(users, users.c.id == tokens.c.user_id))
            .where(tokens.c.id == token_id)
        )
    ).first()
    if row is None or row.revoked_at is not None or row.user_disabled:
        return None
    return Principal(
        role=Role(row.role),
        subject=row.subject,
        centres=tuple(row.centres),
        staff_code=row.subject if row.role == Role.STAFF else None,
        via="token",
        user_id=row.user_id,
    )


ENROLLED_ROLES = frozenset({Role.KIOSK, Role.DEVICE})
"""The tokens a screen is enrolled with: a kiosk PC's, or a rating pad's (a tablet that rates)."""


async def enrolment_token_id(conn: AsyncConnection, token: str) -> tuple[int, Principal] | None:
    """The id and principal of a working kiosk or device token, or None for any other token or none."""
    principal = await authenticate_token(conn, token.strip())
    if principal is None or principal.role not in ENROLLED_ROLES:
        return None
    found = await token_id(conn, token.strip())
    return None if found is None else (found, principal)


def needs_touch(session: Session, now: dt.datetime) -> bool:
    """Whether the request should slide the session's end (written at most once a minute)."""
    return now - session.seen_at >= SEEN_EVERY


async def touch_session(conn: AsyncConnection, session: Session, now: dt.datetime) -> None:
    await conn.execute(
        update(web_sessions)
        .where(web_sessions.c.id == session.id)
        .values(seen_at=now, expires_at=now + session.lifetime)
    )


async def close_session(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.key_hash == _hash(key)))


async def prune_sessions(conn: AsyncConnection, now: dt.datetime) -> int:
    """Forget expired sessions and failed logins older than the window."""
    gone = await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
    await conn.execute(delete(login_failures).where(login_failures.c.at < now - LOGIN_WINDOW))
    return int(gone.rowcount or 0)


# --- Failed logins ------------------------------------------------------------------------------


async def login_wait(conn: AsyncConnection, username: str, address: str, now: dt.datetime) -> int | None:
    """Seconds to wait before trying again, when this username or address failed too often; else None."""
    since = now - LOGIN_WINDOW
    waits = []
    for column, value, limit in (
        (login_failures.c.username, username, MAX_FAILURES_PER_USERNAME),
        (login_failures.c.address, address, MAX_FAILURES_PER_ADDRESS),
    ):
        count, oldest = (
            await conn.execute(
                select(func.count(), func.min(login_failures.c.at)).where(column == value, login_failures.c.at > since)
            )
        ).one()
        if count >= limit and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
            waits.append(max(1, int((oldest + LOGIN_WINDOW - now).total_seconds()) + 1))
    return max(waits) if waits else None


async def record_failure(conn: AsyncConnection, username: str, address: str, now: dt.datetime) -> None:
    await conn.execute(insert(login_failures).values(username=username[:64], address=address[:64], at=now))


async def clear_failures(conn: AsyncConnection, username: str) -> None:
    """A right password forgets the username's earlier mistakes (not the address's)."""
    await conn.execute(delete(login_failures).where(login_failures.c.username == username))
