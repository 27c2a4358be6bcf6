"""indexes for the scrape (sms_notices by centre and status, print_jobs by centre and last
answer), and staff_photos.unnamed_since for the retention of staff photos

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06

A Prometheus scrape counts each centre's SMS notices by state and its print jobs answered in the
last day (queue_server.store.monitoring). Without these indexes both read every row the tables
ever kept. A staff photo no staff member shows any more is deleted the centre's
``staff_photo_days`` after the daily job first found it unnamed: the nullable ``unnamed_since``
records when. Only adds: the release before serves the database unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_index("ix_sms_notices_centre_status", "sms_notices", ["centre", "status"])
    op.create_index("ix_print_jobs_centre_updated_at", "print_jobs", ["centre", "updated_at"])
    op.add_column("staff_photos", sa.Column("unnamed_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("staff_photos", "unnamed_since")
    op.drop_index("ix_print_jobs_centre_updated_at", table_name="print_jobs")
    op.drop_index("ix_sms_notices_centre_status", table_name="sms_notices")
