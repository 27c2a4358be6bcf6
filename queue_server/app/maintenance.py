"""Forgetting what is no longer needed: outbox rows the broker took long ago, old request ids, and
every kind of personal data once its period in the centre's retention policy has passed
(:func:`apply_retention`, queue_server.domain.retention)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from queue_server.domain.audit import AUDIT_DAYS, CITY
from queue_server.domain.clock import Clock
from queue_server.domain.retention import PersonalData, Retention
from queue_server.store import audit as audit_trail
from queue_server.store.appeal_evidence import purge_evidence
from queue_server.store.assisted import forget_helped
from queue_server.store.booking_codes import purge_codes
from queue_server.store.bookings import purge_people
from queue_server.store.contacts import purge_contacts
from queue_server.store.database import Database
from queue_server.store.outbox import prune_sent
from queue_server.store.postal_addresses import purge_addresses
from queue_server.store.real_name import forget_people
from queue_server.store.requests import prune_requests as forget_requests
from queue_server.store.sms import forget_numbers_given_before, purge_records, purge_sms
from queue_server.store.staff_photos import purge_unnamed


async def prune_outbox(db: Database, clock: Clock, older_than_days: int = 2) -> int:
    """Forget outbox rows the broker acknowledged long ago (unsent rows are never pruned)."""
    cutoff = clock.now() - dt.timedelta(days=older_than_days)
    async with db.write() as conn:
        return await prune_sent(conn, cutoff)


async def prune_requests(db: Database, clock: Clock, older_than_days: int = 7) -> int:
    """Forget request ids after their retention period; a device's retry comes within seconds."""
    cutoff = clock.now() - dt.timedelta(days=older_than_days)
    async with db.write() as conn:
        return await forget_requests(conn, cutoff)


async def forget_assisted(db: Database, clock: Clock, days_by_centre: Mapping[str, int]) -> int:
    """Blank the person each 帮办代办 record names once its centre's ``assisted_days`` have passed."""
    forgotten = 0
    async with db.write() as conn:
        for centre, days in days_by_centre.items():
            forgotten += await forget_helped(conn, centre, clock.now() - dt.timedelta(days=days))
    return forgotten


async def forget_real_names(db: Database, days_by_centre: Mapping[str, tuple[dt.date, int]]) -> int:
    """Blank the ID number's hash of each real-name ticket once its centre's ``real_name_days`` have
    passed since its service day; ``days_by_centre`` gives each centre's local today and its days."""
    forgotten = 0
    async with db.write() as conn:
        for centre, (today, days) in days_by_centre.items():
            forgotten += await forget_people(conn, centre, today - dt.timedelta(days=days))
    return forgotten


CLOCK_MARGIN = dt.timedelta(days=1)
"""Audit entries are kept this much past their period: the database refuses to delete one younger
than the least period by its own clock, and a server whose clock runs ahead of the database's must
not have the whole retention transaction refused for it."""


@dataclass(frozen=True, slots=True)
class CentreDay:
    """A centre whose day has just closed: its local date, its retention policy, and the photos its
    staff members show (the others are on their way out)."""

    today: dt.date
    retention: Retention
    photos: frozenset[str] = frozenset()


async def apply_retention(db: Database, clock: Clock, closed: Mapping[str, CentreDay]) -> dict[PersonalData, int]:
    """Apply the retention policy in one transaction; how many rows of each kind were deleted or blanked.

    The kinds whose rows carry the end of their period (``purge_after``, set from the centre's
    policy when the data was taken) go at every centre on every run; the kinds counted from the
    centre's days (whom a 帮办代办 window helped, real-name tickets' ID hashes, the audit trail's
    entries, expired booking codes, appeals' files, staff photos no staff member shows, SMS numbers
    under the centre's ``sms_days`` and SMS notices' records) go for the centres in ``closed``, once
    a day at closing. The city's audit chain is kept for the default
    :data:`~queue_server.domain.audit.AUDIT_DAYS`.
    """
    now = clock.now()
    done = dict.fromkeys(PersonalData, 0)
    async with db.write() as conn:
        done[PersonalData.FOLLOW_UP_NUMBERS] = await purge_contacts(conn, now)
        done[PersonalData.POSTAL_ADDRESSES] = await purge_addresses(conn, now)
        done[PersonalData.BOOKINGS] = await purge_people(conn, now)
        done[PersonalData.SMS_NUMBERS] = await purge_sms(conn, now)
        for centre, day in closed.items():
            kept = day.retention
            done[PersonalData.ASSISTED] += await forget_helped(
                conn, centre, now - dt.timedelta(days=kept.assisted_days)
            )
            done[PersonalData.ID_HASHES] += await forget_people(
                conn, centre, day.today - dt.timedelta(days=kept.real_name_days)
            )
            done[PersonalData.AUDIT_ENTRIES] += await audit_trail.purge(
                conn, centre, now - dt.timedelta(days=kept.audit_days) - CLOCK_MARGIN
            )
            done[PersonalData.BOOKING_CODES] += await purge_codes(
                conn, centre, now - dt.timedelta(days=kept.booking_code_days)
            )
            done[PersonalData.APPEAL_EVIDENCE] += await purge_evidence(
                conn, centre, now - dt.timedelta(days=kept.appeal_evidence_days)
            )
            done[PersonalData.STAFF_PHOTOS] += await purge_unnamed(conn, centre, day.photos, now, kept.staff_photo_days)
            if kept.sms_days is not None:
                done[PersonalData.SMS_NUMBERS] += await forget_numbers_given_before(
                    conn, centre, now - dt.timedelta(days=kept.sms_days)
                )
            done[PersonalData.SMS_RECORDS] += await purge_records(
                conn, centre, now - dt.timedelta(days=kept.sms_record_days)
            )
        if closed:
            city_cutoff = now - dt.timedelta(days=AUDIT_DAYS) - CLOCK_MARGIN
            done[PersonalData.AUDIT_ENTRIES] += await audit_trail.purge(conn, CITY, city_cutoff)
    return done
