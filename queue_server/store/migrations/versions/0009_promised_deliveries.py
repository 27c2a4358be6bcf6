"""promised cases delivered

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "promised_deliveries",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_promised_deliveries_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_promised_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("promised_deliveries")
