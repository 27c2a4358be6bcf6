"""Live staffing advice: the hall played forward with and without each change a manager could make."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.domain.centre import Centre
from queue_server.domain.hall import Hall
from queue_server.domain.staffing_advice import (
    Advice,
    Suggestion,
    SuggestionKind,
    helps,
    play,
    snapshot,
    staffing_advice,
)
from queue_server.domain.tickets import Category, Outcome
from queue_server.domain.windows import PauseReason
from tests.factories import centre_data, make_centre, make_hall

STAFF = [
    {"code": "s1", "name": "王芳"},
    {"code": "s2", "name": "李娜"},
    {"code": "s3", "name": "张伟", "windows": [3]},
    {"code": "s9", "name": "刘洋"},
    {"code": "s10", "name": "陈静", "b_post": True},
]


def centre(move: int = 0, **overrides: Any) -> Centre:
    data = centre_data(**{"staff": STAFF, "policy": {"max_passed_over": 2, "advice_move_minutes": move}, **overrides})
    return Centre.model_validate(data)


def one_window_and_a_queue(the_centre: Centre) -> Hall:
    """Window 1 open with a ticket in hand, windows 2 and 9 closed, eight pension tickets waiting
    (one green), two of them waiting 20 minutes already."""
    hall, clock = make_hall(the_centre, staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(3, "s3")
    for _ in range(3):
        hall.issue("pension")
    hall.call_next(1)
    clock.advance(minutes=20)
    for index in range(6):
        hall.issue("pension", category=Category.ELDERLY if index == 4 else None)
    return hall


def state_of(hall: Hall) -> tuple[object, ...]:
    """Everything the hall shows: windows, queue, tickets, logs and every position."""
    return (
        hall.windows(),
        tuple(hall.waiting()),
        tuple(hall.tickets()),
        tuple(hall.window_log(w.number) for w in hall.windows()),
        hall.positions(),
        dict(hall.stats.matter_minutes),
        hall.last_serial,
    )


def carry_out(hall: Hall, suggestion: Suggestion) -> None:
    """What the manager does on the advice, with the hall's own actions; the walk is a pause as long."""
    match suggestion.kind:
        case SuggestionKind.END_PAUSE:
            hall.resume(suggestion.window)
        case SuggestionKind.SIGN_ON | SuggestionKind.MOVE:
            assert suggestion.staff is not None
            if suggestion.from_window is not None:
                hall.sign_off(suggestion.from_window, suggestion.staff)
            hall.sign_on(suggestion.window, suggestion.staff)
            if suggestion.move_minutes > 0:
                hall.pause(suggestion.window, PauseReason.OTHER, minutes=round(suggestion.move_minutes))


def kinds(advice: Advice) -> set[tuple[SuggestionKind, int, str | None]]:
    return {(s.kind, s.window, s.staff) for s in advice.suggestions}


def test_the_advice_names_the_matter_that_will_wait_longest_and_by_how_much() -> None:
    hall = one_window_and_a_queue(centre())
    advice = staffing_advice(snapshot(hall))
    first = advice.now.matters[0]
    assert first.matter == "pension" and first.waiting == 8
    # One window, ten minutes each; the ticket in hand is overdue, so expected to end in a minute.
    # The green ticket goes first, then the rest in order: the last of the eight is called 71
    # minutes from now, having just been issued.
    assert first.longest == pytest.approx(71.0)
    assert advice.now.longest == first.longest


def test_a_b_post_at_a_closed_window_is_suggested_with_its_effect() -> None:
    hall = one_window_and_a_queue(centre())
    advice = staffing_advice(snapshot(hall))
    assert (SuggestionKind.SIGN_ON, 2, "s10") in kinds(advice)
    assert (SuggestionKind.SIGN_ON, 9, "s10") in kinds(advice)
    best = advice.suggestions[0]
    assert best.after is not None
    longest, mean, _ = best.effect(advice.now)
    assert longest > 10 and mean > 5
    assert best.matters == ("pension",)


def test_computing_the_advice_changes_nothing_in_the_hall() -> None:
    hall = one_window_and_a_queue(centre(move=4))
    hall.pause(3, PauseReason.MEETING, minutes=30)
    before = state_of(hall)
    advice = staffing_advice(snapshot(hall))
    assert advice.suggestions
    assert state_of(hall) == before


@pytest.mark.parametrize("move", [0, 4])
def test_each_suggestion_s_effect_is_what_the_hall_gives_once_it_is_carried_out(move: int) -> None:
    def build() -> Hall:
        hall = one_window_and_a_queue(centre(move=move))
        hall.sign_on(1, "s2")  # s2 covers window 1 (B post): s1 or s2 may move without closing it
        return hall

    advice = staffing_advice(snapshot(build()))
    assert {s.kind for s in advice.suggestions} == {SuggestionKind.SIGN_ON, SuggestionKind.MOVE}
    for suggestion in advice.suggestions:
        hall = build()
        carry_out(hall, suggestion)
        assert play(snapshot(hall), hall.windows()) == suggestion.after, suggestion


