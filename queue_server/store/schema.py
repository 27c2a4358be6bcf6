"""The database tables: one definition for the store, the migrations and the tests.

Every row belongs to a centre. Tickets and windows hold the current state; their event tables
hold the logs that replay to it; the outbox holds what the bus must publish, in order per
subject. Times are stored in UTC and come back timezone-aware on SQLite too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime in every database (SQLite keeps no zone, so it is added on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"Cannot store naive datetime {value.isoformat()}: give it a time zone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONData = JSON().with_variant(JSONB(), "postgresql")
OptionalJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""A JSON column whose None is SQL NULL (not JSON null), so ``IS NULL`` finds the rows without one."""
Code = String(40)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

schema_compatibility = Table(
    "schema_compatibility",
    metadata,
    # One row, kept by the migrations themselves (queue_server.store.compatibility): the oldest
    # schema revision whose code can still serve this database. A server of a release older than
    # the database reads it to know whether it may serve it during a rolling upgrade. Not a
    # centre's row: it speaks for the whole database, like Alembic's own version table.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("serves_from", String(32), nullable=False),
    Column("revision", String(32), nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
)


def _centre_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["centre"], ["centres.code"], ondelete="CASCADE", name=f"fk_{table}_centre")


centres = Table(
    "centres",
    metadata,
    Column("code", Code, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("config", JSONData, nullable=False),
    # Bumped by every action; an instance's cached hall is valid while it matches.
    Column("state_version", BigInteger, nullable=False, default=0),
    # Bumped by every change of ``config``, and by a person's erasure that blanked real-name tickets:
    # an instance's kept hall is then built again, not caught up.
    Column("config_version", BigInteger, nullable=False, server_default="0"),
    # Bumped by every change of a rectification case: the live pages read the cases again.
    Column("cases_version", BigInteger, nullable=False, server_default="0"),
    Column("last_serial", BigInteger, nullable=False, default=0),
    # The last service day whose closing (cancel or carry) has run.
    Column("closed_day", Date, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

windows = Table(
    "windows",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("staff", Code),
    Column("cover", Code),
    Column("since", UTCDateTime),
    Column("pause_reason", String(16)),
    Column("pause_note", Text, nullable=False, default=""),
    Column("pause_note_public", Boolean, nullable=False, server_default=false()),
    Column("pause_minutes", Integer),
    Column("version", BigInteger, nullable=False, default=0),
    _centre_fk("windows"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("place", BigInteger, nullable=False),
    Column("number", String(16), nullable=False),
    Column("service_day", Date, nullable=False),
    Column("matter", Code, nullable=False),
    Column("category", String(16)),
    Column("channel", String(16), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("window", Integer),
    Column("target_window", Integer),
    Column("staff", Code),
    Column("called_at", UTCDateTime),
    Column("serving_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("calls", Integer, nullable=False, default=0),
    Column("recalls", Integer, nullable=False, default=0),
    Column("no_shows", Integer, nullable=False, default=0),
    Column("transfers", Integer, nullable=False, default=0),
    Column("passed_over", Integer, nullable=False, default=0),
    Column("outcome", String(16)),
    Column("due_date", Date),
    Column("reasons", JSONData, nullable=False, default=list),
    Column("missing_materials", JSONData, nullable=False, default=list),
    Column("cancel_reason", String(16)),
    Column("rating_status", String(16), nullable=False, default="none"),
    Column("rating_expires_at", UTCDateTime),
    Column("rating", Integer),
    # the items rated besides the level: [服务效率, 服务水平, 服务态度] (0: left unrated), or null
    Column("rating_items", JSONData),
    # The service's rating code (the QR the window display shows after the finish), and when the
    # window's next finish retired it.
    Column("rating_code", String(32), nullable=False, server_default=""),
    Column("rating_code_retired_at", UTCDateTime),
    # A promised case's rating asked again when its result was delivered (送达).
    Column("rating_reopened_at", UTCDateTime),
    Column("note", Text, nullable=False, default=""),
    Column("version", BigInteger, nullable=False),
    # What an accepted case was accepted on, and a 帮办代办 record (domain.case_terms), as objects.
    Column("terms", OptionalJSON),
    Column("assistance", OptionalJSON),
    # A booked ticket's slot start (the booking checked in); null for a walk-in.
    Column("booked_from", UTCDateTime),
    # A real-name ticket's ID number as its keyed hash (HMAC-SHA256, hex), blanked after the
    # policy's real_name_days; null for every other ticket. Never the number itself.
    Column("person", String(64)),
    # The unguessable key of the ticket's public status page (the QR code on the ticket).
    Column("status_token", String(64), nullable=False, unique=True),
    # The wait told at issue, in whole minutes: the single estimate (written with the ticket) and
    # the range (written when the service first worked the hall's ranges out after the issue).
    Column("estimate_minutes", Integer),
    Column("estimate_low", Integer),
    Column("estimate_high", Integer),
    # What the range told at issue was corrected from, in seconds: the middle and the half-width of
    # the range before the hall's correction (domain.told_ranges.Calibration rebuilds from them).
    Column("told_middle", Float),
    Column("told_half", Float),
    _centre_fk("tickets"),
    UniqueConstraint("centre", "service_day", "number", name="uq_tickets_centre_day_number"),
    Index("ix_tickets_centre_status", "centre", "status"),
    Index("ix_tickets_rating_code", "rating_code"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("centre", Code, nullable=False),
    Column("serial", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("data", JSONData, nullable=False),
    _centre_fk("ticket_events"),
    UniqueConstraint("centre", "serial", "seq", name="uq_ticket_events_centre_serial_seq"),
    Index("ix_ticket_events_centre_kind_id", "centre", "kind", "id"),
    # The events since a kept hall's last one: which tickets another instance changed.
    Index("ix_ticket_events_centre_id", "centre", "id"),
)

window_events = Table(
    "window_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("centre", Code, nullable=False),
    Column("window", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("data", JSONData, nullable=False),
    _centre_fk("window_events"),
    UniqueConstraint("centre", "window", "seq", name="uq_window_events_centre_window_seq"),
)

number_series = Table(
    "number_series",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("service_day", Date, primary_key=True),
    Column("prefix", String(4), primary_key=True),
    Column("last", Integer, nullable=False),
    _centre_fk("number_series"),
)

matter_counts = Table(
    "matter_counts",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("service_day", Date, primary_key=True),
    Column("matter", Code, primary_key=True),
    Column("issued", Integer, nullable=False),
    _centre_fk("matter_counts"),
)

handling_stats = Table(
    "handling_stats",
    metadata,
    Column("centre", Code, primary_key=True),
    # ``matter:<code>`` (learned minutes) or ``window:<n>`` (speed factor).
    Column("key", String(64), primary_key=True),
    Column("value", Float, nullable=False),
    _centre_fk("handling_stats"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("centre", Code, nullable=False),
    Column("subject", String(80), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("payload", JSONData, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    _centre_fk("outbox"),
    UniqueConstraint("centre", "subject", "seq", name="uq_outbox_centre_subject_seq"),
    Index("ix_outbox_pending", "sent_at", "id"),
    # The unsent rows only: marking a subject's rows sent reads these, not its whole history (0024).
    Index(
        "ix_outbox_unsent",
        "centre",
        "subject",
        "seq",
        sqlite_where=text("sent_at IS NULL"),
        postgresql_where=text("sent_at IS NULL"),
    ),
)

outbox_subjects = Table(
    "outbox_subjects",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("subject", String(80), primary_key=True),
    # The subject's last sequence number: assigned in the action's transaction, never reset.
    Column("last_seq", BigInteger, nullable=False),
    _centre_fk("outbox_subjects"),
)

print_jobs = Table(
    "print_jobs",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("job_id", String(80), primary_key=True),
    Column("printer", Code, nullable=False),
    Column("serial", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    # queued until the printer answers; then done, failed (with the reason) or unknown: the bytes
    # may or may not have reached the paper, so a person decides whether to reprint
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    # the job as sent, so that one the printer never answered can be sent again (it prints a job
    # id once, so a repeat costs nothing)
    Column("payload", JSONData, nullable=False),
    Column("sends", Integer, nullable=False, default=1),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # the job this one replaces: its printer failed it because it could not print (paper out, cover
    # open), so the same ticket went to a spare printer, or a person reprinted it (reprinted_by);
    # unique, so a job is replaced at most once
    Column("rerouted_from", String(80)),
    # who asked for this job to be printed again (the desk's reprint); None for jobs the server
    # made itself (a kiosk's ticket, a window's notice, a reroute)
    Column("reprinted_by", String(80)),
    _centre_fk("print_jobs"),
    Index("ix_print_jobs_centre_status", "centre", "status"),
    Index("ix_print_jobs_centre_updated_at", "centre", "updated_at"),
    Index("ux_print_jobs_rerouted_from", "centre", "rerouted_from", unique=True),
)

requests = Table(
    "requests",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("actor", String(80), nullable=False),
    Column("action", String(80), nullable=False),
    # The answer as the application keeps it: a result or a refusal, in no transport's terms.
    Column("response", JSONData, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _centre_fk("requests"),
    Index("ix_requests_created_at", "created_at"),
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    # The centres the account may see: one, or several for a supervisor.
    Column("centres", JSONData, nullable=False),
    # For a staff account: the staff member of the centre file it signs on as.
    Column("staff_code", Code),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    # SHA-256 of the token: a leaked table does not leak working tokens.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("centres", JSONData, nullable=False),
    # Who acts with it: a kiosk or desk id, a device id, or a username.
    Column("subject", String(80), nullable=False),
    Column("user_id", BigInteger().with_variant(Integer, "sqlite")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_tokens_user_id_users"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    # SHA-256 of the cookie's value: a leaked table does not leak working sessions.
    Column("key_hash", String(64), nullable=False, unique=True),
    # A person's session (after a password) or an enrolled kiosk's (after its device token).
    Column("user_id", BigInteger().with_variant(Integer, "sqlite")),
    Column("token_id", BigInteger().with_variant(Integer, "sqlite")),
    # The value every form and every changing request of the session must carry (CSRF).
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_web_sessions_user_id_users"),
    ForeignKeyConstraint(["token_id"], ["tokens.id"], ondelete="CASCADE", name="fk_web_sessions_token_id_tokens"),
    Index("ix_web_sessions_expires_at", "expires_at"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_failures_username_at", "username", "at"),
    Index("ix_login_failures_address_at", "address", "at"),
)

rectification_cases = Table(
    "rectification_cases",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    # rating (a bad rating opened it) or complaint (opened by hand at the complaint window)
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("serial", BigInteger),
    Column("window", Integer),
    Column("staff", Code),
    Column("matter", Code),
    Column("level", Integer),
    Column("reasons", JSONData, nullable=False, default=list),
    Column("comment", Text, nullable=False, default=""),
    Column("assignee", String(80)),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("closed_at", UTCDateTime),
    # every step, assignment and note, in order: [{at, actor, status, text, assignee}]
    Column("notes", JSONData, nullable=False, default=list),
    Column("version", Integer, nullable=False, default=1),
    # a rating's case: the citizen left a number for the follow-up call (回访), so one is due
    Column("named", Boolean, nullable=False, default=False, server_default=false()),
    # the follow-up calls tried, in order: [{at, actor, result, note}], and what they came to
    Column("follow_up_calls", JSONData, nullable=False, default=list, server_default="[]"),
    Column("follow_up", String(16)),
    # the window's appeal of the rating (申诉): {filed_at, filed_by, reason, evidence, decided_at, ...}
    Column("appeal", JSONData),
    # pending, upheld or rejected: an upheld appeal takes the rating out of the figures
    Column("appeal_status", String(16)),
    _centre_fk("rectification_cases"),
    Index("ix_rectification_cases_centre_status", "centre", "status"),
    Index("ux_rectification_cases_rating", "centre", "source", "serial", unique=True),
)

promised_deliveries = Table(
    "promised_deliveries",
    metadata,
    # A promised case (承诺件) handed over to the citizen: its ticket, when, by whom, and a note.
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("delivered_at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("note", Text, nullable=False, default=""),
    # How it reached the citizen: collected at a window, or posted (with the courier and tracking number).
    Column("method", String(16), nullable=False, default="window", server_default="window"),
    Column("courier", String(60)),
    Column("tracking_number", String(60)),
    _centre_fk("promised_deliveries"),
)

promised_results = Table(
    "promised_results",
    metadata,
    # The business system's decision on a promised case: its result ready (办结) or refused
    # (不予许可, with the reason); once per case. The delivery is promised_deliveries's row.
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    _centre_fk("promised_results"),
)

postal_addresses = Table(
    "postal_addresses",
    metadata,
    # Where a promised case's result is posted (邮件寄递), taken at the counter with the citizen's
    # consent; deleted with the delivery, and at the latest at purge_after.
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("recipient", String(60), nullable=False),
    Column("phone", String(24), nullable=False),
    Column("address", String(300), nullable=False),
    Column("consent", Text, nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("taken_by", String(80), nullable=False),
    Column("purge_after", UTCDateTime, nullable=False),
    _centre_fk("postal_addresses"),
    Index("ix_postal_addresses_purge_after", "purge_after"),
)

promised_handovers = Table(
    "promised_handovers",
    metadata,
    # A promised case (承诺件) handed by the centre that accepted it to the centre responsible for
    # it, which follows it and delivers it from then on (its delivery row keeps the first key).
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("to_centre", Code, nullable=False),
    Column("handed_at", UTCDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("note", Text, nullable=False, default=""),
    _centre_fk("promised_handovers"),
    ForeignKeyConstraint(["to_centre"], ["centres.code"], ondelete="CASCADE", name="fk_promised_handovers_to_centre"),
    Index("ix_promised_handovers_to_centre", "to_centre"),
)

follow_up_contacts = Table(
    "follow_up_contacts",
    metadata,
    # A citizen's phone number for the follow-up visit (回访), left with their rating and their
    # consent; shown only on its rectification case, never exported, deleted after purge_after.
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("phone", String(24), nullable=False),
    Column("consent", Text, nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("purge_after", UTCDateTime, nullable=False),
    _centre_fk("follow_up_contacts"),
    Index("ix_follow_up_contacts_purge_after", "purge_after"),
)

bookings = Table(
    "bookings",
    metadata,
    # A booking (预约) of a slot of a matter (queue_server.domain.bookings). The person is kept as
    # the keyed hash of the ID number and the masked phone only, both set to null by the daily jobs
    # at purge_after; the booking's other columns stay for the reports.
    Column("centre", Code, primary_key=True),
    Column("code", String(16), primary_key=True),
    Column("matter", Code, nullable=False),
    Column("slot_start", UTCDateTime, nullable=False),
    Column("slot_end", UTCDateTime, nullable=False),
    Column("person", String(64)),
    Column("phone", String(16)),
    Column("channel", String(16), nullable=False),
    Column("booked_at", UTCDateTime, nullable=False),
    Column("booked_by", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("checked_in_at", UTCDateTime),
    Column("ticket", BigInteger),
    Column("purge_after", UTCDateTime, nullable=False),
    # A public booking: the keyed hash of its confirmed number (to change it from the public page),
    # and the number itself only when the citizen agreed to the reminder; both nulled at purge_after.
    Column("phone_key", String(64)),
    Column("reminder_phone", String(24)),
    _centre_fk("bookings"),
    Index("ix_bookings_centre_slot", "centre", "matter", "slot_start"),
    Index("ix_bookings_centre_person", "centre", "person"),
    Index("ix_bookings_purge_after", "purge_after"),
)

device_credentials = Table(
    "device_credentials",
    metadata,
    Column("centre", Code, primary_key=True),
    Column("device", Code, primary_key=True),
    # Mosquitto's own hash ($7$, PBKDF2-SHA512): written as is into the broker's password file and
    # checked by the hall's own broker; the plain password is shown once, when it is made, never kept.
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _centre_fk("device_credentials"),
)

staff_photos = Table(
    "staff_photos",
    metadata,
    # A staff member's photo for the window display and the rating pad (工作证), as the server made
    # it from the manager's upload: a small JPEG without metadata, named by its SHA-256. The centre's
    # configuration names the photo a staff member shows; a photo no staff member names is kept for
    # the centre's staff_photo_days from the first closing that found it unnamed (unnamed_since).
    Column("centre", Code, primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("image", LargeBinary, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("uploaded_by", String(120), nullable=False),
    Column("unnamed_since", UTCDateTime),
    _centre_fk("staff_photos"),
)

appeal_evidence = Table(
    "appeal_evidence",
    metadata,
    # A file a window sent with the appeal of a bad rating (申诉): a photo or a PDF, as uploaded,
    # named by its SHA-256 and checked to be of its type; the appeal names the files it carries.
    Column("centre", Code, primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(40), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("uploaded_by", String(120), nullable=False),
    _centre_fk("appeal_evidence"),
)


sms_phones = Table(
    "sms_phones",
    metadata,
    # A ticket's phone number for notices by SMS (near, called, its result ready), given by the
    # citizen for that purpose with the consent words shown; masked anywhere it is shown, deleted
    # (the row) after purge_after. ``called`` is set once the call's notice is written: the ticket
    # is then no longer looked at on each call.
    Column("centre", Code, primary_key=True),
    Column("serial", BigInteger, primary_key=True),
    Column("phone", String(24), nullable=False),
    Column("consent", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("purge_after", UTCDateTime, nullable=False),
    Column("called", Boolean, nullable=False, server_default=false()),
    _centre_fk("sms_phones"),
    Index("ix_sms_phones_open", "centre", "called"),
    Index("ix_sms_phones_purge_after", "purge_after"),
)

sms_notices = Table(
    "sms_notices",
    metadata,
    # The SMS outbox and its record: written in the transaction of the action that causes the
    # notice (once per ``key``), sent after the commit by the instance holding the sender's lease.
    # The full number is kept only until purge_after (then NULL); the masked one stays.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("centre", Code, nullable=False),
    Column("key", String(120), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("phone", String(24)),
    Column("phone_masked", String(24), nullable=False),
    Column("template", String(40), nullable=False),
    Column("params", JSONData, nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("biz_id", String(64)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("purge_after", UTCDateTime, nullable=False),
    _centre_fk("sms_notices"),
    UniqueConstraint("centre", "key", name="uq_sms_notices_centre_key"),
    Index("ix_sms_notices_due", "status", "next_attempt_at"),
    Index("ix_sms_notices_phone", "phone", "sent_at"),
    Index("ix_sms_notices_purge_after", "purge_after"),
    Index("ix_sms_notices_centre_status", "centre", "status"),
)

booking_codes = Table(
    "booking_codes",
    metadata,
    # A code texted to a number for the public booking page (queue_server.app.booking_codes): the
    # number and the code only as keyed hashes, with the expiry and the wrong tries counted; used
    # once (used_by: the request that used it, so its repeat is answered again).
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("centre", Code, nullable=False),
    Column("phone_key", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("used_at", UTCDateTime),
    Column("used_by", String(120)),
    _centre_fk("booking_codes"),
    Index("ix_booking_codes_phone", "centre", "phone_key"),
    Index("ix_booking_codes_expires_at", "expires_at"),
)


audit_entries = Table(
    "audit_entries",
    metadata,
    # The audit trail (queue_server.domain.audit): one hash chain per centre ('' for acts of no
    # single centre). The application only inserts; triggers refuse every UPDATE and every DELETE
    # of an entry younger than the least retention period (migration 0025). No foreign key to
    # centres: the trail outlives a removed centre.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("centre", Code, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("request_id", String(120), nullable=False),
    Column("detail", JSONData, nullable=False),
    Column("previous", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_entries_centre_id", "centre", "id"),
    Index("ix_audit_entries_at", "at"),
)


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict."""
    return dict(row._mapping)
