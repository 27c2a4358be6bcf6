"""rectification cases

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
change = "expand"

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rectification_cases",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=True),
        sa.Column("window", sa.Integer(), nullable=True),
        sa.Column("staff", sa.String(length=40), nullable=True),
        sa.Column("matter", sa.String(length=40), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=80), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", _JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_rectification_cases_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "id", name=op.f("pk_rectification_cases")),
    )
    op.create_index("ix_rectification_cases_centre_status", "rectification_cases", ["centre", "status"])
    op.create_index("ux_rectification_cases_rating", "rectification_cases", ["centre", "source", "serial"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_rectification_cases_rating", table_name="rectification_cases")
    op.drop_index("ix_rectification_cases_centre_status", table_name="rectification_cases")
    op.drop_table("rectification_cases")
