"""centres: a configuration version; ticket_events: an index by centre and id

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

An instance keeps its hall and, after another instance's actions, reads only the tickets whose
events came since its last one (by id, per centre) instead of the whole queue; a changed
configuration (its own version) still builds the hall again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None
change = "expand"


# Plain ALTER TABLE, never a batch: on SQLite a batch copies ``centres`` into a new table and drops
# the old one, and every table that refers to a centre deletes its rows with it (ON DELETE CASCADE).


def upgrade() -> None:
    op.add_column("centres", sa.Column("config_version", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_ticket_events_centre_id", "ticket_events", ["centre", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_centre_id", table_name="ticket_events")
    op.drop_column("centres", "config_version")
