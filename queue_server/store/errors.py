"""What the store raises, so that no module outside it needs SQLAlchemy's or a driver's exceptions.

- :class:`StoreError`: the store's own refusals.
    - :class:`NoSuchCentre` (also a ``LookupError``): no centre has the code asked for.
- :data:`DatabaseError`: the base of what any database call raises when a statement or the
  database fails; callers that wait and try again (the relay, the command line) catch it.
- :func:`unreachable`: whether such an error means the database cannot be reached now, rather
  than a bug or bad data.
"""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception classes are used
import sqlalchemy.exc


class StoreError(Exception):
    """A store function that cannot answer as asked; the message says why."""


class NoSuchCentre(StoreError, LookupError):
    """No centre has the code asked for."""


DatabaseError = sqlalchemy.exc.SQLAlchemyError
"""The base of every error a failed statement, transaction or connection raises (SQLAlchemy's)."""

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable host, name resolution; includes TimeoutError
    asyncio.TimeoutError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    asyncpg.PostgresConnectionError,  # the connection does not exist or failed
    asyncpg.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.TooManyConnectionsError,
)


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached now, rather than a bug or bad data.

    Drivers raise their own exceptions and SQLAlchemy wraps some of them, so the whole chain of
    causes is looked at: an OperationalError or InterfaceError (SQLAlchemy's words for "the
    database or the connection failed"), a connection SQLAlchemy invalidated, or a connection
    error of the driver or the operating system anywhere in the chain.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        nested = current.orig if isinstance(current, sqlalchemy.exc.DBAPIError) else None
        current = nested or current.__cause__ or current.__context__
    return False
