"""Every refusal of the catalogue, triggered, says what it refuses in Chinese and in English.

A clerk reads the words on a Chinese page: they name the window as 「3号窗口（公安）」, the matter
by its name, the ticket by its printed number, and never an internal code (a matter's code such
as ``id_card``, a ticket's serial, an English word). The hall's own refusals are triggered here
through the domain; the application's (promised cases, rectification cases, request ids, the
centre's configuration) through the HTTP API in tests/test_refusal_catalogue_api.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from queue_server.app.refusals import Refusal, from_domain
from queue_server.domain.appeals import EvidenceFile, EvidenceType
from queue_server.domain.bookings import (
    Booking,
    BookingStatus,
    check_book,
    check_change,
    check_check_in,
    find_slot,
    id_number,
    mask_phone,
    require_booking,
)
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.case_terms import CaseTerms, Level
from queue_server.domain.centre import Centre
from queue_server.domain.errors import DomainError
from queue_server.domain.events import ServingStarted, TicketCalled, apply
from queue_server.domain.follow_up import CallResult
from queue_server.domain.hall import Hall
from queue_server.domain.outcomes import Assisted
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.rectification import (
    Case,
    CaseSource,
    CaseStatus,
    advance,
    assign,
    decide_appeal,
    file_appeal,
    record_call,
)
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.refusal_words import WORDS
from queue_server.domain.tickets import Category, Outcome, Ticket
from queue_server.domain.windows import PauseReason
from tests.factories import make_centre, make_hall, shanghai
from tests.id_numbers import YOUNG
from tests.terms_support import terms_hall

C = RefusalCode
EVIDENCE = EvidenceFile("0" * 64, "录像截图.jpg", EvidenceType.JPEG, 1000)
AT = shanghai(2026, 11, 30, 9, 30)
MATTER_CODES = ("pension", "medical", "id_card", "ss_card")

APPLICATION_CODES = frozenset(
    {
        C.CENTRE_NOT_FOUND,
        C.PAD_NOT_FOUND,
        C.PROMISED_NOT_FOUND,
        C.CASE_NOT_FOUND,
        C.PHOTO_NOT_FOUND,
        C.EVIDENCE_NOT_FOUND,
        C.PROMISED_HERE_ALREADY,
        C.PROMISED_DELIVERED,
        C.PROMISED_HANDED_OVER,
        C.CASE_NUMBER_UNKNOWN,
        C.RESULT_STATE_WRONG,
        C.INVALID,
        C.CHANGE_REFUSED,
        C.CHANGE_WINDOW_BUSY,
        C.CHANGE_WINDOW_OPEN,
        C.CHANGE_WINDOW_AWAITED,
        C.CHANGE_MATTER_OPEN,
        C.CHANGE_GROUP_OPEN,
        C.CHANGE_BELOW_BOOKED,
        C.REQUEST_ID_REUSED,
        C.REFUSED,
    }
)
"""Refused by the application, not the hall: tests/test_refusal_catalogue_api.py walks them."""
FALLBACK_CODES = frozenset({C.REFUSED, C.CHANGE_REFUSED})
"""Not triggered here: REFUSED is the code of a refusal without one of its own, CHANGE_REFUSED the
store's refusal of a configuration another instance changed in the same instant."""


def issued(hall: Hall, matter: str = "pension") -> Ticket:
    ticket = hall.issue(matter).ticket
    assert ticket is not None
    return ticket


def at_window(hall: Hall, window: int = 1, matter: str = "pension") -> Ticket:
    ticket = issued(hall, matter)
    hall.call_ticket(window, ticket.serial, reason="测试")
    return hall.ticket(ticket.serial)


def finished(hall: Hall) -> Ticket:
    ticket = at_window(hall)
    hall.finish(1, Outcome.ON_THE_SPOT)
    return hall.ticket(ticket.serial)


def terms_finish(outcome: Outcome, terms: CaseTerms | None = None, matter: str = "pension") -> None:
    hall = terms_hall()
    at_window(hall, matter=matter)
    hall.finish(1, outcome, terms=terms)


def assisted_finish(window: int, helped: str, consent: bool = True) -> None:
    hall = terms_hall()
    at_window(hall, window=window)
    hall.finish(window, Outcome.ON_THE_SPOT, assisted=Assisted(helped, "pension", consent))


def closed(hall: Hall, *windows: int) -> Hall:
    for window in windows:
        hall.close_window(window)
    return hall


