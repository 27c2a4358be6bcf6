"""tickets: the terms a case was accepted on, and the 帮办代办 record

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Two nullable JSON columns: ``terms`` (告知承诺's commitment and date, 容缺受理's materials to
follow and date, 联办件's lead department, 上报件's level, their time limits) and ``assistance``
(who helped whom with which matter at a 帮办代办 window). Tickets finished before the upgrade
have neither.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
change = "expand"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("terms", _json(), nullable=True))
        batch.add_column(sa.Column("assistance", _json(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("assistance")
        batch.drop_column("terms")
