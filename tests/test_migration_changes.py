"""Each migration's expand/contract declaration matches what it does, on SQLite and PostgreSQL, and a
server serves a database a newer version only expanded, and refuses one it contracted.

An expand migration is checked twice: its ``upgrade()`` calls no operation that takes away or
reshapes (drop, rename, alter), and the schema reflected before and after it lost nothing: every
table, column (same type, not made NOT NULL), index and unique constraint is still there, and a
column added to a table that was there is nullable or has a default (older code inserts rows
without it). A contract migration must really take something away or rewrite rows.
"""

from __future__ import annotations

import ast
import inspect as pyinspect
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import column, delete, inspect, select, table, update
from sqlalchemy.engine import Connection

from queue_server.store import schema
from queue_server.store.compatibility import Change, MigrationUndeclared, declarations
from queue_server.store.database import Database
from queue_server.store.migrate import (
    MIGRATIONS,
    SchemaOutdated,
    alembic_config,
    current_revision,
    head_revision,
    require_current,
    scripts,
    upgrade,
)

RESHAPING = ("drop_table", "drop_column", "drop_index", "drop_constraint", "rename_table", "alter_column")
"""Operations an expand migration's upgrade() may not call."""

MIGRATIONS_FOLDER = Path(str(MIGRATIONS))

ALEMBIC_VERSION = table("alembic_version", column("version_num"))


@dataclass
class Snapshot:
    """What a schema holds, as reflected: per table its columns and its indexes and unique keys."""

    columns: dict[str, dict[str, tuple[str, bool, bool]]] = field(default_factory=dict)
    """table -> column -> (type, nullable, has a default)."""
    keys: dict[str, set[tuple[tuple[str, ...], bool]]] = field(default_factory=dict)
    """table -> (columns, unique) of every index and unique constraint."""


def snapshot(connection: Connection) -> Snapshot:
    inspector = inspect(connection)
    shot = Snapshot()
    for name in inspector.get_table_names():
        shot.columns[name] = {
            c["name"]: (str(c["type"]), bool(c["nullable"]), c.get("default") is not None)
            for c in inspector.get_columns(name)
        }
        keys = {(tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)}
        keys |= {(tuple(u["column_names"]), True) for u in inspector.get_unique_constraints(name)}
        shot.keys[name] = {(tuple(c for c in cols if c is not None), unique) for cols, unique in keys}
    return shot


def takings(before: Snapshot, after: Snapshot) -> list[str]:
    """What a migration took away or reshaped, as older code would feel it."""
    found = []
    for name, columns in before.columns.items():
        if name not in after.columns:
            found.append(f"table {name} dropped")
            continue
        now = after.columns[name]
        for col, (kind, nullable, _) in columns.items():
            if col not in now:
                found.append(f"column {name}.{col} dropped")
            elif now[col][0] != kind:
                found.append(f"column {name}.{col} changed type {kind} -> {now[col][0]}")
            elif nullable and not now[col][1]:
                found.append(f"column {name}.{col} made NOT NULL")
        for col, (_, nullable, has_default) in now.items():
            if col not in columns and not nullable and not has_default:
                found.append(f"column {name}.{col} added NOT NULL without a default")
        for cols, unique in before.keys[name] - after.keys[name]:
            found.append(f"{'unique key' if unique else 'index'} {name}{cols} dropped")
        for cols, unique in after.keys[name] - before.keys[name]:
            if unique and set(cols) <= set(columns):
                found.append(f"unique key {name}{cols} added on columns older code writes")
    return found


def reshaping_calls(script_module: Any) -> set[str]:
    """The reshaping operations the module's upgrade() calls."""
    tree = ast.parse(pyinspect.getsource(script_module.upgrade))
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in RESHAPING}


def rewrites_rows(script_module: Any) -> bool:
    tree = ast.parse(pyinspect.getsource(script_module.upgrade))
    return any(isinstance(n, ast.Attribute) and n.attr in ("execute", "get_bind") for n in ast.walk(tree))


def test_every_migration_declares_what_it_does_to_running_code() -> None:
    """Read from the files alone: each says expand or contract, and no expand one calls a reshaping operation."""
    found = scripts()
    modules = {s.revision: s.module for s in found.walk_revisions()}
    for declaration in declarations(found, strict=True):
        if declaration.change is Change.EXPAND:
            calls = reshaping_calls(modules[declaration.revision])
            assert not calls, f"migration {declaration.revision} says expand but its upgrade() calls {sorted(calls)}"
    assert declarations(found)[-1].revision == head_revision()


async def test_each_migration_does_what_it_declares(database_url: str) -> None:
    found: ScriptDirectory = scripts()
    modules = {s.revision: s.module for s in found.walk_revisions()}
    wrong: list[str] = []
    async with Database(database_url) as db:
        for declaration in declarations(found):
            async with db.write() as conn:
                before = await conn.run_sync(snapshot)
                await conn.run_sync(lambda c, r=declaration.revision: command.upgrade(alembic_config(c), r))
                after = await conn.run_sync(snapshot)
            taken = takings(before, after)
            if declaration.change is Change.EXPAND and taken:
                wrong.append(f"{declaration.revision} says expand but: {'; '.join(taken)}")
            if declaration.change is Change.CONTRACT and not taken and not rewrites_rows(modules[declaration.revision]):
                wrong.append(f"{declaration.revision} says contract but takes nothing away and rewrites no rows")
        async with db.read() as conn:
            c = schema.schema_compatibility.c
            recorded = (await conn.execute(select(c.serves_from, c.revision))).one()
    assert not wrong, "\n".join(wrong)
    last = declarations(found)[-1]
    assert tuple(recorded) == (last.serves_from, last.revision), "the migrations record which code may serve"