def unstaffed() -> Hall:
    return make_hall(staffed=False)[0]


def case(status: CaseStatus = CaseStatus.NEW) -> Case:
    return Case(7, CaseSource.COMPLAINT, AT, dt.date(2026, 12, 7), status=status)


def named_case(status: CaseStatus = CaseStatus.RECTIFIED) -> Case:
    return Case(7, CaseSource.RATING, AT, dt.date(2026, 12, 7), status=status, staff="s1", level=1, named=True)


def appealed() -> Case:
    return file_appeal(named_case(), reason="误评", evidence="", actor="manager:li", at=AT)


def expired_rating(hall: Hall) -> None:
    ticket = finished(hall)
    later = AT + dt.timedelta(days=1)
    hall.rate(ticket.serial, RatingLevel.SATISFIED, source="citizen", now=later)


def window_full(hall: Hall) -> None:
    hall.sign_on(1, "s1")
    hall.sign_on(1, "s10")
    hall.sign_on(1, "s2")


TRIGGERS: dict[RefusalCode, Callable[[Hall], object]] = {
    C.TICKET_NOT_FOUND: lambda hall: hall.ticket(99),
    C.TICKET_NUMBER_NOT_FOUND: lambda hall: hall.ticket_by_number("A099"),
    C.MATTER_NOT_FOUND: lambda hall: hall.issue("ss_card"),
    C.WINDOW_NOT_FOUND: lambda hall: hall.window(7),
    C.STAFF_NOT_FOUND: lambda hall: hall.sign_on(1, "ghost"),
    C.STAFF_WRONG_WINDOW: lambda hall: unstaffed().sign_on(1, "s3"),
    C.NOT_SIGNED_ON: lambda hall: hall.call_next(1, actor="staff:s2"),
    C.RATING_WRONG_PAD: lambda hall: hall.rate(finished(hall).serial, RatingLevel.SATISFIED, source="pad", window=2),
    C.SIGNED_ON_ELSEWHERE: lambda hall: hall.sign_on(2, "s1"),
    C.SIGNED_ON_ALREADY: lambda hall: hall.sign_on(1, "s1"),
    C.WINDOW_FULL: lambda hall: window_full(unstaffed()),
    C.SIGN_OFF_NOT_SIGNED_ON: lambda hall: hall.sign_off(1, "s2"),
    C.WINDOW_PAUSED: lambda hall: (hall.pause(1, PauseReason.BREAK), hall.call_next(1)),
    C.WINDOW_CLOSED: lambda hall: closed(hall, 3).call_next(3),
    C.WINDOW_NOT_PAUSED: lambda hall: hall.resume(1),
    C.WINDOW_BUSY: lambda hall: (at_window(hall), hall.call_next(1)),
    C.WINDOW_EMPTY: lambda hall: hall.recall(1),
    C.PAUSE_MINUTES: lambda hall: hall.pause(1, PauseReason.BREAK, minutes=0),
    C.CALL_REASON_MISSING: lambda hall: hall.call_ticket(1, issued(hall).serial, reason=" "),
    C.WINDOW_NOT_FOR_MATTER: lambda hall: hall.call_ticket(1, issued(hall, "id_card").serial, reason="急事"),
    C.TRANSFER_TARGET_MISSING: lambda hall: (at_window(hall), hall.transfer(1)),
    C.TRANSFER_SAME_WINDOW: lambda hall: (at_window(hall), hall.transfer(1, to_window=1)),
    C.TRANSFER_WINDOW_CLOSED: lambda hall: (at_window(hall), closed(hall, 2).transfer(1, to_window=2)),
    C.TRANSFER_NO_WINDOW_OPEN: lambda hall: (at_window(hall), closed(hall, 3, 9).transfer(1, to_matter="id_card")),
    C.TICKET_STATUS: lambda hall: (hall.cancel(issued(hall).serial), hall.cancel(1)),
    C.TICKET_AT_OTHER_WINDOW: lambda hall: apply(at_window(hall), ServingStarted(serial=1, at=AT, actor="t", window=2)),
    C.TICKET_SENT_ELSEWHERE: lambda hall: (
        at_window(hall),
        hall.transfer(1, to_window=9),
        apply(hall.ticket(1), TicketCalled(serial=1, at=AT, actor="t", window=2, staff=None)),
    ),
    C.TICKET_ISSUED_ALREADY: lambda hall: apply(issued(hall), hall.ticket_log(1)[0]),
    C.PROMISED_DAYS_MISSING: lambda hall: (at_window(hall, matter="medical"), hall.finish(1, Outcome.PROMISED)),
    C.OUTCOME_WITHOUT_NOTICE: lambda hall: (at_window(hall), hall.finish(1, Outcome.ON_THE_SPOT, reasons=["x"])),
    C.OUTCOME_REASON_UNKNOWN: lambda hall: (at_window(hall), hall.finish(1, Outcome.RETURNED, reasons=["没有的理由"])),
    C.OUTCOME_MATERIAL_UNKNOWN: lambda hall: (
        at_window(hall),
        hall.finish(1, Outcome.SUPPLEMENT, missing_materials=["护照"]),
    ),
    C.OUTCOME_MATERIALS_MISSING: lambda hall: (at_window(hall), hall.finish(1, Outcome.SUPPLEMENT)),
    C.OUTCOME_REASON_MISSING: lambda hall: (at_window(hall), hall.finish(1, Outcome.RETURNED)),
    C.OUTCOME_NOT_ALLOWED: lambda hall: terms_finish(Outcome.COMMITMENT, CaseTerms(commitment="承诺"), "medical"),
    C.TERMS_NOT_OF_OUTCOME: lambda hall: terms_finish(Outcome.ON_THE_SPOT, CaseTerms(days=3)),
    C.COMMITMENT_MISSING: lambda hall: terms_finish(Outcome.COMMITMENT),
    C.TO_FOLLOW_MISSING: lambda hall: terms_finish(Outcome.DEFERRED),
    C.MATERIAL_NOT_DEFERRABLE: lambda hall: terms_finish(Outcome.DEFERRED, CaseTerms(to_follow=("居民身份证",))),
    C.TERMS_DATE_OUT_OF_POLICY: lambda hall: terms_finish(
        Outcome.DEFERRED, CaseTerms(to_follow=("户口簿",), by=dt.date(2027, 1, 1))
    ),
    C.LEAD_DEPARTMENT_MISSING: lambda hall: terms_finish(Outcome.JOINT, CaseTerms(days=3)),
    C.LEVEL_MISSING: lambda hall: terms_finish(Outcome.REPORTED, CaseTerms(days=3)),
    C.TIME_LIMIT_MISSING: lambda hall: terms_finish(Outcome.REPORTED, CaseTerms(level=Level.CITY)),
    C.ASSISTANCE_NOT_HERE: lambda hall: assisted_finish(1, "张大爷"),
    C.ASSISTED_PERSON_MISSING: lambda hall: assisted_finish(4, " "),
    C.ASSISTANCE_CONSENT_MISSING: lambda hall: assisted_finish(4, "张大爷", consent=False),
    C.ASSISTED_PERSON_IDENTIFIES: lambda hall: assisted_finish(4, "13812345678"),
    C.RATING_REASONS_NOT_BAD: lambda hall: hall.rate(
        finished(hall).serial, RatingLevel.SATISFIED, source="citizen", reasons=["态度不好"]
    ),
    C.RATING_REASON_UNKNOWN: lambda hall: hall.rate(
        finished(hall).serial, RatingLevel.DISSATISFIED, source="citizen", reasons=["没有的原因"]
    ),
    C.RATED_ALREADY: lambda hall: (
        hall.rate(finished(hall).serial, RatingLevel.SATISFIED, source="citizen"),
        hall.rate(1, RatingLevel.SATISFIED, source="citizen"),
    ),
    C.RATING_EXPIRED: expired_rating,
    C.RATING_ITEM_UNKNOWN: lambda hall: hall.rate(
        finished(hall).serial, RatingLevel.SATISFIED, source="citizen", items={"speed": 5}
    ),
    C.RATING_NOT_ASKED: lambda hall: hall.rate(issued(hall).serial, RatingLevel.SATISFIED, source="citizen"),
    C.RATING_ASKED_ALREADY: lambda hall: apply(finished(hall), hall.ticket_log(1)[-1]),
    C.RATING_NOT_PROMISED: lambda hall: hall.reopen_rating(finished(hall).serial),
    C.RATING_CODE_WRONG: lambda hall: hall.check_rating_code(finished(hall).serial, "not-its-code-0123456"),
    C.RATING_CODE_RETIRED: lambda hall: (
        finished(hall),
        hall.issue("pension"),
        hall.call_next(1),
        hall.finish(1, Outcome.ON_THE_SPOT),
        hall.check_rating_code(1, hall.ticket(1).rating_code),
    ),
    C.CASE_NOTE_MISSING: lambda hall: advance(case(), CaseStatus.VERIFIED, note=" ", actor="m", at=AT),
    C.CASE_NOTE_TOO_LONG: lambda hall: advance(case(), CaseStatus.VERIFIED, note="很" * 2001, actor="m", at=AT),
    C.CASE_CLOSED: lambda hall: assign(case(CaseStatus.CLOSED), "王主任", note="", actor="m", at=AT),
    C.CASE_STEP: lambda hall: advance(case(), CaseStatus.CLOSED, note="核实", actor="m", at=AT),
    C.CASE_ASSIGNEE: lambda hall: assign(case(), " ", note="", actor="m", at=AT),
    C.ISSUE_REFUSED: lambda hall: [hall.issue("medical") for _ in range(4)],
    C.CASE_FOLLOW_UP_MISSING: lambda hall: advance(named_case(), CaseStatus.FOLLOWED_UP, note="回访", actor="m", at=AT),
    C.CASE_FOLLOWED_UP_ALREADY: lambda hall: record_call(
        record_call(named_case(), CallResult.SATISFIED, note="", actor="m", at=AT, tries=3),
        CallResult.NOT_REACHED,
        note="",
        actor="m",
        at=AT,
        tries=3,
    ),
    C.APPEAL_TOO_MANY_FILES: lambda hall: file_appeal(
        named_case(), reason="误评", evidence="", actor="manager:li", at=AT, files=[EVIDENCE] * 6
    ),
    C.APPEAL_NOT_RATING: lambda hall: file_appeal(case(), reason="误评", evidence="", actor="manager:li", at=AT),
    C.APPEAL_FILED_ALREADY: lambda hall: file_appeal(appealed(), reason="误评", evidence="", actor="manager:li", at=AT),
    C.APPEAL_REASON_MISSING: lambda hall: file_appeal(named_case(), reason=" ", evidence="", actor="staff:s1", at=AT),
    C.APPEAL_NOT_YOURS: lambda hall: file_appeal(named_case(), reason="误评", evidence="", actor="staff:s2", at=AT),
    C.APPEAL_MISSING: lambda hall: decide_appeal(
        named_case(), uphold=True, note="属实", actor="supervisor:zhao", at=AT
    ),
    C.APPEAL_DECIDED: lambda hall: decide_appeal(
        decide_appeal(appealed(), uphold=False, note="不属实", actor="sup:z", at=AT),
        uphold=True,
        note="属实",
        actor="supervisor:zhao",
        at=AT,
    ),
    C.APPEAL_OWN: lambda hall: decide_appeal(appealed(), uphold=True, note="属实", actor="manager:li", at=AT),
    C.APPEAL_DECISION_MISSING: lambda hall: decide_appeal(appealed(), uphold=True, note="", actor="admin:a", at=AT),
}


