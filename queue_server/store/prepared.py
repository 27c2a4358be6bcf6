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

import operator
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy.exc
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Row = Mapping[str, Any]
Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for SQLite's driver: its SQL, how a row becomes its parameters, and its results."""

    sql: str
    values: Callable[[Row], tuple[Any, ...]]
    """The row's values in the order of the SQL's placeholders, before bind processing."""
    processors: tuple[tuple[int, Processor], ...]
    """Which of those values SQLAlchemy would have processed (times, JSON), and how."""
    expanding: tuple[tuple[int, str], ...]
    """Placeholders that take a list (``IN``): their position and their token in the SQL."""
    results: tuple[tuple[int, Processor], ...]
    """Which result columns need processing (JSON text, times), and how."""

    def parameters(self, row: Row) -> tuple[str, tuple[Any, ...]]:
        values = self.values(row)
        if not isinstance(values, tuple):  # one placeholder: itemgetter gives the value itself
            values = (values,)
        if self.processors:
            listed = list(values)
            for index, process in self.processors:
                listed[index] = process(listed[index])
            values = tuple(listed)
        if not self.expanding:
            return self.sql, values
        sql, flat, done = self.sql, list[Any](), 0
        for index, token in self.expanding:
            flat.extend(values[done:index])
            items = list(values[index])
            sql = sql.replace(token, ", ".join("?" * len(items)), 1)
            flat.extend(items)
            done = index + 1
        flat.extend(values[done:])
        return sql, tuple(flat)

    def processed(self, found: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not self.results:
            return found
        out = []
        for row in found:
            listed = list(row)
            for index, process in self.results:
                listed[index] = process(listed[index])
            out.append(tuple(listed))
        return out


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
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan | None] = {}

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
        key = (dialect.name, keys)
        if key not in self._plans:
            self._plans[key] = _compile(self.statement, dialect, keys)
        return self._plans[key]

    async def run(self, conn: AsyncConnection, rows: Sequence[Row]) -> None:
        """Execute the statement once per row (all rows with the same keys), in ``conn``'s transaction."""
        if not rows:
            return
        raw = sqlite_connection(conn)
        plan = self._plan(conn.dialect, tuple(rows[0])) if raw is not None else None
        width = len(rows[0])
        if raw is None or plan is None or plan.expanding or any(len(row) != width for row in rows):
            await conn.execute(self.statement, list(rows))  # rows of other shapes: SQLAlchemy's rules
            return
        params = [plan.parameters(row)[1] for row in rows]
        try:
            if len(params) == 1:
                raw.execute(plan.sql, params[0])
            else:
                raw.executemany(plan.sql, params)
        except sqlite3.Error as error:
            raise _wrapped(plan.sql, params, error) from error

    async def fetch(self, conn: AsyncConnection, row: Row) -> list[tuple[Any, ...]]:
        """The rows a query returns, each column as SQLAlchemy would give it."""
        raw = sqlite_connection(conn)
        plan = self._plan(conn.dialect, tuple(row)) if raw is not None else None
        if raw is None or plan is None or any(not row[token_name(t)] for _, t in plan.expanding):
            return [tuple(found) for found in (await conn.execute(self.statement, dict(row))).all()]
        sql, params = plan.parameters(row)
        try:
            return plan.processed(raw.execute(sql, params).fetchall())
        except sqlite3.Error as error:
            raise _wrapped(sql, [params], error) from error


_POSTCOMPILE = "__[POSTCOMPILE_{}]"


def token_name(token: str) -> str:
    """The parameter an expanding placeholder's token stands for."""
    return token[len("__[POSTCOMPILE_") : -1]


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    """The plan for SQLite's driver, or None when SQLAlchemy must run the statement (defaults to fill in)."""
    compiled = cast(ClauseElement, statement).compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None or compiled.literal_execute_params:
        return None
    names = tuple(compiled.positiontup)
    if not set(names) <= set(keys):
        return None
    post = {param.key for param in compiled.post_compile_params}
    if not all(compiled.binds[name].expanding for name in post):
        return None
    expanding = tuple((index, _POSTCOMPILE.format(name)) for index, name in enumerate(names) if name in post)
    binds = compiled._bind_processors
    if not all(callable(process) for process in binds.values()):
        return None  # a processor per element of a tuple: SQLAlchemy's to apply
    processors = tuple((i, cast(Processor, binds[name])) for i, name in enumerate(names) if name in binds)
    if any(names[index] in post for index, _ in processors):
        return None  # an IN list of processed values: SQLAlchemy processes each
    results: list[tuple[int, Processor]] = []
    for index, column in enumerate(getattr(statement, "selected_columns", ())):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            results.append((index, process))
    values = operator.itemgetter(*names) if names else _no_values
    return _Plan(compiled.string, values, processors, expanding, tuple(results))


def _no_values(row: Row) -> tuple[Any, ...]:
    return ()


def _wrapped(sql: str, params: list[tuple[Any, ...]], error: sqlite3.Error) -> sqlalchemy.exc.StatementError:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...)."""
    return sqlalchemy.exc.DBAPIError.instance(sql, params, error, sqlite3.Error, ismulti=len(params) > 1)
