"""schema_compatibility: the oldest schema whose code may still serve the database

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06

Each migration says whether it only adds (expand) or takes away (contract). After every run the
migration environment writes here the oldest revision whose code can serve the database: the
newest contract migration applied, or what that contract names as safe. A server of an older
release than the database serves it, with a warning, while this row says it still may; that is
what lets two releases serve one database during a rolling upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "schema_compatibility",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("serves_from", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema_compatibility")),
    )


def downgrade() -> None:
    op.drop_table("schema_compatibility")
