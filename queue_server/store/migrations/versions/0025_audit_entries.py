"""audit_entries: the append-only audit trail, guarded by triggers

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

The application only inserts into ``audit_entries``. The database itself refuses any UPDATE, any
TRUNCATE (PostgreSQL) and any DELETE of an entry younger than the least retention period (180
days, ``queue_server.domain.audit.AUDIT_DAYS_LEAST``), so only the retention job's purge of old
entries gets through, and a mistaken or hostile statement from any client of the database fails.
Whoever owns the tables can still drop a trigger: the hash chain (``onewindow audit verify``)
catches what is changed that way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None
change = "expand"

LEAST_DAYS = 180
"""As queue_server.domain.audit.AUDIT_DAYS_LEAST when this migration was written; a migration never changes."""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'Cannot change an audit entry: the audit trail is append-only'); END""",
    f"""CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
    WHEN OLD.at > datetime('now', '-{LEAST_DAYS} days')
    BEGIN SELECT RAISE(ABORT, 'Cannot delete an audit entry younger than {LEAST_DAYS} days'); END""",
)
POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{LEAST_DAYS} days' THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'Cannot delete audit entry %: it is younger than {LEAST_DAYS} days', OLD.id;
        END IF;
        RAISE EXCEPTION 'Cannot % audit entries: the audit trail is append-only', lower(TG_OP);
    END $$""",
    """CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_guard()""",
    """CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_guard()""",
)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(120), nullable=False),
        sa.Column("detail", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("previous", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_centre_id", "audit_entries", ["centre", "id"])
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    triggers = SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_guard()")
    op.drop_index("ix_audit_entries_at", table_name="audit_entries")
    op.drop_index("ix_audit_entries_centre_id", table_name="audit_entries")
    op.drop_table("audit_entries")
