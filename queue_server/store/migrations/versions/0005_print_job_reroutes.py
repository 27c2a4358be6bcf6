"""print jobs: the job a rerouted one replaces

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rerouted_from", sa.String(length=80), nullable=True))
        batch_op.create_index("ux_print_jobs_rerouted_from", ["centre", "rerouted_from"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.drop_index("ux_print_jobs_rerouted_from")
        batch_op.drop_column("rerouted_from")
