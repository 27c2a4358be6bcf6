"""Statements of every action, compiled once and run through SQLite's driver directly.

SQLAlchemy Core costs tens of microseconds a statement before the driver sees it: a cache key,
an execution context, the parameters processed through the compiled statement, a result set up
even for an ``INSERT``. An action's transaction runs a dozen statements, so that was the biggest
item of the server's profile on the issue and call paths. A :class:`Prepared` statement is
compiled once per set of columns it is given; on SQLite its rows are turned into tuples by the
columns' own bind processors (times to UTC text, JSON to text: what SQLAlchemy would have sent)
and handed to ``sqlite3`` in the event loop's thread, which is where the engine's connection
(queue_server.store.sqlite_inline) runs quick statements anyway. Anything else (PostgreSQL, a
statement whose columns have Python-side defaults to fill in) goes through SQLAlchemy as before.
A driver's error is raised as SQLAlchemy's, so callers see the same exceptions either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy.exc
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

Row = Mapping[str, Any]
_Plan = tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]] | None
"""The SQL and, per position, the parameter's name and bind processor; None: SQLAlchemy runs it."""


def sqlite_connection(conn: AsyncConnection) -> sqlite3.Connection | None:
    """The ``sqlite3`` connection under ``conn`` when it is SQLite's and open, else None."""
    if conn.dialect.name != "sqlite":
        return None
    fairy = conn.sync_connection.connection if conn.sync_connection is not None else None
    driver = getattr(getattr(fairy, "driver_connection", None), "_connection", None)
    return driver if isinstance(driver, sqlite3.Connection) else None


class Prepared:
    """A statement compiled once per set of parameter names and dialect, run with many rows at once."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
        found = self._plans.get((dialect.name, keys), False)
        if found is not False:
            return found  # type: ignore[return-value]
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        plan: _Plan = None
        if isinstance(compiled, SQLCompiler) and compiled.positiontup is not None:
            names = tuple(compiled.positiontup)
            if set(names) <= set(keys) and not compiled.literal_execute_params and not compiled.post_compile_params:
                processors = compiled._bind_processors
                plan = (compiled.string, tuple((name, processors.get(name)) for name in names))
        self._plans[(dialect.name, keys)] = plan
        return plan

    async def run(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        """Execute the statement once per row (all rows with the same keys), in ``conn``'s transaction."""
        if not rows:
            return
        raw = sqlite_connection(conn)
        plan = self._plan(conn.dialect, tuple(rows[0])) if raw is not None else None
        if raw is None or plan is None:
            await conn.execute(self.statement, list(rows))
            return
        sql, columns = plan
        params = [_positional(row, columns) for row in rows]
        try:
            if len(params) == 1:
                raw.execute(sql, params[0])
            else:
                raw.executemany(sql, params)
        except sqlite3.Error as error:
            raise _wrapped(sql, params, error) from error

    async def fetch(self, conn: AsyncConnection, row: Row) -> list[tuple[Any, ...]]:
        """The rows a query returns, as the driver gives them (no result processing: plain columns only)."""
        raw = sqlite_connection(conn)
        plan = self._plan(conn.dialect, tuple(row)) if raw is not None else None
        if raw is None or plan is None:
            return [tuple(found) for found in (await conn.execute(self.statement, dict(row))).all()]
        sql, columns = plan
        params = _positional(row, columns)
        try:
            return raw.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise _wrapped(sql, [params], error) from error


def _positional(row: Row, columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]) -> tuple[Any, ...]:
    return tuple(row[name] if processor is None else processor(row[name]) for name, processor in columns)


def _wrapped(sql: str, params: list[tuple[Any, ...]], error: sqlite3.Error) -> sqlalchemy.exc.DBAPIError:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...)."""
    return sqlalchemy.exc.DBAPIError.instance(sql, params, error, sqlite3.Error, ismulti=len(params) > 1)
