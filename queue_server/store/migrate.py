"""Create or migrate the database to the newest schema, with Alembic, from inside the event loop, and
tell whether this version may serve the database it finds."""

from __future__ import annotations

import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from queue_server.store.compatibility import knows, serves_from_recorded
from queue_server.store.database import Database

log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("queue_server.store") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships its migrations"
    return head


async def current_revision(db: Database) -> str | None:
    async with db.read() as connection:
        return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def scripts() -> ScriptDirectory:
    """The migrations this release ships."""
    return ScriptDirectory.from_config(alembic_config())


async def upgrade(db: Database) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns the revisions before and after.

    A database already past this release (a newer release migrated it) is left alone: this
    release cannot read the migrations that brought it there."""
    before = await current_revision(db)
    if before is not None and not knows(scripts(), before):
        raise SchemaOutdated(
            f"The database {db.describe()} is at schema {before}, newer than this version's {head_revision()}:"
            " a newer version of OneWindow migrated it; migrate it with that version"
        )
    async with db.write() as connection:
        await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
    return before, head_revision()


class SchemaOutdated(RuntimeError):
    """The database's schema does not fit this version: older than it, or newer and no longer
    compatible with it (see queue_server.store.compatibility)."""


async def require_current(db: Database) -> None:
    """Refuse to serve a database that `onewindow init` has not brought to this version, or that a
    newer version has changed past what this one can serve; serve, with a warning, one that a
    newer version has only expanded (a rolling upgrade: both versions serve it for a while)."""
    current, head = await current_revision(db), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutdated(f"The database {db.describe()} has no OneWindow tables: run `onewindow init` first")
    if knows(scripts(), current):
        raise SchemaOutdated(
            f"The database {db.describe()} is at schema {current}, not {head}: run `onewindow init` first"
        )
    async with db.read() as connection:
        oldest = await connection.run_sync(serves_from_recorded)
    if oldest is None or not knows(scripts(), oldest):
        which = "says nothing of which versions may serve it" if oldest is None else f"needs schema {oldest} or newer"
        raise SchemaOutdated(
            f"The database {db.describe()} is at schema {current}, newer than this version's {head}, and {which}:"
            " serve it with the newer version"
        )
    log.warning(
        "The database %s is at schema %s, newer than this version's %s; versions from schema %s on may serve it,"
        " so this one does: upgrade it with the rest of the instances",
        db.describe(),
        current,
        head,
        oldest,
    )
