"""Alembic's environment: migrations run on a connection the caller hands in (async engines); after
them it records which releases may still serve the database (queue_server.store.compatibility)."""

from __future__ import annotations

from alembic import context

from queue_server.store import compatibility
from queue_server.store.database import utcnow
from queue_server.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `onewindow init` (queue_server.store.migrate), not the alembic CLI")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
    compatibility.record(connection, context.script, context.get_context().get_current_revision(), utcnow())
