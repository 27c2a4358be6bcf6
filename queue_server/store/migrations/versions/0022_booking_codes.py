"""booking_codes, and the bookings' phone key and reminder number: the public page's phone check

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

A code texted to a number for the public booking page, kept only as a keyed hash with its expiry
and the wrong tries counted; a public booking keeps the keyed hash of its number (to change it
from the public page) and, with the citizen's consent, the number for the reminder, both deleted
with the booking's other personal data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "booking_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("phone_key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_booking_codes_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_codes")),
    )
    op.create_index("ix_booking_codes_phone", "booking_codes", ["centre", "phone_key"])
    op.create_index("ix_booking_codes_expires_at", "booking_codes", ["expires_at"])
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("phone_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reminder_phone", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("reminder_phone")
        batch.drop_column("phone_key")
    op.drop_table("booking_codes")
