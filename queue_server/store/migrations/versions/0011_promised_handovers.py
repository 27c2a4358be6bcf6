"""promised handovers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "promised_handovers",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("to_centre", sa.String(length=40), nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_promised_handovers_centre", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["to_centre"], ["centres.code"], name="fk_promised_handovers_to_centre", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_promised_handovers")),
    )
    op.create_index("ix_promised_handovers_to_centre", "promised_handovers", ["to_centre"])


def downgrade() -> None:
    op.drop_index("ix_promised_handovers_to_centre", table_name="promised_handovers")
    op.drop_table("promised_handovers")
