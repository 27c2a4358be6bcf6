"""tickets: a real-name ticket's person, as the keyed hash of its ID number

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

A nullable ``person`` on tickets: the HMAC of the ID number a real-name ticket (实名取号) was issued
with, so the hall counts one person's tickets of a day; null for every other ticket and for every
ticket issued before. Blanked after the policy's ``real_name_days``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None
change = "expand"


# Plain ALTER TABLE, never a batch: on SQLite a batch copies ``tickets`` into a new table and drops
# the old one, and every table that refers to it would lose its rows (see 0018).


def upgrade() -> None:
    op.add_column("tickets", sa.Column("person", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("tickets", "person")