def test_ending_a_pause_is_suggested_and_its_effect_is_the_resumed_hall_s() -> None:
    def build() -> Hall:
        hall = one_window_and_a_queue(centre(staff=[{**s, "b_post": False} for s in STAFF]))
        hall.sign_on(2, "s2")
        hall.pause(2, PauseReason.TRAINING, minutes=45)
        return hall

    advice = staffing_advice(snapshot(build()))
    best = advice.suggestions[0]
    assert (best.kind, best.window) == (SuggestionKind.END_PAUSE, 2)
    hall = build()
    carry_out(hall, best)
    assert play(snapshot(hall), hall.windows()) == best.after


def test_a_move_is_charged_the_ticket_in_hand_and_the_walk() -> None:
    hall = one_window_and_a_queue(centre(move=5))
    hall.sign_on(9, "s9")
    hall.issue("pension")
    hall.call_next(9)
    advice = staffing_advice(snapshot(hall))
    moves = [s for s in advice.suggestions if s.kind is SuggestionKind.MOVE]
    # Moving s9 from 9 to 2 only trades one general window for another, later: never a help.
    assert not moves
    sign_on = next(s for s in advice.suggestions if s.kind is SuggestionKind.SIGN_ON)
    assert sign_on.move_minutes == 5


def test_a_matter_no_open_window_serves_comes_first_and_a_b_post_for_it_first_of_all() -> None:
    hall = one_window_and_a_queue(centre())
    hall.issue("id_card")
    hall.sign_off(3, "s3")
    advice = staffing_advice(snapshot(hall))
    assert advice.now.unserved == 1
    assert advice.now.matters[0].matter == "id_card" and advice.now.matters[0].longest is None
    best = advice.suggestions[0]
    assert best.after is not None and best.after.unserved == 0
    assert best.window in (3, 9) and best.staff == "s10"


def test_only_suggestions_that_help_and_never_one_that_lengthens_the_green_channel_wait() -> None:
    hall = one_window_and_a_queue(centre())
    advice = staffing_advice(snapshot(hall))
    for suggestion in advice.suggestions:
        assert suggestion.after is not None and helps(advice.now, suggestion.after)
        assert (suggestion.after.green_mean or 0) <= (advice.now.green_mean or 0)
    # s1 leaving the only open general window (no one covers it) would leave pension to nobody.
    assert not any(s.staff == "s1" for s in advice.suggestions)


def test_nothing_to_suggest_when_every_window_is_open() -> None:
    hall, _ = make_hall(centre())
    for _ in range(4):
        hall.issue("pension")
    advice = staffing_advice(snapshot(hall))
    assert advice.suggestions == ()


def test_the_play_uses_the_real_routing_a_change_to_it_changes_the_advice() -> None:
    general_green = one_window_and_a_queue(centre())
    windows = centre_data()["windows"]
    police_green = [{**w, "kinds": ["police"]} if w["number"] == 9 else w for w in windows]
    police_only = one_window_and_a_queue(centre(windows=police_green))
    assert (SuggestionKind.SIGN_ON, 9, "s10") in kinds(staffing_advice(snapshot(general_green)))
    assert (SuggestionKind.SIGN_ON, 9, "s10") not in kinds(staffing_advice(snapshot(police_only)))
    # The green channel goes first at the router, and so in the play: the elderly ticket, issued
    # last but one, is expected before the four ordinary ones issued before it.
    outlook = play(snapshot(general_green), general_green.windows())
    assert outlook.green_mean is not None and outlook.green_mean < outlook.mean


def test_the_advice_follows_the_hall_as_it_changes() -> None:
    hall = one_window_and_a_queue(centre())
    first = staffing_advice(snapshot(hall))
    hall.sign_on(2, "s10")
    second = staffing_advice(snapshot(hall))
    assert second.now.longest < first.now.longest
    assert (SuggestionKind.SIGN_ON, 2, "s10") not in kinds(second)
    hall.finish(1, Outcome.ON_THE_SPOT)
    assert hall.waiting()


def test_a_b_post_is_named_in_the_centre_file_and_the_move_minutes_in_its_policy() -> None:
    plain = make_centre()
    assert plain.policy.advice_move_minutes == 3
    assert not any(s.b_post for s in plain.staff)
    with pytest.raises(ValueError, match="advice_move_minutes"):
        centre(move=-1)


def test_of_closed_windows_alike_only_the_lowest_numbered_is_suggested() -> None:
    windows = [*centre_data()["windows"], {"number": 4, "name": "综合受理", "kinds": ["general"]}]
    hall = one_window_and_a_queue(centre(windows=windows))
    suggested = {s.window for s in staffing_advice(snapshot(hall)).suggestions if s.staff == "s10"}
    assert suggested == {2, 9}, "window 4 plays as window 2 does"


def test_the_advice_says_how_many_will_still_wait_an_hour_from_now() -> None:
    hall = one_window_and_a_queue(centre())
    outlook = staffing_advice(snapshot(hall)).now
    # Calls at 1, 11, ... 71 minutes from now: the seventh and the eighth still wait in an hour.
    assert outlook.matters[0].in_an_hour == 2
    hall.issue("id_card")
    hall.sign_off(3, "s3")  # nobody for id_card now: its ticket waits past the hour
    found = staffing_advice(snapshot(hall)).now.matter("id_card")
    assert found is not None and (found.unserved, found.in_an_hour) == (1, 1)
