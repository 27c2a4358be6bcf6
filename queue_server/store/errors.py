"""What the store raises, so that no module outside it needs SQLAlchemy's or a driver's exceptions.

- :class:`StoreError`: the store's own refusals.
    - :class:`NoSuchCentre` (also a ``LookupError``): no centre has the code asked for.
- :data:`DatabaseError`: the base of what any database call raises when a statement or the
  database fails; callers that wait and try again (the relay, the command line) catch it.
- :func:`unreachable`: whether such an error means the database cannot be reached now, rather
  than a bug or bad data.
"""

from __future__ import annotations

from types import TracebackType

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception classes are used
import sqlalchemy.exc


class StoreError(Exception):
    """A store function that cannot answer as asked; the message says why."""


class NoSuchCentre(StoreError, LookupError):
    """No centre has the code asked for."""


DatabaseError = sqlalchemy.exc.SQLAlchemyError
"""The base of every error a failed statement, transaction or connection raises (SQLAlchemy's)."""

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    asyncpg.PostgresConnectionError,  # the connection does not exist or failed
    asyncpg.CannotConnectNowError,  # the server is starting up or shutting down
    asyncpg.TooManyConnectionsError,
)
DRIVERS = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")
"""The packages that talk to the database: an ``OSError`` counts only when raised through one of them."""


def _through_driver(trace: TracebackType | None) -> bool:
    """Whether a traceback passes through the database's packages (the error came from talking to it)."""
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.split(".", 1)[0] in DRIVERS:
            return True
        trace = trace.tb_next
    return False


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached now, rather than a bug or bad data.

    Drivers raise their own exceptions and SQLAlchemy wraps some of them, so the whole chain of
    causes is looked at: an OperationalError or InterfaceError (SQLAlchemy's words for "the
    database or the connection failed"), a connection SQLAlchemy invalidated, a connection error
    of the driver, or an ``OSError`` (refused, reset, timed out) raised while talking to the
    database anywhere in the chain. An ``OSError`` from elsewhere is not the database's: a client
    that hangs up while its request body is read raises ``ConnectionResetError`` too.
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
        if isinstance(current, OSError) and _through_driver(current.__traceback__):
            return True
        nested = current.orig if isinstance(current, sqlalchemy.exc.DBAPIError) else None
        current = nested or current.__cause__ or current.__context__
    return False
