"""sms_phones and sms_notices: phone numbers given for notices by SMS, and the notices' outbox

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

A ticket's number given for SMS notices, with the consent words and when it is deleted; each
notice written in its action's transaction once per key, sent after the commit and recorded
(masked number, template, the provider's id, sent or failed and why).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None
change = "expand"

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sms_phones",
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=24), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_sms_phones_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("centre", "serial", name=op.f("pk_sms_phones")),
    )
    op.create_index("ix_sms_phones_open", "sms_phones", ["centre", "called"])
    op.create_index("ix_sms_phones_purge_after", "sms_phones", ["purge_after"])
    op.create_table(
        "sms_notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("phone", sa.String(length=24), nullable=True),
        sa.Column("phone_masked", sa.String(length=24), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("params", _JSON, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("biz_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["centre"], ["centres.code"], name="fk_sms_notices_centre", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_notices")),
        sa.UniqueConstraint("centre", "key", name="uq_sms_notices_centre_key"),
    )
    op.create_index("ix_sms_notices_due", "sms_notices", ["status", "next_attempt_at"])
    op.create_index("ix_sms_notices_phone", "sms_notices", ["phone", "sent_at"])
    op.create_index("ix_sms_notices_purge_after", "sms_notices", ["purge_after"])


def downgrade() -> None:
    op.drop_table("sms_notices")
    op.drop_table("sms_phones")