async def _as_if_newer(db: Database, revision: str, serves_from: str | None) -> None:
    """The database as a newer release would leave it: at a revision this release does not ship."""
    async with db.write() as conn:
        await conn.execute(update(ALEMBIC_VERSION).values(version_num=revision))
        record = schema.schema_compatibility
        if serves_from is None:
            await conn.execute(delete(record))
        else:
            await conn.execute(update(record).values(serves_from=serves_from, revision=revision))


async def test_a_database_a_newer_version_expanded_is_served_with_a_warning(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await _as_if_newer(db, "9001", declarations(scripts())[-1].serves_from)
    with caplog.at_level(logging.WARNING, logger="queue_server.store.migrate"):
        await require_current(db)
    assert f"is at schema 9001, newer than this version's {head_revision()}" in caplog.text
    with pytest.raises(SchemaOutdated, match=r"newer than this version's .*migrate it with that version"):
        await upgrade(db)  # this release cannot migrate what a newer one made


@pytest.mark.parametrize(
    ("serves_from", "why"),
    [("9001", "needs schema 9001 or newer"), (None, "says nothing of which versions may serve it")],
)
async def test_a_database_a_newer_version_contracted_is_refused(
    db: Database, serves_from: str | None, why: str
) -> None:
    await _as_if_newer(db, "9001", serves_from)
    with pytest.raises(
        SchemaOutdated, match=f"is at schema 9001, newer than this version's {head_revision()}, and {why}"
    ):
        await require_current(db)


async def test_an_older_database_still_needs_init(database_url: str) -> None:
    async with Database(database_url) as db:
        older = declarations(scripts())[-2].revision
        async with db.write() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), older))
        with pytest.raises(SchemaOutdated, match=f"is at schema {older}, not {head_revision()}: run `onewindow init`"):
            await require_current(db)


def with_contract(root: Path, serves_from: str | None) -> Path:
    """This release's migrations and two more: one adds a column (expand), the next drops it (contract)."""
    location = root / "migrations"
    shutil.copytree(MIGRATIONS_FOLDER, location, ignore=shutil.ignore_patterns("__pycache__"))
    head = head_revision()
    header = "import sqlalchemy as sa\nfrom alembic import op\n\nbranch_labels = None\ndepends_on = None\n"
    (location / "versions" / "9000_probe.py").write_text(
        f'"""probe: a column"""\n{header}revision = "9000"\ndown_revision = "{head}"\nchange = "expand"\n\n\n'
        'def upgrade() -> None:\n    op.add_column("tickets", sa.Column("probe", sa.String(8), nullable=True))\n\n\n'
        'def downgrade() -> None:\n    op.drop_column("tickets", "probe")\n'
    )
    named = "" if serves_from is None else f'serves_from = "{serves_from}"\n'
    (location / "versions" / "9001_probe_gone.py").write_text(
        f'"""probe: gone"""\n{header}revision = "9001"\ndown_revision = "9000"\nchange = "contract"\n{named}\n\n'
        "def upgrade() -> None:\n"
        '    with op.batch_alter_table("tickets") as batch:\n        batch.drop_column("probe")\n\n\n'
        'def downgrade() -> None:\n    op.add_column("tickets", sa.Column("probe", sa.String(8), nullable=True))\n'
    )
    return location


async def test_a_contract_the_running_release_cannot_serve_waits_for_every_instance_to_stop(
    db: Database, tmp_path: Path
) -> None:
    """The newer release's `onewindow init` refuses it while this one may be serving; once told every
    instance is stopped it runs it, and this release then refuses the database."""
    newer = with_contract(tmp_path, serves_from=None)
    with pytest.raises(SchemaOutdated, match=r"contract migration 9001 \(needs schema 9001 or newer\)"):
        await upgrade(db, rolling=True, location=newer)
    assert await current_revision(db) == head_revision(), "nothing was migrated"
    assert await upgrade(db, location=newer) == (head_revision(), "9001")
    with pytest.raises(SchemaOutdated, match=r"is at schema 9001, newer than this version's .*, and needs schema 9001"):
        await require_current(db)


async def test_a_contract_of_what_this_release_no_longer_uses_runs_beside_it(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    newer = with_contract(tmp_path, serves_from=head_revision())
    assert await upgrade(db, rolling=True, location=newer) == (head_revision(), "9001")
    with caplog.at_level(logging.WARNING, logger="queue_server.store.migrate"):
        await require_current(db)
    assert f"versions from schema {head_revision()} on may serve it" in caplog.text


def test_a_migration_that_says_nothing_is_refused_by_the_test_and_taken_as_a_contract_in_service(
    tmp_path: Path,
) -> None:
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_FOLDER, location, ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / "9000_silent.py").write_text(
        f'"""silent"""\nrevision = "9000"\ndown_revision = "{head_revision()}"\nbranch_labels = None\n'
        "depends_on = None\n\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    )
    with pytest.raises(MigrationUndeclared, match=r"Migration 9000 \(.*9000_silent.py\) must declare change"):
        declarations(scripts(location), strict=True)
    last = declarations(scripts(location))[-1]
    assert (last.revision, last.change, last.serves_from) == ("9000", Change.CONTRACT, "9000")
