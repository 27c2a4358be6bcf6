"""tickets: the service's rating code (the window display's QR) and when it was retired; when a
promised case's rating was asked again at its delivery. appeal_evidence: the files of appeals.
centres: a version of the rectification cases, for the live pages

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

Each finish makes a rating code for that one service; the window display shows it as a QR until
the window's next finish retires it, and a retired code is refused with the reason. A promised case
not rated at the window is asked again when its result is delivered (送达). An appeal of a bad
rating may carry photos and PDF files, stored by their hash. A change of a case bumps its centre's
cases_version, which the live pages watch beside the state version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None
change = "expand"


# Plain ADD/DROP COLUMN, never a batch: on SQLite a batch copies ``tickets`` or ``centres`` into a new
# table and drops the old one, and ON DELETE CASCADE empties every table that refers to it.


def upgrade() -> None:
    op.add_column("tickets", sa.Column("rating_code", sa.String(length=32), nullable=False, server_default=""))
    op.add_column("tickets", sa.Column("rating_code_retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("rating_reopened_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_tickets_rating_code", "tickets", ["rating_code"])
    op.add_column("centres", sa.Column("cases_version", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "appeal_evidence",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_appeal_evidence_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "sha256", name=op.f("pk_appeal_evidence")),
    )


def downgrade() -> None:
    op.drop_table("appeal_evidence")
    op.drop_column("centres", "cases_version")
    op.drop_index("ix_tickets_rating_code", table_name="tickets")
    op.drop_column("tickets", "rating_reopened_at")
    op.drop_column("tickets", "rating_code_retired_at")
    op.drop_column("tickets", "rating_code")
