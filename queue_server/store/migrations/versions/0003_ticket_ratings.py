"""ticket ratings (好差评): the rating request's state, its expiry and the level

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating_status", sa.String(length=16), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("rating_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("rating")
        batch_op.drop_column("rating_expires_at")
        batch_op.drop_column("rating_status")
