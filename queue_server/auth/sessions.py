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

from queue_server.auth.accounts import Principal, Role, authenticate_token, token_id, token_principal
from queue_server.store import sessions as stored
from queue_server.store.accounts import token_by_id
from queue_server.store.database import Connection

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
    conn: Connection, now: dt.datetime, *, user_id: int | None = None, token_id: int | None = None
) -> tuple[str, str]:
    """A new session for an account or a kiosk token; returns the cookie's key and the CSRF value."""
    if (user_id is None) == (token_id is None):
        raise ValueError("A session stands for one account or one kiosk token")
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    lifetime = PERSON_LIFETIME if user_id is not None else KIOSK_LIFETIME
    await stored.insert_session(
        conn, key_hash=_hash(key), user_id=user_id, token_id=token_id, csrf=csrf, now=now, expires_at=now + lifetime
    )
    return key, csrf


async def find_session(conn: Connection, key: str, now: dt.datetime) -> Session | None:
    """The live session of a cookie key, or None (unknown, expired, account disabled, token revoked)."""
    if not key or len(key) > 100:
        return None
    row = await stored.session_by_key(conn, _hash(key))
    if row is None or row.expires_at <= now:
        return None
    session_id, csrf, seen_at, expires_at = row.id, row.csrf, row.seen_at, row.expires_at
    if row.user_id is not None:
        if row.disabled:
            return None
        assert row.role is not None and row.username is not None and row.centres is not None
        principal = Principal(
            role=Role(row.role),
            subject=row.username,
            centres=tuple(row.centres),
            staff_code=row.staff_code,
            via="password",
            user_id=row.user_id,
        )
    else:
        found = token_principal(await token_by_id(conn, row.token_id))
        if found is None:
            return None
        principal = found
    return Session(session_id, principal, csrf, seen_at, expires_at)


ENROLLED_ROLES = frozenset({Role.KIOSK, Role.DEVICE})
"""The tokens a screen is enrolled with: a kiosk PC's, or a rating pad's (a tablet that rates)."""


async def enrolment_token_id(conn: Connection, token: str) -> tuple[int, Principal] | None:
    """The id and principal of a working kiosk or device token, or None for any other token or none."""
    principal = await authenticate_token(conn, token.strip())
    if principal is None or principal.role not in ENROLLED_ROLES:
        return None
    found = await token_id(conn, token.strip())
    return None if found is None else (found, principal)


def needs_touch(session: Session, now: dt.datetime) -> bool:
    """Whether the request should slide the session's end (written at most once a minute)."""
    return now - session.seen_at >= SEEN_EVERY


async def touch_session(conn: Connection, session: Session, now: dt.datetime) -> None:
    await stored.slide_session(conn, session.id, now, now + session.lifetime)


async def close_session(conn: Connection, key: str) -> None:
    await stored.delete_session(conn, _hash(key))


async def prune_sessions(conn: Connection, now: dt.datetime) -> int:
    """Forget expired sessions and failed logins older than the window."""
    return await stored.delete_expired(conn, now, now - LOGIN_WINDOW)


# --- Failed logins ------------------------------------------------------------------------------


async def login_wait(conn: Connection, username: str, address: str, now: dt.datetime) -> int | None:
    """Seconds to wait before trying again, when this username or address failed too often; else None."""
    since = now - LOGIN_WINDOW
    waits = []
    checks: tuple[tuple[stored.FailedBy, str, int], ...] = (
        ("username", username, MAX_FAILURES_PER_USERNAME),
        ("address", address, MAX_FAILURES_PER_ADDRESS),
    )
    for by, value, limit in checks:
        count, oldest = await stored.failures_since(conn, by, value, since)
        if count >= limit and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
            waits.append(max(1, int((oldest + LOGIN_WINDOW - now).total_seconds()) + 1))
    return max(waits) if waits else None


async def record_failure(conn: Connection, username: str, address: str, now: dt.datetime) -> None:
    await stored.insert_failure(conn, username[:64], address[:64], now)


async def clear_failures(conn: Connection, username: str) -> None:
    """A right password forgets the username's earlier mistakes (not the address's)."""
    await stored.delete_failures(conn, username)