BOOKED_AT = shanghai(2026, 11, 30, 9, 0)


def booking_centre() -> Centre:
    from tests.test_bookings import BOOKINGS

    return make_centre(bookings=BOOKINGS)


def a_booking(**changes: object) -> Booking:
    from tests.test_bookings import booking

    return booking(BOOKED_AT, **changes)


def book(taken: int = 0, active: int = 0, start: dt.datetime = BOOKED_AT, now: dt.datetime = AT) -> None:
    centre = booking_centre()
    calendar = WorkCalendar(centre)
    slot = find_slot(centre, calendar, "pension", start)
    check_book(centre.bookings, calendar, centre.matter("pension"), slot, taken=taken, active=active, now=now)


BOOKING_TRIGGERS: dict[RefusalCode, Callable[[Hall], object]] = {
    C.BOOKING_NOT_FOUND: lambda hall: require_booking(None, "ACDE3467"),
    C.BOOKING_SLOT_NOT_FOUND: lambda hall: find_slot(booking_centre(), WorkCalendar(booking_centre()), "pension", AT),
    C.BOOKING_SLOT_PAST: lambda hall: book(now=BOOKED_AT),
    C.BOOKING_TOO_FAR: lambda hall: book(start=shanghai(2026, 12, 9, 9, 0)),
    C.BOOKING_SLOT_FULL: lambda hall: book(taken=3, now=shanghai(2026, 11, 30, 8, 0)),
    C.BOOKING_LIMIT: lambda hall: book(active=1, now=shanghai(2026, 11, 30, 8, 0)),
    C.BOOKING_NOT_ACTIVE: lambda hall: check_change(
        booking_centre().bookings, a_booking(status=BookingStatus.CANCELLED), AT
    ),
    C.BOOKING_CHANGE_TOO_LATE: lambda hall: check_change(booking_centre().bookings, a_booking(), AT),
    C.BOOKING_OTHER_DAY: lambda hall: check_check_in(
        booking_centre().bookings, WorkCalendar(booking_centre()), a_booking(), shanghai(2026, 12, 1, 9, 0)
    ),
    C.BOOKING_TOO_EARLY: lambda hall: check_check_in(
        booking_centre().bookings, WorkCalendar(booking_centre()), a_booking(), shanghai(2026, 11, 30, 8, 0)
    ),
    C.BOOKING_PHONE: lambda hall: mask_phone("12345"),
    C.BOOKING_ID_NUMBER: lambda hall: id_number("110105194912310021"),
}
TRIGGERS.update(BOOKING_TRIGGERS)


