"""windows: whether a pause's note may be shown to citizens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A staff member's note on a pause was shown on the hall board as written. It is now internal
unless they mark it public; a window paused before the upgrade keeps its note among staff.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    with op.batch_alter_table("windows") as batch:
        batch.add_column(sa.Column("pause_note_public", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("pause_note_public")
