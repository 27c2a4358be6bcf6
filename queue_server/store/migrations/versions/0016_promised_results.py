"""promised results, postal addresses, how a delivery was made

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.add_column(
        "promised_deliveries", sa.Column("method", sa.String(length=16), server_default="window", nullable=False)
    )
    op.add_column("promised_deliveries", sa.Column("courier", sa.String(length=60), nullable=True))
    op.add_column("promised_deliveries", sa.Column("tracking_number", sa.String(length=60), nullable=True))
    op.create_table(
        "promised_results",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_promised_results_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_promised_results")),
    )
    op.create_table(
        "postal_addresses",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=24), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=80), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_postal_addresses_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_postal_addresses")),
    )
    op.create_index("ix_postal_addresses_purge_after", "postal_addresses", ["purge_after"])


def downgrade() -> None:
    op.drop_index("ix_postal_addresses_purge_after", table_name="postal_addresses")
    op.drop_table("postal_addresses")
    op.drop_table("promised_results")
    with op.batch_alter_table("promised_deliveries") as batch:
        batch.drop_column("tracking_number")
        batch.drop_column("courier")
        batch.drop_column("method")