def real_name_issue(number: str | None, *, most: int = 2, category: Category | None = None) -> None:
    from queue_server.domain.real_name import holder_of
    from tests.test_real_name import KEY, real_name_centre

    hall = make_hall(real_name_centre())[0]
    holder = holder_of(KEY, number) if number is not None else None
    for _ in range(most + 1):
        hall.issue("pension", category=category, holder=holder)


TRIGGERS.update(
    {
        C.REAL_NAME_ID_MISSING: lambda hall: real_name_issue(None),
        C.REAL_NAME_LIMIT: lambda hall: real_name_issue(YOUNG),
        C.GREEN_UNDER_AGE: lambda hall: real_name_issue(YOUNG, category=Category.ELDERLY),
    }
)


def check_words(refusal: Refusal, facts_shown: dict[str, object]) -> None:
    """The Chinese words hold no internal code and no English; both languages are there."""
    zh, en = refusal.message, refusal.message_en
    assert zh and en, refusal
    for code in MATTER_CODES:
        assert code not in zh and code not in en, (refusal.code, zh, en)
    assert "#" not in zh and "#" not in en, f"a serial shown: {zh} / {en}"
    plain = zh
    for value in facts_shown.values():  # printed ticket numbers (A001) and staff numbers (s1) are the clerk's
        if isinstance(value, str) and value.isascii() and value not in MATTER_CODES:
            plain = plain.replace(value, "")
    assert not re.search(r"[A-Za-z]{2,}", plain), f"English on the Chinese side: {zh}"
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    assert re.search(r"[A-Za-z]{3,}", en), en


