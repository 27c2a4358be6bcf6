"""The retention policy: how long each kind of personal data a centre holds is kept, in one place.

Read from the centre file, where each period keeps the name it has always had
(``policy.follow_up_days``, ``policy.assisted_days``, ``policy.real_name_days``,
``policy.audit_days``, ``policy.postal_days_after_due``, ``policy.booking_code_days``,
``policy.appeal_evidence_days``, ``policy.staff_photo_days``, ``policy.sms_days``,
``policy.sms_record_days``, ``bookings.keep_days``), each with its named default; the daily jobs
apply the whole policy at once (queue_server.app.maintenance.apply_retention). A number for SMS is
kept for the days the server's SMS settings give (``keep_days``), as its consent words say, or for
the centre's ``sms_days`` when that is set and shorter: the number goes at the earlier of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.centre import (
    APPEAL_EVIDENCE_DAYS,
    BOOKING_CODE_DAYS,
    POSTAL_DAYS_AFTER_DUE,
    SMS_RECORD_DAYS,
    STAFF_PHOTO_DAYS,
    Centre,
)


class PersonalData(StrEnum):
    """The kinds of personal data a centre holds, each with its period."""

    FOLLOW_UP_NUMBERS = "follow_up_numbers"
    """A citizen's number for the follow-up call (回访) of a bad rating: deleted."""
    POSTAL_ADDRESSES = "postal_addresses"
    """Where a promised case's result is posted (邮件寄递): deleted with the delivery, or at the latest."""
    ID_HASHES = "id_hashes"
    """The keyed hash of a real-name ticket's ID number (实名取号): blanked in the ticket and its log."""
    ASSISTED = "assisted"
    """Whom a 帮办代办 window helped: blanked, the record keeps who helped with which matter."""
    BOOKINGS = "bookings"
    """A booking's person (ID hash, masked and reminder numbers, the number's keyed hash): blanked."""
    SMS_NUMBERS = "sms_numbers"
    """A ticket's number for SMS notices, and the number in the notices sent: deleted and blanked."""
    SMS_RECORDS = "sms_records"
    """The record of an SMS notice sent or failed (masked number, template, state): deleted."""
    BOOKING_CODES = "booking_codes"
    """A texted code's keyed hashes: deleted."""
    APPEAL_EVIDENCE = "appeal_evidence"
    """The files sent with an appeal of a bad rating (a photo may show the citizen): deleted."""
    STAFF_PHOTOS = "staff_photos"
    """A staff member's photo no staff member of the centre file shows any more: deleted."""
    AUDIT_ENTRIES = "audit_entries"
    """The audit trail's entries (who saw whose data): the oldest deleted."""


@dataclass(frozen=True, slots=True)
class Retention:
    """One centre's periods, in days."""

    follow_up_days: int
    """After the number was given."""
    assisted_days: int
    """After the service ended."""
    real_name_days: int
    """After the ticket's service day."""
    booking_days: int
    """After the booked slot."""
    audit_days: int
    """After the entry was written."""
    sms_days: int | None = None
    """After the number was given; None: only the SMS settings' ``keep_days`` (in ``purge_after``)."""
    sms_record_days: int = SMS_RECORD_DAYS
    """After the notice was written."""
    postal_days_after_due: int = POSTAL_DAYS_AFTER_DUE
    """After the case's promised date, when never delivered."""
    booking_code_days: int = BOOKING_CODE_DAYS
    """After the code expired."""
    appeal_evidence_days: int = APPEAL_EVIDENCE_DAYS
    """After the case of the appeal closed (or the upload, for a file no appeal names)."""
    staff_photo_days: int = STAFF_PHOTO_DAYS
    """After no staff member shows it any more."""

    @classmethod
    def of(cls, centre: Centre) -> Retention:
        policy = centre.policy
        return cls(
            follow_up_days=policy.follow_up_days,
            assisted_days=policy.assisted_days,
            real_name_days=policy.real_name_days,
            booking_days=centre.bookings.keep_days,
            audit_days=policy.audit_days,
            postal_days_after_due=policy.postal_days_after_due,
            booking_code_days=policy.booking_code_days,
            appeal_evidence_days=policy.appeal_evidence_days,
            staff_photo_days=policy.staff_photo_days,
            sms_days=policy.sms_days,
            sms_record_days=policy.sms_record_days,
        )

    def periods(self) -> dict[PersonalData, int]:
        """Each kind's period in days (SMS numbers only when the centre sets ``sms_days``: else the SMS
        settings' ``keep_days``, which is not the centre file's)."""
        numbers = {PersonalData.SMS_NUMBERS: self.sms_days} if self.sms_days is not None else {}
        return numbers | {
            PersonalData.FOLLOW_UP_NUMBERS: self.follow_up_days,
            PersonalData.POSTAL_ADDRESSES: self.postal_days_after_due,
            PersonalData.ID_HASHES: self.real_name_days,
            PersonalData.ASSISTED: self.assisted_days,
            PersonalData.BOOKINGS: self.booking_days,
            PersonalData.BOOKING_CODES: self.booking_code_days,
            PersonalData.AUDIT_ENTRIES: self.audit_days,
            PersonalData.SMS_RECORDS: self.sms_record_days,
            PersonalData.APPEAL_EVIDENCE: self.appeal_evidence_days,
            PersonalData.STAFF_PHOTOS: self.staff_photo_days,
        }
