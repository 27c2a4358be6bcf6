"""Create or migrate the database to the newest schema, with Alembic, from inside the event loop."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from queue_server.store.database import Database


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


async def upgrade(db: Database) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns the revisions before and after."""
    before = await current_revision(db)
    async with db.write() as connection:
        await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
    return before, head_revision()


class SchemaOutdated(RuntimeError):
    pass


async def require_current(db: Database) -> None:
    """Refuse to serve a database that `onewindow init` has not brought to this version."""
    current, head = await current_revision(db), head_revision()
    if current != head:
        state = "has no OneWindow tables" if current is None else f"is at schema {current}, not {head}"
        raise SchemaOutdated(f"The database {db.describe()} {state}: run `onewindow init` first")
