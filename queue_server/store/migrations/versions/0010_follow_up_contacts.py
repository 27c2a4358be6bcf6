"""follow-up contacts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "follow_up_contacts",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=24), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_follow_up_contacts_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_follow_up_contacts")),
    )
    op.create_index("ix_follow_up_contacts_purge_after", "follow_up_contacts", ["purge_after"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_contacts_purge_after", table_name="follow_up_contacts")
    op.drop_table("follow_up_contacts")
