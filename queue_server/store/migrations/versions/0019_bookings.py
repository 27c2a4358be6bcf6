"""bookings; tickets: the slot start of a booked ticket

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

A table of bookings (预约), keeping the person as a keyed hash of the ID number and a masked
phone until purge_after, and a nullable ``booked_from`` on tickets: the slot start of the
booking a ticket checked in (null for a walk-in, and for every ticket issued before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None
change = "expand"


# Plain ALTER TABLE, never a batch: on SQLite a batch copies ``tickets`` into a new table and drops
# the old one, and every table that refers to it would lose its rows (see 0018).


def upgrade() -> None:
    op.add_column("tickets", sa.Column("booked_from", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "bookings",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("matter", sa.String(length=40), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_by", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket", sa.BigInteger(), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_bookings_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "code", name=op.f("pk_bookings")),
    )
    op.create_index("ix_bookings_centre_slot", "bookings", ["centre", "matter", "slot_start"])
    op.create_index("ix_bookings_centre_person", "bookings", ["centre", "person"])
    op.create_index("ix_bookings_purge_after", "bookings", ["purge_after"])


def downgrade() -> None:
    op.drop_index("ix_bookings_purge_after", table_name="bookings")
    op.drop_index("ix_bookings_centre_person", table_name="bookings")
    op.drop_index("ix_bookings_centre_slot", table_name="bookings")
    op.drop_table("bookings")
    op.drop_column("tickets", "booked_from")
