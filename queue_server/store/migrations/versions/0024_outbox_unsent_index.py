"""outbox: an index of the rows not yet sent, by centre, subject and sequence

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06

The relay marks a subject's rows up to a sequence sent (``outbox.mark_superseded``). With only the
unique index on (centre, subject, seq) the database walked every row of the subject up to that
sequence, sent long ago or not: at a busy centre the hall summary's thousands of rows on every
mark. A partial index holds only the unsent rows, so a mark reads the few it changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None
change = "expand"

UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["centre", "subject", "seq"],
        sqlite_where=UNSENT,
        postgresql_where=UNSENT,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent", table_name="outbox")
