"""The migrations build exactly the schema the code defines, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from queue_server.store.database import Database
from queue_server.store.migrate import current_revision, head_revision, scripts, upgrade
from queue_server.store.schema import metadata


async def test_migrations_match_the_schema(database_url: str) -> None:
    async with Database(database_url) as db:
        assert await current_revision(db) is None
        before, after = await upgrade(db)
        assert (before, after) == (None, head_revision())
        assert await upgrade(db) == (head_revision(), head_revision()), "upgrading twice changes nothing"
        async with db.read() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
    assert differences == [], "a table changed in schema.py without a migration (see docs/store.md)"


def test_the_head_read_from_the_files_is_alembics() -> None:
    """The server reads the newest revision from the migration files without importing Alembic."""
    assert head_revision() == scripts().get_current_head()
