"""tickets: what the range told at issue was corrected from (the middle and the half-width of
the uncorrected range, in seconds)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07

The hall corrects the ranges it tells by how the earlier ones fared (its calibration): each called
ticket's real wait against the middle and the half-width of the range before correction it was
told. The whole-minute columns of 0027 hold the corrected range, rounded; these two hold
what the correction needs, so a hall loaded afresh (a restart) rebuilds it from its tickets and
tells the same ranges. Only adds: the release before serves the database unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None
change = "expand"

COLUMNS = ("told_middle", "told_half")


# Plain ALTER TABLE, never a batch: on SQLite a batch copies ``tickets`` into a new table and drops
# the old one, and every table that refers to it would lose its rows (see 0018).


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("tickets", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("tickets", name)
