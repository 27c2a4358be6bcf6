"""staff photos

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "staff_photos",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_staff_photos_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "sha256", name=op.f("pk_staff_photos")),
    )


def downgrade() -> None:
    op.drop_table("staff_photos")
