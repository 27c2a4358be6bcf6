"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.create_table(
        "centres",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("state_version", sa.BigInteger(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_centres")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "centres", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("staff_code", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "handling_stats",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_handling_stats_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "key", name=op.f("pk_handling_stats")),
    )
    op.create_table(
        "matter_counts",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("matter", sa.String(length=40), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_matter_counts_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "service_day", "matter", name=op.f("pk_matter_counts")),
    )
    op.create_table(
        "number_series",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("prefix", sa.String(length=4), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_number_series_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "service_day", "prefix", name=op.f("pk_number_series")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_outbox_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("centre", "subject", "seq", name="uq_outbox_centre_subject_seq"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["sent_at", "id"], unique=False)

    op.create_table(
        "outbox_subjects",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_outbox_subjects_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "subject", name=op.f("pk_outbox_subjects")),
    )
    op.create_table(
        "requests",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column(
            "response", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_requests_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "request_id", name=op.f("pk_requests")),
    )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.create_index("ix_requests_created_at", ["created_at"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_ticket_events_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.UniqueConstraint("centre", "serial", "seq", name="uq_ticket_events_centre_serial_seq"),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_centre_kind_id", ["centre", "kind", "id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("place", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("matter", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("window", sa.Integer(), nullable=True),
        sa.Column("target_window", sa.Integer(), nullable=True),
        sa.Column("staff", sa.String(length=40), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("serving_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("passed_over", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "missing_materials",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("cancel_reason", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("status_token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_tickets_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_tickets")),
        sa.UniqueConstraint("centre", "service_day", "number", name="uq_tickets_centre_day_number"),
        sa.UniqueConstraint("status_token", name=op.f("uq_tickets_status_token")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_centre_status", ["centre", "status"], unique=False)

    op.create_table(
        "tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "centres", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_tokens_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_table(
        "window_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_window_events_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_events")),
        sa.UniqueConstraint("centre", "window", "seq", name="uq_window_events_centre_window_seq"),
    )
    op.create_table(
        "windows",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("staff", sa.String(length=40), nullable=True),
        sa.Column("cover", sa.String(length=40), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.String(length=16), nullable=True),
        sa.Column("pause_note", sa.Text(), nullable=False),
        sa.Column("pause_minutes", sa.Integer(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_windows_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "number", name=op.f("pk_windows")),
    )


def downgrade() -> None:
    op.drop_table("windows")
    op.drop_table("window_events")
    op.drop_table("tokens")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_centre_status")

    op.drop_table("tickets")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_centre_kind_id")

    op.drop_table("ticket_events")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_index("ix_requests_created_at")

    op.drop_table("requests")
    op.drop_table("outbox_subjects")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
    op.drop_table("number_series")
    op.drop_table("matter_counts")
    op.drop_table("handling_stats")
    op.drop_table("users")
    op.drop_table("centres")
