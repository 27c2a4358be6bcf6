"""The display's board alone: how messages in any order, twice or late, make what the screen shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from display_client.board import SHOWN_CALLS, Board, Link, Mode
from queue_server.protocol.payloads import PROTOCOL, CallView, GroupCount, HallCalls, HallSummary, WindowView

NOW = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)


def at(seconds: int) -> str:
    return (NOW + dt.timedelta(seconds=seconds)).isoformat()


def call(serial: int, window: int = 1, *, seconds: int = 0, recall: bool = False) -> CallView:
    return CallView(
        call_id=f"{serial}-{2 if recall else 1}",
        serial=serial,
        number=f"A{serial:03d}",
        matter="m1",
        matter_name="居住证申领",
        window=window,
        window_name=f"{window}号窗口",
        recall=recall,
        at=at(seconds),
    )


def window(number: int, *, version: int = 1, status: str = "open", **extra: Any) -> WindowView:
    return WindowView(number=number, name=f"{number}号窗口", status=status, version=version, **extra)


def latest(calls: list[CallView], *, seconds: int = 0, seq: int = 1) -> HallCalls:
    return HallCalls(seq=seq, protocol=PROTOCOL, at=at(seconds), calls=calls)


def summary(*, waiting: int = 4, seq: int = 1) -> HallSummary:
    return HallSummary(
        seq=seq,
        protocol=PROTOCOL,
        centre="demo",
        name="示范街道便民服务中心",
        time_zone="Asia/Urumqi",
        at=at(0),
        waiting=[GroupCount(prefix="A", name="综合", waiting=waiting)],
    )


def join(board: Board, *, calls: list[CallView], windows: list[WindowView] | None = None, seconds: int = 0) -> bool:
    """What a board that connects gets from the retained messages: the windows, the summary, the calls."""
    changed = [board.take_window(view, NOW) for view in windows or [window(1), window(2)]]
    changed.append(board.take_summary(summary(), NOW))
    changed.append(board.take_calls(latest(calls, seconds=seconds), NOW))
    return any(changed)


def numbers(board: Board) -> list[str]:
    return [shown.number for shown in board.calls]


def test_a_live_call_is_shown_first_and_announced_once() -> None:
    board = Board(Mode.HALL)
    assert board.take_call(call(1), NOW)
    assert board.take_call(call(2, 2), NOW)
    assert not board.take_call(call(2, 2), NOW), "a second delivery is not announced"
    assert numbers(board) == ["A002", "A001"]


def test_a_recall_is_a_new_call() -> None:
    board = Board(Mode.HALL)
    board.take_call(call(1), NOW)
    assert board.take_call(call(1, recall=True, seconds=30), NOW)
    assert [(c.number, c.recall) for c in board.calls] == [("A001", True), ("A001", False)]


def test_the_latest_calls_give_the_order_and_keep_live_calls_they_do_not_hold_yet() -> None:
    board = Board(Mode.HALL)
    board.take_call(call(3, seconds=20), NOW)  # arrived before the list that was made at 10 s
    assert board.take_calls(latest([call(2, seconds=10), call(1, seconds=5)], seconds=10), NOW)
    assert numbers(board) == ["A003", "A002", "A001"]


def test_the_summary_gives_the_heading_and_the_waiting_counts() -> None:
    board = Board(Mode.HALL)
    assert board.take_summary(summary(), NOW)
    assert (board.centre, board.centre_name, board.time_zone) == ("demo", "示范街道便民服务中心", "Asia/Urumqi")
    assert [g.waiting for g in board.waiting] == [4]
    assert board.take_summary(summary(waiting=3, seq=2), NOW)
    assert not board.take_summary(summary(waiting=3, seq=3), NOW), "the same counts again change nothing"


def test_a_call_the_list_already_held_is_still_announced_when_it_arrives_live_but_shown_once() -> None:
    board = Board(Mode.HALL)
    board.take_calls(latest([call(1)]), NOW)
    assert board.take_call(call(1), NOW), "the list raced ahead of the call: the call is still spoken"
    assert numbers(board) == ["A001"]


def test_old_calls_that_left_the_list_are_dropped() -> None:
    board = Board(Mode.HALL)
    board.take_call(call(1, seconds=0), NOW)
    board.take_calls(latest([call(2, seconds=10)], seconds=60), NOW)
    assert numbers(board) == ["A002"]


def test_the_board_lists_at_most_the_latest_calls() -> None:
    board = Board(Mode.HALL)
    for serial in range(1, SHOWN_CALLS + 5):
        board.take_call(call(serial, seconds=serial), NOW)
    assert len(board.calls) == SHOWN_CALLS
    assert board.calls[0].serial == SHOWN_CALLS + 4


def test_an_older_window_state_never_overwrites_a_newer_one() -> None:
    board = Board(Mode.HALL)
    board.take_window(window(1, version=5, status="paused"), NOW)
    join(board, calls=[], windows=[window(1, version=4)])
    assert board.windows[1].status == "paused"
    board.take_window(window(1, version=6, status="closed"), NOW)
    assert board.windows[1].status == "closed"


def test_a_message_that_changes_nothing_reports_no_change() -> None:
    board = Board(Mode.HALL)
    assert board.take_window(window(1, version=2), NOW)
    assert not board.take_window(window(1, version=2), NOW)


def test_a_window_display_keeps_only_its_window() -> None:
    board = Board(Mode.WINDOW, window=2)
    join(board, calls=[call(1, 1), call(2, 2)])
    assert sorted(board.windows) == [2]
    assert numbers(board) == ["A002"]
    assert not board.take_call(call(3, 1), NOW), "another window's call is not this display's"
    assert board.window_view() == board.windows[2]
    assert board.waiting == [], "a window display shows no hall counts"


def test_a_window_display_needs_its_number() -> None:
    with pytest.raises(ValueError, match="window number"):
        Board(Mode.WINDOW)


def test_the_link_says_what_is_wrong() -> None:
    board = Board(Mode.HALL)
    assert board.link is Link.CONNECTING
    board.take_connection(True, NOW)
    assert board.link is Link.LIVE
    board.take_server(False, NOW)
    assert board.link is Link.SERVER_LOST
    board.take_server(True, NOW)
    board.take_connection(False, NOW)
    assert board.link is Link.BROKER_LOST
    assert board.snapshot()["link"] == "broker_lost"


def test_the_snapshot_is_plain_json() -> None:
    board = Board(Mode.HALL)
    join(board, calls=[call(1)])
    snapshot = board.snapshot()
    assert snapshot["calls"][0]["number"] == "A001"
    assert snapshot["windows"][0]["number"] == 1
    assert snapshot["waiting"][0]["prefix"] == "A"


def holding(number: int, serial: int, *, version: int) -> WindowView:
    ticket = {"serial": serial, "number": f"A{serial:03d}", "matter": "m1", "matter_name": "居住证申领"}
    return window(number, version=version, ticket={**ticket, "green_channel": False, "status": "called"})


def test_the_large_call_stands_while_its_window_holds_the_ticket() -> None:
    board = Board(Mode.HALL)
    board.take_window(window(1, version=3), NOW)
    board.take_call(call(7), NOW)
    assert board.current_call is not None, "the call came before its window's new state"
    board.take_window(holding(1, 7, version=4), NOW)
    assert board.current_call is not None
    assert board.snapshot()["current"]["number"] == "A007"


@pytest.mark.parametrize(
    "after",
    [window(1, version=5), window(1, version=5, status="paused"), window(1, version=5, status="closed")],
    ids=["finished", "paused", "closed"],
)
def test_the_large_call_is_cleared_once_its_window_moved_on(after: WindowView) -> None:
    board = Board(Mode.HALL)
    board.take_call(call(7), NOW)
    board.take_window(holding(1, 7, version=4), NOW)
    assert board.take_window(after, NOW), "clearing the large call is a change on screen"
    assert board.current_call is None
    assert board.snapshot()["current"] is None
    assert numbers(board) == ["A007"], "the call stays in the list of recent calls"


@pytest.mark.parametrize("calls_first", [False, True], ids=["windows first", "calls first"])
def test_a_late_board_whose_window_no_longer_holds_the_newest_call_shows_none_large(calls_first: bool) -> None:
    board = Board(Mode.HALL)
    if calls_first:  # the retained messages come in any order
        board.take_calls(latest([call(2), call(1)]), NOW)
    join(board, calls=[call(2), call(1)], windows=[window(1, version=9), window(2)])
    assert board.current_call is None
    board.take_window(holding(1, 2, version=10), NOW)
    assert board.current_call is not None


def test_a_live_call_stays_large_when_the_list_holding_it_comes_before_its_window_state() -> None:
    board = Board(Mode.HALL)
    join(board, calls=[], windows=[window(1, version=3)])
    board.take_call(call(7, seconds=5), NOW)
    board.take_calls(latest([call(7, seconds=5)], seconds=5, seq=2), NOW)
    assert board.current_call is not None, "the window's state saying so has not come yet"
    board.take_window(holding(1, 7, version=4), NOW)
    board.take_window(window(1, version=5), NOW)
    assert board.current_call is None, "the window finished it"


def test_a_newer_protocol_is_said_on_the_board_not_shown() -> None:
    board = Board(Mode.HALL)
    board.take_connection(True, NOW)
    assert not board.take_unknown_protocol(PROTOCOL, NOW), "a version the board knows is no news"
    assert board.take_unknown_protocol(PROTOCOL + 1, NOW)
    assert board.link is Link.OUTDATED
    snapshot = board.snapshot()
    assert (snapshot["link"], snapshot["unknown_protocol"], snapshot["protocol"]) == (
        "outdated",
        PROTOCOL + 1,
        PROTOCOL,
    )
