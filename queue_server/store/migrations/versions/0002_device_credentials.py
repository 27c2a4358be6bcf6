"""device credentials

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "device_credentials",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("device", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_device_credentials_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "device", name=op.f("pk_device_credentials")),
    )


def downgrade() -> None:
    op.drop_table("device_credentials")
