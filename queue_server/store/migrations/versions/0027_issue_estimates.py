"""tickets: the wait told at issue — the single estimate and the range, in whole minutes

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

The single estimate is written with the ticket; the range (``estimate_low``..``estimate_high``)
when the service first works the hall's ranges out after the issue (``app.wait_ranges``), outside
the issue's transaction. The reports set both against the real wait.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None
change = "expand"

COLUMNS = ("estimate_minutes", "estimate_low", "estimate_high")


# Plain ALTER TABLE, never a batch: on SQLite a batch copies ``tickets`` into a new table and drops
# the old one, and every table that refers to it would lose its rows (see 0018).


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("tickets", sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("tickets", name)
