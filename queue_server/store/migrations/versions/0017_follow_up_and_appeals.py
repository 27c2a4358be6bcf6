"""follow-up calls and appeals on rectification cases; the items of a rating

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

A case of a rating knows whether the citizen left a number (named: a follow-up call is due),
keeps its follow-up calls and their outcome, and the window's appeal of the rating with the
supervisor's decision. The appeal's status is a column of its own: the reports leave the ratings
of upheld appeals out with one join. Cases opened before this revision are named when their
ticket's follow-up number is still kept. A ticket keeps the items rated besides the level
(服务效率, 服务水平, 服务态度), null when none was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None
change = "expand"

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as table:
        table.add_column(sa.Column("rating_items", _JSON, nullable=True))
    with op.batch_alter_table("rectification_cases") as table:
        table.add_column(sa.Column("named", sa.Boolean(), nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("follow_up_calls", _JSON, nullable=False, server_default="[]"))
        table.add_column(sa.Column("follow_up", sa.String(length=16), nullable=True))
        table.add_column(sa.Column("appeal", _JSON, nullable=True))
        table.add_column(sa.Column("appeal_status", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE rectification_cases SET named = true WHERE source = 'rating' AND EXISTS ("
        "SELECT 1 FROM follow_up_contacts f"
        " WHERE f.centre = rectification_cases.centre AND f.serial = rectification_cases.serial)"
    )


def downgrade() -> None:
    with op.batch_alter_table("rectification_cases") as table:
        table.drop_column("appeal_status")
        table.drop_column("appeal")
        table.drop_column("follow_up")
        table.drop_column("follow_up_calls")
        table.drop_column("named")
    with op.batch_alter_table("tickets") as table:
        table.drop_column("rating_items")
