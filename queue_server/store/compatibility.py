"""Which releases may serve a database: the migrations' expand/contract declarations and their record.

A rolling upgrade runs the new release's migrations while the old release still serves, so every
migration says what it does to the code already running:

- ``expand`` only adds (tables, columns that are nullable or have a default, indexes, rows): code
  written before it reads and writes the database as it did;
- ``contract`` takes something away or changes it (drops, renames, a column made NOT NULL, rows
  rewritten into a new shape): code written before it may no longer serve the database. A contract
  migration may name, as ``serves_from``, the oldest revision whose code no longer uses what it
  takes away (a release that stopped using a column before the next one drops it); by default
  only code that knows the contract itself may serve.

After every run the migration environment writes the oldest revision whose code may serve the
database into ``schema_compatibility`` (:func:`record`). A server of an older release than the
database cannot read the newer migrations, so it reads that row instead (:func:`serves_from_recorded`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.engine import Connection

from queue_server.store import schema

if TYPE_CHECKING:
    from alembic.script import Script, ScriptDirectory

RECORD_ID = 1
"""The record's only row."""


class Change(StrEnum):
    EXPAND = "expand"
    CONTRACT = "contract"


class MigrationUndeclared(RuntimeError):
    """A migration file that does not say whether it expands or contracts the schema."""


@dataclass(frozen=True, slots=True)
class Declaration:
    """What one migration says of itself."""

    revision: str
    down_revision: str | None
    change: Change
    serves_from: str
    """The oldest revision whose code may serve a database at this migration (for an expand
    migration: that of the migration before it)."""


def change_of(script: Script, *, strict: bool = True) -> Change:
    """The ``change`` a migration module declares. One without, or with another word, is refused
    when ``strict`` (the tests); otherwise taken as a contract, the safe guess: older code then
    refuses the database rather than misread it."""
    declared = getattr(script.module, "change", None)
    try:
        return Change(str(declared))
    except ValueError:
        if not strict:
            return Change.CONTRACT
        raise MigrationUndeclared(
            f"Migration {script.revision} ({script.path}) must declare change = 'expand' or 'contract',"
            f" not {declared!r} (see docs/store.md)"
        ) from None


def declarations(scripts: ScriptDirectory, *, strict: bool = False) -> list[Declaration]:
    """Every migration's declaration, oldest first (the chain is linear: numbered revisions); with
    ``strict``, a migration that declares nothing is refused (see :func:`change_of`)."""
    chain = list(reversed(list(scripts.walk_revisions())))
    known: list[Declaration] = []
    for script in chain:
        change = change_of(script, strict=strict)
        down = script.down_revision
        assert down is None or isinstance(down, str), f"migration {script.revision} merges branches"
        if change is Change.CONTRACT:
            serves_from = getattr(script.module, "serves_from", None) or script.revision
            if serves_from not in {d.revision for d in known} | {script.revision}:
                raise MigrationUndeclared(
                    f"Migration {script.revision} says code from revision {serves_from} may serve it,"
                    " but that revision is not before it"
                )
        else:
            serves_from = known[-1].serves_from if known else script.revision
        known.append(Declaration(script.revision, down, change, serves_from))
    return known


def serves_from(scripts: ScriptDirectory, revision: str) -> str:
    """The oldest revision whose code may serve a database at ``revision``."""
    for declaration in declarations(scripts):
        if declaration.revision == revision:
            return declaration.serves_from
    raise MigrationUndeclared(f"No migration {revision} in {scripts.dir}")


def contracts_past(scripts: ScriptDirectory, current: str | None) -> list[Declaration]:
    """The migrations after ``current`` that code at ``current`` could not serve the database after:
    contracts that take away what that code may still use. Instances of the release at ``current``
    must all be stopped before they run."""
    if current is None:
        return []
    chain = declarations(scripts)
    applied = next((i for i, d in enumerate(chain) if d.revision == current), None)
    if applied is None:
        return []
    known = {d.revision for d in chain[: applied + 1]}
    return [d for d in chain[applied + 1 :] if d.change is Change.CONTRACT and d.serves_from not in known]


def knows(scripts: ScriptDirectory, revision: str) -> bool:
    """Whether this release ships the migration ``revision`` (an older release does not know newer ones)."""
    return any(script.revision == revision for script in scripts.walk_revisions())


def record(connection: Connection, scripts: ScriptDirectory, revision: str | None, now: dt.datetime) -> None:
    """Write which code may serve the database at ``revision`` (run by the migration environment
    after every upgrade or downgrade; nothing before the table exists)."""
    if revision is None or not inspect(connection).has_table(schema.schema_compatibility.name):
        return
    table = schema.schema_compatibility
    connection.execute(delete(table))
    connection.execute(
        insert(table).values(
            id=RECORD_ID, serves_from=serves_from(scripts, revision), revision=revision, written_at=now
        )
    )


def serves_from_recorded(connection: Connection) -> str | None:
    """The oldest revision whose code may serve the database, as its migrations recorded it; None
    when the database keeps no record (a schema before the record existed)."""
    if not inspect(connection).has_table(schema.schema_compatibility.name):
        return None
    table = schema.schema_compatibility
    return connection.execute(select(table.c.serves_from).where(table.c.id == RECORD_ID)).scalar_one_or_none()
