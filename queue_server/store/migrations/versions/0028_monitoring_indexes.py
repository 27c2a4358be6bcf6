"""sms_notices by centre and status, print_jobs by centre and last answer: indexes for the scrape

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-06

A Prometheus scrape counts each centre's SMS notices by state and its print jobs answered in the
last day (queue_server.store.monitoring). Without these indexes both read every row the tables
ever kept. Only adds: the release before serves the database unchanged.
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_index("ix_sms_notices_centre_status", "sms_notices", ["centre", "status"])
    op.create_index("ix_print_jobs_centre_updated_at", "print_jobs", ["centre", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_print_jobs_centre_updated_at", table_name="print_jobs")
    op.drop_index("ix_sms_notices_centre_status", table_name="sms_notices")