def test_every_code_has_words_in_both_languages() -> None:
    assert set(WORDS) == set(RefusalCode)
    for code in FALLBACK_CODES:
        zh, en = WORDS[code]
        assert zh and en


def test_the_catalogue_is_walked_whole() -> None:
    assert set(TRIGGERS) | APPLICATION_CODES == set(RefusalCode)
    assert not set(TRIGGERS) & APPLICATION_CODES


@pytest.mark.parametrize("code", sorted(TRIGGERS), ids=str)
def test_each_refusal_of_the_hall_is_said_as_the_clerk_knows_it(code: RefusalCode) -> None:
    hall, _ = make_hall()
    with pytest.raises(DomainError) as raised:
        TRIGGERS[code](hall)
    error = raised.value
    assert error.code is code, error.message
    refusal = from_domain(error, hall.centre)
    check_words(refusal, dict(error.facts))


def test_the_two_cases_of_the_hall_day() -> None:
    """A transfer to a closed window is a state of the window, not a permission; a promised case
    whose matter has no time limit names the matter, not its code."""
    hall, _ = make_hall()
    at_window(hall)
    closed(hall, 2)
    with pytest.raises(DomainError) as raised:
        hall.transfer(1, to_window=2)
    closed_window = from_domain(raised.value, hall.centre)
    assert closed_window.kind.value == "conflict"
    assert closed_window.message == "2号窗口（综合受理）已关闭，A001号不能转到该窗口"
    assert "无权" not in (closed_window.message or "")

    hall, _ = make_hall()
    at_window(hall, matter="medical")
    with pytest.raises(DomainError) as raised:
        hall.finish(1, Outcome.PROMISED)
    days = from_domain(raised.value, hall.centre)
    assert days.message == "「医疗费用报销」没有规定承诺时限，请填写承诺天数"
    assert days.message_en == "医疗费用报销 has no promised time limit; give the number of working days"
