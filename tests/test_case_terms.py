"""The terms a case is accepted on (告知承诺, 容缺受理, 联办件, 上报件) and the 帮办代办 record:
what the rules let through, what they refuse and why, and that the log replays to them."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.case_terms import Assistance, CaseTerms, Level
from queue_server.domain.errors import DomainError, InvalidTransition
from queue_server.domain.events import replay
from queue_server.domain.hall import Hall
from queue_server.domain.outcomes import Assisted
from queue_server.domain.papers import PRINTED_AT_WINDOW, PaperKind, paper, papers_for
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import OUTCOME_NAMES_EN, OUTCOME_NAMES_ZH, Outcome, Ticket
from queue_server.vocabulary import Outcome as VocabularyOutcome
from tests.factories import make_centre
from tests.terms_support import terms_centre_data, terms_hall

MONDAY = dt.date(2026, 11, 30)


def at_window(hall: Hall, window: int = 1, matter: str = "pension") -> Ticket:
    ticket = hall.issue(matter).ticket
    assert ticket is not None
    hall.call_ticket(window, ticket.serial, reason="测试")
    return hall.ticket(ticket.serial)


def refused(hall: Hall, outcome: Outcome, **how: object) -> RefusalCode | None:
    at_window(hall)
    with pytest.raises(DomainError) as raised:
        hall.finish(1, outcome, **how)  # type: ignore[arg-type]
    return raised.value.code


def test_every_outcome_has_one_word_in_each_language() -> None:
    assert set(OUTCOME_NAMES_ZH) == set(OUTCOME_NAMES_EN) == set(VocabularyOutcome)
    assert (OUTCOME_NAMES_ZH[Outcome.COMMITMENT], OUTCOME_NAMES_ZH[Outcome.DEFERRED]) == ("告知承诺", "容缺受理")
    assert len(set(OUTCOME_NAMES_ZH.values())) == len(OUTCOME_NAMES_ZH)


def test_a_case_on_commitment_keeps_the_commitment_and_the_policys_latest_date() -> None:
    hall = terms_hall()
    ticket = at_window(hall)
    hall.finish(1, Outcome.COMMITMENT, terms=CaseTerms(commitment="  本人承诺已连续缴费满15年 "))
    done = hall.ticket(ticket.serial)
    assert done.outcome is Outcome.COMMITMENT
    assert done.terms == CaseTerms(commitment="本人承诺已连续缴费满15年", by=dt.date(2026, 12, 28))
    assert done.due_date is None
    assert replay(hall.ticket_log(ticket.serial)) == done


def test_a_case_with_materials_to_follow_keeps_them_and_its_date() -> None:
    hall = terms_hall()
    ticket = at_window(hall)
    by = dt.date(2026, 12, 4)
    hall.finish(1, Outcome.DEFERRED, terms=CaseTerms(to_follow=("银行卡", "银行卡"), by=by))
    done = hall.ticket(ticket.serial)
    assert done.terms == CaseTerms(to_follow=("银行卡",), by=by)
    notice = paper(hall.centre, hall.calendar, done, PaperKind.DEFERRED)
    assert notice.received == ("居民身份证", "户口簿"), "what follows is not received"
    assert notice.deadline()[0].startswith("请于2026年12月4日前将上述材料补交到本中心")
    assert notice.deadline(english=True)[0].startswith("Bring them by 4 December 2026")


@pytest.mark.parametrize(
    ("outcome", "terms", "code"),
    [
        (Outcome.COMMITMENT, None, RefusalCode.COMMITMENT_MISSING),
        (Outcome.COMMITMENT, CaseTerms(commitment="  "), RefusalCode.COMMITMENT_MISSING),
        (Outcome.COMMITMENT, CaseTerms(commitment="承诺", to_follow=("户口簿",)), RefusalCode.TERMS_NOT_OF_OUTCOME),
        (Outcome.DEFERRED, None, RefusalCode.TO_FOLLOW_MISSING),
        (Outcome.DEFERRED, CaseTerms(to_follow=("居民身份证",)), RefusalCode.MATERIAL_NOT_DEFERRABLE),
        (Outcome.DEFERRED, CaseTerms(to_follow=("护照",)), RefusalCode.MATERIAL_NOT_DEFERRABLE),
        (Outcome.DEFERRED, CaseTerms(to_follow=("户口簿",), by=MONDAY), RefusalCode.TERMS_DATE_OUT_OF_POLICY),
        (
            Outcome.DEFERRED,
            CaseTerms(to_follow=("户口簿",), by=dt.date(2026, 12, 15)),
            RefusalCode.TERMS_DATE_OUT_OF_POLICY,
        ),
        (Outcome.JOINT, CaseTerms(days=10), RefusalCode.LEAD_DEPARTMENT_MISSING),
        (Outcome.JOINT, CaseTerms(lead_department="区民政局"), RefusalCode.TIME_LIMIT_MISSING),
        (
            Outcome.JOINT,
            CaseTerms(lead_department="区民政局", days=5, level=Level.CITY),
            RefusalCode.TERMS_NOT_OF_OUTCOME,
        ),
        (Outcome.REPORTED, CaseTerms(days=10), RefusalCode.LEVEL_MISSING),
        (Outcome.REPORTED, CaseTerms(level=Level.CITY), RefusalCode.TIME_LIMIT_MISSING),
        (Outcome.ON_THE_SPOT, CaseTerms(commitment="承诺"), RefusalCode.TERMS_NOT_OF_OUTCOME),
        (Outcome.PROMISED, CaseTerms(days=3), RefusalCode.TERMS_NOT_OF_OUTCOME),
    ],
)
def test_terms_the_outcome_does_not_allow_are_refused_with_a_reason(
    outcome: Outcome, terms: CaseTerms | None, code: RefusalCode
) -> None:
    assert refused(terms_hall(), outcome, terms=terms) is code


def test_the_latest_date_is_the_policys_working_days_and_may_be_given() -> None:
    hall = terms_hall()
    at_window(hall)
    latest = dt.date(2026, 12, 14)  # ten working days after Monday 30 November
    hall.finish(1, Outcome.DEFERRED, terms=CaseTerms(to_follow=("户口簿",), by=latest))
    assert hall.ticket(1).terms == CaseTerms(to_follow=("户口簿",), by=latest)


def test_a_matter_that_allows_neither_refuses_both() -> None:
    hall = terms_hall()
    ticket = hall.issue("medical").ticket
    assert ticket is not None
    hall.call_ticket(1, ticket.serial, reason="测试")
    for outcome, terms in (
        (Outcome.COMMITMENT, CaseTerms(commitment="承诺")),
        (Outcome.DEFERRED, CaseTerms(to_follow=("发票原件",))),
    ):
        with pytest.raises(InvalidTransition) as raised:
            hall.finish(1, outcome, terms=terms)
        assert raised.value.code is RefusalCode.OUTCOME_NOT_ALLOWED


def test_a_matters_deferrable_materials_are_its_own() -> None:
    data = terms_centre_data()
    data["matters"][0]["deferrable"] = ["护照"]
    with pytest.raises(ValueError, match="'护照' is not one of the matter's materials"):
        make_centre(**data)


def test_a_joint_case_names_its_lead_department_and_is_due_in_its_time_limit() -> None:
    hall = terms_hall()
    at_window(hall)
    hall.finish(1, Outcome.JOINT, terms=CaseTerms(lead_department=" 区民政局 ", days=3))
    done = hall.ticket(1)
    assert done.terms == CaseTerms(lead_department="区民政局", days=3)
    assert done.due_date == dt.date(2026, 12, 3)
    notice = paper(hall.centre, hall.calendar, done, PaperKind.ACCEPTANCE)
    assert (notice.due, notice.due_days, notice.terms) == (dt.date(2026, 12, 3), 3, done.terms)


def test_a_reported_case_names_its_level() -> None:
    hall = terms_hall()
    at_window(hall)
    hall.finish(1, Outcome.REPORTED, terms=CaseTerms(level=Level.PROVINCE, days=20))
    notice = paper(hall.centre, hall.calendar, hall.ticket(1), PaperKind.ACCEPTANCE)
    assert notice.level_name == "省" and notice.due == dt.date(2026, 12, 28)


def test_a_joint_case_from_a_keypad_may_come_without_terms() -> None:
    hall = terms_hall()
    at_window(hall)
    hall.finish(1, Outcome.JOINT)
    assert hall.ticket(1).terms is None and hall.ticket(1).due_date is None


def test_the_new_outcomes_give_their_papers_printed_at_the_window() -> None:
    assert papers_for(Outcome.COMMITMENT) == (PaperKind.COMMITMENT,)
    assert papers_for(Outcome.DEFERRED) == (PaperKind.DEFERRED,)
    assert {Outcome.COMMITMENT, Outcome.DEFERRED, Outcome.PROMISED} <= PRINTED_AT_WINDOW
    assert Outcome.ON_THE_SPOT not in PRINTED_AT_WINDOW, "a case done on the spot needs no paper"


def test_the_letter_of_commitment_says_when_it_is_verified_and_what_if_untrue() -> None:
    hall = terms_hall()
    at_window(hall)
    hall.finish(1, Outcome.COMMITMENT, terms=CaseTerms(commitment="承诺属实", by=dt.date(2026, 12, 10)))
    letter = paper(hall.centre, hall.calendar, hall.ticket(1), PaperKind.COMMITMENT)
    assert letter.title == "告知承诺书" and letter.outcome_name == "告知承诺"
    verify, untrue = letter.deadline()
    assert verify == "本中心将于2026年12月10日前对承诺内容进行核查。"
    assert "承诺不实" in untrue and "撤销" in untrue


def test_the_supplement_deadline_is_written_once_for_the_page_and_the_slip() -> None:
    hall = terms_hall()
    at_window(hall)
    hall.finish(1, Outcome.SUPPLEMENT, missing_materials=["户口簿"])
    notice = paper(hall.centre, hall.calendar, hall.ticket(1), PaperKind.SUPPLEMENT)
    assert notice.deadline() == (
        "请于2026年12月7日前补齐上述材料并交到本中心，本次申请凭本通知书续办，无需重新排队取号。",
        "逾期未补正的，视为放弃本次申请，可另行申请。",
    )


def test_an_assisted_window_records_whom_it_helped_with_which_matter() -> None:
    hall = terms_hall()
    ticket = at_window(hall, window=4)
    hall.finish(4, Outcome.ON_THE_SPOT, assisted=Assisted(" 张大爷  （行动不便） ", "medical", True))
    done = hall.ticket(ticket.serial)
    assert done.assistance == Assistance(helper="s2", helped="张大爷 （行动不便）", matter="medical")
    assert replay(hall.ticket_log(ticket.serial)) == done


@pytest.mark.parametrize(
    ("window", "assisted", "code"),
    [
        (1, Assisted("张大爷", "pension", True), RefusalCode.ASSISTANCE_NOT_HERE),
        (4, Assisted("  ", "pension", True), RefusalCode.ASSISTED_PERSON_MISSING),
        (4, Assisted("张大爷", "pension", False), RefusalCode.ASSISTANCE_CONSENT_MISSING),
        (4, Assisted("张大爷 330102194901011234", "pension", True), RefusalCode.ASSISTED_PERSON_IDENTIFIES),
        (4, Assisted("张大爷 13812345678", "pension", True), RefusalCode.ASSISTED_PERSON_IDENTIFIES),
        (4, Assisted("张大爷", "no_such", True), RefusalCode.MATTER_NOT_FOUND),
    ],
)
def test_an_assistance_record_is_refused_where_it_may_not_be_kept(
    window: int, assisted: Assisted, code: RefusalCode
) -> None:
    hall = terms_hall()
    at_window(hall, window=window)
    with pytest.raises(DomainError) as raised:
        hall.finish(window, Outcome.ON_THE_SPOT, assisted=assisted)
    assert raised.value.code is code
    assert hall.ticket(1).status.at_window, "a refused finish changes nothing"
