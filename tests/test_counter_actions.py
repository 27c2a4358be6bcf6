"""What staff do at a window, and what they are stopped from doing, with messages that say why."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.errors import InvalidTransition, NotAllowed, NotFound
from queue_server.domain.events import replay
from queue_server.domain.hall import Hall
from queue_server.domain.tickets import Category, Outcome, Ticket, TicketStatus
from queue_server.domain.windows import PauseReason, WindowStatus, replay_window, window_event_from_record
from tests.factories import make_centre, make_hall


def issued(hall: Hall, matter: str = "pension", category: Category | None = None) -> Ticket:
    ticket = hall.issue(matter, category=category).ticket
    assert ticket is not None
    return ticket


def called(hall: Hall, window: int) -> Ticket:
    ticket = hall.call_next(window, actor=f"staff:{hall.window(window).acting_staff}").ticket
    assert ticket is not None
    return ticket


# Windows


def test_sign_on_opens_and_a_second_person_covers() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    assert hall.window(1).status is WindowStatus.OPEN
    hall.sign_on(1, "s10")
    state = hall.window(1)
    assert (state.staff, state.cover, state.acting_staff) == ("s1", "s10", "s10")
    issued(hall)
    assert called(hall, 1).staff == "s10", "the covering (B post) staff member acts for the window"
    hall.finish(1, Outcome.ON_THE_SPOT, actor="staff:s10")
    hall.sign_off(1, "s10")
    assert hall.window(1).acting_staff == "s1"
    hall.sign_off(1, "s1")
    assert hall.window(1).status is WindowStatus.CLOSED
    assert replay_window(1, hall.window_log(1)) == hall.window(1)


def test_sign_on_is_checked() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    with pytest.raises(InvalidTransition, match="s1 is signed on at window 1"):
        hall.sign_on(2, "s1")
    with pytest.raises(NotAllowed, match="s3 may work only at window 3"):
        hall.sign_on(1, "s3")
    with pytest.raises(InvalidTransition, match="s1 is signed on already"):
        hall.sign_on(1, "s1")
    with pytest.raises(NotFound, match="no staff member 'ghost'"):
        hall.sign_on(1, "ghost")
    hall.sign_on(1, "s2")
    with pytest.raises(InvalidTransition, match="s1 and s2 staff it already"):
        hall.sign_on(1, "s9")


def test_staff_act_only_at_their_own_window() -> None:
    hall, _ = make_hall()
    issued(hall)
    with pytest.raises(NotAllowed, match="Cannot call next at window 2: s1 is not signed on there"):
        hall.call_next(2, actor="staff:s1")


def test_pause_and_resume_record_reason_and_minutes() -> None:
    hall, clock = make_hall()
    hall.pause(1, PauseReason.MEETING, note="周例会", minutes=30, actor="staff:s1")
    state = hall.window(1)
    assert (state.status, state.pause_reason, state.pause_note, state.pause_minutes) == (
        WindowStatus.PAUSED,
        PauseReason.MEETING,
        "周例会",
        30,
    )
    assert state.pause_ends() == clock.now() + dt.timedelta(minutes=30)
    issued(hall)
    with pytest.raises(InvalidTransition, match="Cannot call next at window 1: the window is paused"):
        hall.call_next(1)
    with pytest.raises(InvalidTransition, match="the window is paused"):
        hall.pause(1, PauseReason.BREAK)
    hall.resume(1)
    assert called(hall, 1).window == 1


def test_a_pause_note_is_internal_unless_marked_public_and_resuming_forgets_it() -> None:
    hall, _ = make_hall()
    hall.pause(1, PauseReason.OTHER, note="去后台取材料", actor="staff:s1")
    assert hall.window(1).pause_note_public is False
    hall.resume(1)
    hall.pause(1, PauseReason.SYSTEM_FAULT, note="系统升级，请稍候", public=True, actor="staff:s1")
    assert hall.window(1).pause_note_public is True
    hall.resume(1)
    assert (hall.window(1).pause_note, hall.window(1).pause_note_public) == ("", False)


def test_a_pause_recorded_before_public_notes_replays_as_internal() -> None:
    record = {"kind": "paused", "window": 1, "at": "2026-11-30T01:00:00+00:00", "actor": "staff:s1"}
    old = window_event_from_record({**record, "staff": "s1", "kind": "signed_on"})
    paused = window_event_from_record({**record, "reason": "other", "note": "去后台取材料", "minutes": None})
    state = replay_window(1, [old, paused])
    assert (state.pause_note, state.pause_note_public) == ("去后台取材料", False)


def test_no_pause_close_or_sign_off_with_a_ticket_at_the_window() -> None:
    hall, _ = make_hall()
    ticket = issued(hall)
    called(hall, 1)
    for action in (
        lambda: hall.pause(1, PauseReason.BREAK),
        lambda: hall.close_window(1),
        lambda: hall.sign_off(1, "s1"),
        lambda: hall.call_next(1),
    ):
        with pytest.raises(InvalidTransition, match=f"ticket {ticket.number} is still at the window"):
            action()


def test_closed_window_gets_nothing() -> None:
    hall, _ = make_hall()
    issued(hall)
    hall.close_window(1)
    with pytest.raises(InvalidTransition, match="the window is closed"):
        hall.call_next(1)


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_pause_minutes_are_bounded(minutes: int) -> None:
    hall, _ = make_hall()
    with pytest.raises(InvalidTransition, match="give 1 to 1440"):
        hall.pause(1, PauseReason.BREAK, minutes=minutes)


# Tickets at a window


def test_full_service_and_event_log() -> None:
    hall, clock = make_hall()
    ticket = issued(hall)
    called(hall, 1)
    clock.advance(minutes=1)
    hall.recall(1)
    hall.start_serving(1)
    clock.advance(minutes=8)
    hall.finish(1, Outcome.ON_THE_SPOT, actor="staff:s1")
    final = hall.ticket(ticket.serial)
    assert final.status is TicketStatus.FINISHED and final.recalls == 1 and final.calls == 2
    kinds = [e.kind for e in hall.ticket_log(ticket.serial)]
    assert kinds == ["issued", "called", "recalled", "serving_started", "finished", "rating_requested"]
    assert replay(hall.ticket_log(ticket.serial)) == final
    assert hall.holding(1) is None


def test_no_finishing_a_ticket_that_was_never_called() -> None:
    hall, _ = make_hall()
    issued(hall)
    with pytest.raises(InvalidTransition, match="Cannot finish at window 1: no ticket is at the window"):
        hall.finish(1, Outcome.ON_THE_SPOT)


def test_no_show_then_back_in_the_queue_at_its_place() -> None:
    hall, _ = make_hall()
    first, second = issued(hall), issued(hall)
    called(hall, 1)
    hall.no_show(1)
    assert hall.ticket(first.serial).status is TicketStatus.NO_SHOW
    hall.requeue(first.serial, actor="desk:g1")
    assert called(hall, 2).serial == first.serial, "kept its place, ahead of the second ticket"
    assert hall.ticket(second.serial).status is TicketStatus.WAITING


def test_no_show_requeued_at_the_end_when_the_policy_says_so() -> None:
    hall, _ = make_hall(make_centre(policy={"no_show_requeue": "end"}))
    first, second = issued(hall), issued(hall)
    called(hall, 1)
    hall.no_show(1)
    hall.requeue(first.serial)
    assert called(hall, 2).serial == second.serial
    assert hall.ticket(first.serial).place > second.place


def test_requeue_only_a_no_show() -> None:
    hall, _ = make_hall()
    ticket = issued(hall)
    with pytest.raises(InvalidTransition, match=f"Cannot put back in the queue ticket {ticket.number}"):
        hall.requeue(ticket.serial)


def test_transfer_to_another_matter_keeps_the_place() -> None:
    hall, _ = make_hall(staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(3, "s3")
    early = issued(hall)
    issued(hall, "id_card")
    issued(hall, "id_card")
    called(hall, 1)
    hall.transfer(1, to_matter="id_card", note="需换领身份证", actor="staff:s1")
    moved = hall.ticket(early.serial)
    assert (moved.status, moved.matter, moved.transfers, moved.place) == (
        TicketStatus.WAITING,
        "id_card",
        1,
        early.place,
    )
    assert called(hall, 3).serial == early.serial, "the oldest place goes first at the police window"


def test_transfer_to_a_window_only_that_window_calls_it() -> None:
    hall, _ = make_hall()
    ticket = issued(hall)
    called(hall, 1)
    hall.transfer(1, to_window=9)
    assert hall.call_next(2).empty, "window 2 takes pensions but the ticket was sent to window 9"
    assert called(hall, 9).serial == ticket.serial


def test_transfer_is_checked() -> None:
    hall, _ = make_hall()
    issued(hall)
    called(hall, 1)
    with pytest.raises(InvalidTransition, match="it does not take matter 'pension'"):
        hall.transfer(1, to_window=3)
    with pytest.raises(InvalidTransition, match="name a matter or a window"):
        hall.transfer(1)
    with pytest.raises(InvalidTransition, match="it is there already"):
        hall.transfer(1, to_window=1)
    hall.close_window(2) if hall.holding(2) is None else None
    with pytest.raises(InvalidTransition, match="window 2: the window is closed"):
        hall.transfer(1, to_window=2)


def test_out_of_order_call_needs_a_reason_and_a_window_that_serves_it() -> None:
    hall, _ = make_hall()
    first = issued(hall)
    later = issued(hall)
    police = issued(hall, "id_card")
    with pytest.raises(InvalidTransition, match="give a reason"):
        hall.call_ticket(1, later.serial, reason=" ")
    with pytest.raises(InvalidTransition, match="does not take matter 'id_card'"):
        hall.call_ticket(1, police.serial, reason="急事")
    change = hall.call_ticket(1, later.serial, reason="预约客户", actor="staff:s1")
    assert change.ticket is not None and change.ticket.serial == later.serial
    log = hall.ticket_log(later.serial)
    assert log[-1].out_of_order and log[-1].reason == "预约客户"  # type: ignore[attr-defined]
    assert hall.ticket(first.serial).passed_over == 1, "the skipped ticket records it was passed over"


def test_cancel_by_the_citizen() -> None:
    hall, _ = make_hall()
    ticket = issued(hall)
    hall.cancel(ticket.serial, actor="citizen")
    assert hall.ticket(ticket.serial).status is TicketStatus.CANCELLED
    with pytest.raises(InvalidTransition, match="it was cancelled"):
        hall.cancel(ticket.serial)
    assert hall.call_next(1).empty


# Outcomes


def test_promised_case_due_in_working_days() -> None:
    hall, _ = make_hall()  # Monday 30 November 2026
    issued(hall)
    called(hall, 1)
    done = hall.finish(1, Outcome.PROMISED).ticket
    assert done is not None and done.due_date == dt.date(2026, 12, 7), "5 working days, the weekend skipped"


def test_promised_case_needs_a_time_limit() -> None:
    hall, _ = make_hall()
    issued(hall, "medical")
    called(hall, 1)
    with pytest.raises(InvalidTransition, match="has no promised time limit"):
        hall.finish(1, Outcome.PROMISED)
    assert hall.finish(1, Outcome.PROMISED, promised_days=3).ticket.due_date == dt.date(2026, 12, 3)  # type: ignore[union-attr]


def test_supplement_names_every_missing_material_from_the_matters_list() -> None:
    hall, _ = make_hall()
    issued(hall)
    called(hall, 1)
    with pytest.raises(InvalidTransition, match="name every missing material"):
        hall.finish(1, Outcome.SUPPLEMENT)
    with pytest.raises(InvalidTransition, match="'结婚证' is not a material of matter 'pension'"):
        hall.finish(1, Outcome.SUPPLEMENT, missing_materials=["结婚证"])
    done = hall.finish(1, Outcome.SUPPLEMENT, reasons=["申请材料不齐全"], missing_materials=["户口簿", "银行卡"])
    assert done.ticket is not None and done.ticket.missing_materials == ("户口簿", "银行卡")


def test_returned_case_needs_a_known_reason() -> None:
    hall, _ = make_hall()
    issued(hall)
    called(hall, 1)
    with pytest.raises(InvalidTransition, match="give the reason"):
        hall.finish(1, Outcome.RETURNED)
    with pytest.raises(InvalidTransition, match="not one of the centre's reasons"):
        hall.finish(1, Outcome.RETURNED, reasons=["心情不好"])
    done = hall.finish(1, Outcome.RETURNED, reasons=["不属于本中心受理范围"]).ticket
    assert done is not None and done.reasons == ("不属于本中心受理范围",)


def test_plain_outcomes_take_no_reasons() -> None:
    hall, _ = make_hall()
    issued(hall)
    called(hall, 1)
    with pytest.raises(InvalidTransition, match="belong to returned or supplement cases"):
        hall.finish(1, Outcome.JOINT, reasons=["申请材料不齐全"])
    assert hall.finish(1, Outcome.REPORTED).ticket is not None


def test_an_action_happens_at_the_instant_it_is_given_not_the_clocks() -> None:
    hall, clock = make_hall()
    at = clock.now() + dt.timedelta(minutes=7)
    ticket = hall.issue("pension", now=at).ticket
    assert ticket is not None and ticket.issued_at == at
    change = hall.call_next(1, actor="staff:s1", now=at + dt.timedelta(minutes=3))
    assert [e.at for e in change.ticket_events] == [at + dt.timedelta(minutes=3)]
    assert clock.now() < at, "the clock was not moved or read for the actions' time"
