"""The catalogue of refusals: one stable code for every way the hall says no.

A refusal carries its code and the facts it names (window number, ticket number, matter code ...),
so every screen can say it in its own language, naming things as the staff know them
(queue_server.domain.refusal_words). The English ``message`` of an error stays for logs and
developers; a code never changes its meaning once published.
"""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    # Something the centre lacks
    CENTRE_NOT_FOUND = "centre_not_found"
    TICKET_NOT_FOUND = "ticket_not_found"
    TICKET_NUMBER_NOT_FOUND = "ticket_number_not_found"
    MATTER_NOT_FOUND = "matter_not_found"
    WINDOW_NOT_FOUND = "window_not_found"
    STAFF_NOT_FOUND = "staff_not_found"
    PAD_NOT_FOUND = "pad_not_found"
    PROMISED_NOT_FOUND = "promised_not_found"
    CASE_NOT_FOUND = "case_not_found"
    PHOTO_NOT_FOUND = "photo_not_found"
    EVIDENCE_NOT_FOUND = "evidence_not_found"

    # Who may act where
    STAFF_WRONG_WINDOW = "staff_wrong_window"
    NOT_SIGNED_ON = "not_signed_on"
    RATING_WRONG_PAD = "rating_wrong_pad"

    # A window's state
    SIGNED_ON_ELSEWHERE = "signed_on_elsewhere"
    SIGNED_ON_ALREADY = "signed_on_already"
    WINDOW_FULL = "window_full"
    SIGN_OFF_NOT_SIGNED_ON = "sign_off_not_signed_on"
    WINDOW_PAUSED = "window_paused"
    WINDOW_CLOSED = "window_closed"
    WINDOW_NOT_PAUSED = "window_not_paused"
    WINDOW_BUSY = "window_busy"
    WINDOW_EMPTY = "window_empty"
    PAUSE_MINUTES = "pause_minutes"

    # Calling and transferring
    CALL_REASON_MISSING = "call_reason_missing"
    WINDOW_NOT_FOR_MATTER = "window_not_for_matter"
    TRANSFER_TARGET_MISSING = "transfer_target_missing"
    TRANSFER_SAME_WINDOW = "transfer_same_window"
    TRANSFER_WINDOW_CLOSED = "transfer_window_closed"
    TRANSFER_NO_WINDOW_OPEN = "transfer_no_window_open"

    # A ticket's state
    TICKET_STATUS = "ticket_status"
    TICKET_AT_OTHER_WINDOW = "ticket_at_other_window"
    TICKET_SENT_ELSEWHERE = "ticket_sent_elsewhere"
    TICKET_ISSUED_ALREADY = "ticket_issued_already"

    # Finishing a case
    PROMISED_DAYS_MISSING = "promised_days_missing"
    OUTCOME_WITHOUT_NOTICE = "outcome_without_notice"
    OUTCOME_REASON_UNKNOWN = "outcome_reason_unknown"
    OUTCOME_MATERIAL_UNKNOWN = "outcome_material_unknown"
    OUTCOME_MATERIALS_MISSING = "outcome_materials_missing"
    OUTCOME_REASON_MISSING = "outcome_reason_missing"
    OUTCOME_NOT_ALLOWED = "outcome_not_allowed"
    TERMS_NOT_OF_OUTCOME = "terms_not_of_outcome"
    COMMITMENT_MISSING = "commitment_missing"
    TO_FOLLOW_MISSING = "to_follow_missing"
    MATERIAL_NOT_DEFERRABLE = "material_not_deferrable"
    TERMS_DATE_OUT_OF_POLICY = "terms_date_out_of_policy"
    LEAD_DEPARTMENT_MISSING = "lead_department_missing"
    LEVEL_MISSING = "level_missing"
    TIME_LIMIT_MISSING = "time_limit_missing"
    ASSISTANCE_NOT_HERE = "assistance_not_here"
    ASSISTED_PERSON_MISSING = "assisted_person_missing"
    ASSISTANCE_CONSENT_MISSING = "assistance_consent_missing"
    ASSISTED_PERSON_IDENTIFIES = "assisted_person_identifies"

    # Ratings
    RATING_REASONS_NOT_BAD = "rating_reasons_not_bad"
    RATING_REASON_UNKNOWN = "rating_reason_unknown"
    RATED_ALREADY = "rated_already"
    RATING_EXPIRED = "rating_expired"
    RATING_NOT_ASKED = "rating_not_asked"
    RATING_ASKED_ALREADY = "rating_asked_already"
    RATING_ITEM_UNKNOWN = "rating_item_unknown"
    RATING_CODE_RETIRED = "rating_code_retired"
    RATING_CODE_WRONG = "rating_code_wrong"
    RATING_NOT_PROMISED = "rating_not_promised"

    # Promised cases (承诺件)
    PROMISED_HERE_ALREADY = "promised_here_already"
    PROMISED_DELIVERED = "promised_delivered"
    PROMISED_HANDED_OVER = "promised_handed_over"
    CASE_NUMBER_UNKNOWN = "case_number_unknown"
    RESULT_STATE_WRONG = "result_state_wrong"

    # Rectification cases
    CASE_NOTE_MISSING = "case_note_missing"
    CASE_NOTE_TOO_LONG = "case_note_too_long"
    CASE_CLOSED = "case_closed"
    CASE_STEP = "case_step"
    CASE_ASSIGNEE = "case_assignee"
    CASE_FOLLOW_UP_MISSING = "case_follow_up_missing"
    CASE_FOLLOWED_UP_ALREADY = "case_followed_up_already"
    APPEAL_NOT_RATING = "appeal_not_rating"
    APPEAL_FILED_ALREADY = "appeal_filed_already"
    APPEAL_REASON_MISSING = "appeal_reason_missing"
    APPEAL_MISSING = "appeal_missing"
    APPEAL_DECIDED = "appeal_decided"
    APPEAL_OWN = "appeal_own"
    APPEAL_NOT_YOURS = "appeal_not_yours"
    APPEAL_DECISION_MISSING = "appeal_decision_missing"
    APPEAL_TOO_MANY_FILES = "appeal_too_many_files"

    # Bookings (预约)
    BOOKING_NOT_FOUND = "booking_not_found"
    BOOKING_SLOT_NOT_FOUND = "booking_slot_not_found"
    BOOKING_SLOT_PAST = "booking_slot_past"
    BOOKING_TOO_FAR = "booking_too_far"
    BOOKING_SLOT_FULL = "booking_slot_full"
    BOOKING_LIMIT = "booking_limit"
    BOOKING_NOT_ACTIVE = "booking_not_active"
    BOOKING_CHANGE_TOO_LATE = "booking_change_too_late"
    BOOKING_OTHER_DAY = "booking_other_day"
    BOOKING_TOO_EARLY = "booking_too_early"
    BOOKING_PHONE = "booking_phone"
    BOOKING_ID_NUMBER = "booking_id_number"
    """An ID number mistyped (its length or check digit): for a booking, a check-in or a real-name ticket."""

    # Real-name tickets (实名取号)
    REAL_NAME_ID_MISSING = "real_name_id_missing"
    REAL_NAME_LIMIT = "real_name_limit"
    GREEN_UNDER_AGE = "green_under_age"

    # The application's own
    ISSUE_REFUSED = "issue_refused"
    INVALID = "invalid"
    CHANGE_REFUSED = "change_refused"
    CHANGE_WINDOW_BUSY = "change_window_busy"
    CHANGE_WINDOW_OPEN = "change_window_open"
    CHANGE_WINDOW_AWAITED = "change_window_awaited"
    CHANGE_MATTER_OPEN = "change_matter_open"
    CHANGE_GROUP_OPEN = "change_group_open"
    CHANGE_BELOW_BOOKED = "change_below_booked"
    REQUEST_ID_REUSED = "request_id_reused"
    REFUSED = "refused"


Fact = str | int
"""What a refusal names: a window's number, a ticket's printed number, a matter's code ..."""
