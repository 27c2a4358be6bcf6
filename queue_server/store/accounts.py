"""Account and token rows: logins and bearer tokens as stored, read and written without rules.

``queue_server.auth.accounts`` holds the rules (who may have which role at which centre, password
strength, hashing) and calls these functions; they only run the statements. Tokens are found by
their SHA-256, never by their text, which is never stored.

Every function takes an open connection, so callers compose them into their own transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.store.schema import tokens, users


@dataclass(frozen=True, slots=True)
class UserRow:
    """An account as stored, with its password hash."""

    id: int
    username: str
    display_name: str
    role: str
    centres: list[str]
    staff_code: str | None
    password_hash: str
    disabled: bool

    @classmethod
    def of(cls, row: Any) -> UserRow:
        return cls(
            row.id,
            row.username,
            row.display_name,
            row.role,
            row.centres,
            row.staff_code,
            row.password_hash,
            row.disabled,
        )


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A token as stored, with whether the account it is bound to (if any) is disabled."""

    id: int
    role: str
    centres: list[str]
    subject: str
    user_id: int | None
    revoked_at: dt.datetime | None
    user_disabled: bool | None
    """None when the token is bound to no account."""


TokenKey = int | str
"""A token's row: its id, or the SHA-256 of its text."""


async def user_id_by_name(conn: AsyncConnection, username: str) -> int | None:
    found = await conn.scalar(select(users.c.id).where(users.c.username == username))
    return None if found is None else int(found)


async def user_by_name(conn: AsyncConnection, username: str) -> UserRow | None:
    row = (await conn.execute(select(users).where(users.c.username == username))).first()
    return None if row is None else UserRow.of(row)


async def user_by_id(conn: AsyncConnection, user_id: int) -> UserRow | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return None if row is None else UserRow.of(row)


async def all_users(conn: AsyncConnection) -> list[UserRow]:
    """Every account, by username."""
    rows = await conn.execute(select(users).order_by(users.c.username))
    return [UserRow.of(row) for row in rows]


async def staff_accounts(conn: AsyncConnection, staff_code: str) -> list[tuple[str, list[str]]]:
    """The username and centres of each account signed on as ``staff_code`` (at any centre)."""
    rows = await conn.execute(select(users.c.username, users.c.centres).where(users.c.staff_code == staff_code))
    return [(row.username, row.centres) for row in rows]


async def insert_user(
    conn: AsyncConnection,
    *,
    username: str,
    display_name: str,
    role: str,
    centres: Sequence[str],
    staff_code: str | None,
    password_hash: str,
    now: dt.datetime,
) -> int:
    """Store a new enabled account; returns its id."""
    result = await conn.execute(
        users.insert()
        .values(
            username=username,
            display_name=display_name,
            role=role,
            centres=list(centres),
            staff_code=staff_code,
            password_hash=password_hash,
            disabled=False,
            created_at=now,
        )
        .returning(users.c.id)
    )
    return int(result.scalar_one())


async def set_password_hash(conn: AsyncConnection, user_id: int, password_hash: str) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


async def insert_token(
    conn: AsyncConnection,
    *,
    token_hash: str,
    label: str,
    role: str,
    centres: Sequence[str],
    subject: str,
    user_id: int | None,
    now: dt.datetime,
) -> None:
    await conn.execute(
        tokens.insert().values(
            token_hash=token_hash,
            label=label,
            role=role,
            centres=list(centres),
            subject=subject,
            user_id=user_id,
            created_at=now,
        )
    )


async def token_by_hash(conn: AsyncConnection, token_hash: str) -> TokenRow | None:
    return await _token_where(conn, tokens.c.token_hash == token_hash)


async def token_by_id(conn: AsyncConnection, token_id: int | None) -> TokenRow | None:
    return await _token_where(conn, tokens.c.id == token_id)


async def _token_where(conn: AsyncConnection, condition: Any) -> TokenRow | None:
    query = (
        select(tokens, users.c.disabled.label("user_disabled"))
        .select_from(tokens.outerjoin(users, users.c.id == tokens.c.user_id))
        .where(condition)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return TokenRow(row.id, row.role, row.centres, row.subject, row.user_id, row.revoked_at, row.user_disabled)


async def token_id_by_hash(conn: AsyncConnection, token_hash: str) -> int | None:
    """The id of the token's row, revoked or not."""
    found = await conn.execute(select(tokens.c.id).where(tokens.c.token_hash == token_hash))
    value = found.scalar_one_or_none()
    return None if value is None else int(value)


def _token_column(key: TokenKey) -> Any:
    return tokens.c.id if isinstance(key, int) else tokens.c.token_hash


async def token_exists(conn: AsyncConnection, key: TokenKey) -> bool:
    return await conn.scalar(select(tokens.c.id).where(_token_column(key) == key)) is not None


async def revoke(conn: AsyncConnection, key: TokenKey, now: dt.datetime) -> None:
    """Mark the token revoked at ``now``, unless it already is (its first revocation time stays)."""
    column = _token_column(key)
    await conn.execute(update(tokens).where(column == key, tokens.c.revoked_at.is_(None)).values(revoked_at=now))
