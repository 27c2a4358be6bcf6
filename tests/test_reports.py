"""The supervision reports: the figures from hand-made records, then a morning run through the
service and read back through the API (JSON, CSV and XLSX) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import (
    CallNext,
    Finish,
    IssueTicket,
    NoShow,
    Pause,
    RateTicket,
    Resume,
    SignOn,
    StartServing,
)
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Category, Outcome
from queue_server.domain.windows import PauseReason
from queue_server.reports.figures import ACCEPTED, CONCLUDED, Dimension, figures, percentile, ranking
from queue_server.reports.periods import Period, PeriodKind
from queue_server.reports.records import HandledTicket, TransferMove, WindowMoment, pause_spans, transfer_moves
from queue_server.store.database import Database
from tests.api_support import Api, seed
from tests.factories import shanghai

T0 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)


def handled(serial: int, **fields: Any) -> HandledTicket:
    base: dict[str, Any] = {
        "serial": serial,
        "number": f"A{serial:03d}",
        "matter": "pension",
        "status": "finished",
        "category": None,
        "issued_at": T0,
        "first_called_at": T0 + dt.timedelta(minutes=serial),
        "serving_at": T0 + dt.timedelta(minutes=serial),
        "ended_at": T0 + dt.timedelta(minutes=serial + 10),
        "window": 1,
        "staff": "s1",
        "outcome": "on_the_spot",
        "no_shows": 0,
        "transfers": 0,
        "rating_status": "rated",
        "rating": 5,
        "due_date": None,
    }
    return HandledTicket(**(base | fields))


# --- The figures alone ------------------------------------------------------------------------------


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 12)], 0.9) == 10.0


def test_waits_handling_green_channel_and_ratings_per_window() -> None:
    tickets = [
        handled(1),
        handled(2, rating=2),
        handled(3, window=2, staff="s2", category="elderly", rating=None, rating_status="expired"),
        handled(4, status="waiting", first_called_at=None, serving_at=None, ended_at=None, window=None, rating=None),
    ]
    rows = {row.key: row for row in figures(tickets, [], Dimension.WINDOW)}
    assert set(rows) == {"1", "2"}, "a ticket never at a window belongs to none"
    one = rows["1"]
    assert (one.issued, one.served, one.wait_mean, one.wait_longest, one.handling_mean) == (2, 2, 1.5, 2.0, 10.0)
    assert one.ratings == {5: 1, 2: 1}
    assert one.satisfaction_rate == 0.5
    two = rows["2"]
    assert two.satisfaction_rate is None, "an expired request is unrated: never counted as satisfied"
    assert (two.unrated, two.green, two.green_share, two.green_wait_mean) == (1, 1, 1.0, 3.0)
    (centre,) = figures(tickets, [], Dimension.CENTRE)
    assert (centre.issued, centre.served, centre.green_share) == (4, 3, 0.25)


def test_the_waits_told_at_issue_are_set_against_the_real_waits_per_window_and_matter() -> None:
    """Waits of 1, 2, 3 and 4 minutes (``handled``): told 1, 5, 3 and nothing; ranges 0-2 (inside),
    3-6 (outside), none, 2-4 (inside)."""
    tickets = [
        handled(1, estimate_minutes=1, estimate_low=0, estimate_high=2),
        handled(2, estimate_minutes=5, estimate_low=3, estimate_high=6),
        handled(3, window=2, estimate_minutes=3),
        handled(4, window=2, matter="household", estimate_low=2, estimate_high=4),
        handled(
            5, status="waiting", first_called_at=None, serving_at=None, ended_at=None, estimate_low=0, estimate_high=1
        ),
    ]
    windows = {row.key: row for row in figures(tickets, [], Dimension.WINDOW)}
    assert (windows["1"].estimate_error_mean, windows["1"].estimate_inside_share) == (1.5, 0.5)
    assert (windows["2"].estimate_error_mean, windows["2"].estimate_inside_share) == (0.0, 1.0)
    assert (windows["1"].estimate_ranges, windows["2"].estimate_ranges) == (2, 1)
    matters = {row.key: row for row in figures(tickets, [], Dimension.MATTER)}
    assert (matters["pension"].estimate_error_mean, matters["pension"].estimate_inside_share) == (1.0, 0.5)
    assert matters["household"].estimate_error_mean is None, "nothing told: no error"
    (centre,) = figures(tickets, [], Dimension.CENTRE)
    assert (centre.estimate_ranges, centre.estimate_inside_share) == (3, round(2 / 3, 4))


def test_pauses_pair_with_what_ended_them_and_count_per_reason() -> None:
    moments = [
        WindowMoment(1, "paused", T0, "staff:s1", "break"),
        WindowMoment(1, "resumed", T0 + dt.timedelta(minutes=15), "staff:s1"),
        WindowMoment(1, "paused", T0 + dt.timedelta(minutes=30), "staff:s1", "meeting"),
        WindowMoment(2, "paused", T0, "staff:s2", "training"),
        WindowMoment(1, "signed_off", T0 + dt.timedelta(minutes=40), "staff:s1"),
    ]
    spans = pause_spans(moments, until=T0 + dt.timedelta(minutes=60))
    assert sorted((s.window, s.reason, s.minutes) for s in spans) == [
        (1, "break", 15.0),
        (1, "meeting", 10.0),
        (2, "training", 60.0),
    ]
    rows = {row.key: row for row in figures([], spans, Dimension.STAFF)}
    assert rows["s1"].paused_minutes == {"break": 15.0, "meeting": 10.0}
    assert figures([], spans, Dimension.MATTER) == [], "a pause belongs to no matter"


def test_returned_and_supplement_cases_are_counted_apart_and_never_as_concluded() -> None:
    tickets = [
        handled(1, outcome="on_the_spot"),
        handled(2, outcome="promised", due_date=dt.date(2026, 12, 7)),
        handled(3, outcome="joint"),
        handled(4, outcome="returned"),
        handled(5, outcome="supplement"),
        handled(6, outcome="supplement"),
    ]
    (row,) = figures(tickets, [], Dimension.CENTRE)
    assert row.served == 6
    assert row.outcome_count(CONCLUDED) == 1, "only the case done on the spot is 办结"
    assert row.outcome_count(ACCEPTED) == 2
    assert (row.outcome_count({Outcome.RETURNED}), row.outcome_count({Outcome.SUPPLEMENT})) == (1, 2)


def test_the_ranking_puts_satisfaction_first_and_leaves_the_barely_rated_unranked() -> None:
    many = [handled(n, window=1) for n in range(1, 7)] + [handled(n, window=2, rating=3) for n in range(7, 13)]
    few = [handled(20, window=3)]
    ranked = ranking(figures(many + few, [], Dimension.WINDOW))
    assert [(r.rank, r.figures.key) for r in ranked] == [(1, "1"), (2, "2"), (None, "3")]
    worse = [handled(n, window=4, rating=1) for n in range(30, 36)]
    ranked = ranking(figures(many + worse, [], Dimension.WINDOW))
    assert [r.figures.key for r in ranked if r.rank is not None] == ["1", "2", "4"]


def test_periods_hold_their_day() -> None:
    monday = dt.date(2026, 11, 30)
    assert Period.holding(PeriodKind.WEEK, dt.date(2026, 12, 3)) == Period(
        PeriodKind.WEEK, monday, dt.date(2026, 12, 6)
    )
    month = Period.holding(PeriodKind.MONTH, dt.date(2026, 2, 14))
    assert (month.first, month.last, month.label) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026-02")
    start, end = Period.holding(PeriodKind.DAY, monday).utc_bounds("Asia/Shanghai")
    assert (start, end - start) == (dt.datetime(2026, 11, 29, 16, 0, tzinfo=dt.UTC), dt.timedelta(days=1))


# --- A morning through the service, read through the API ----------------------------------------------


async def morning(service: HallService, clock: ManualClock) -> None:
    """Window 1 serves A001 (5 min wait, 10 min service, rated 非常满意) and pauses 15 minutes;
    window 2 serves the green-channel ticket first, rated 不满意 with a reason; A003 is a no-show."""

    async def act(command: Any, actor: str, request_id: str) -> None:
        answer = await service.act("test", command, actor=actor, request_id=request_id)
        assert answer.ok, answer.body

    await act(SignOn(window=1, staff="s1"), "staff:s1", "on1")
    await act(SignOn(window=2, staff="s2"), "staff:s2", "on2")
    await act(IssueTicket(matter="pension"), "kiosk:k", "i1")
    await act(IssueTicket(matter="pension", category=Category.ELDERLY), "kiosk:k", "i2")
    await act(IssueTicket(matter="pension"), "kiosk:k", "i3")
    clock.advance(minutes=5)
    await act(CallNext(window=1), "staff:s1", "c1")  # the green-channel ticket first
    await act(StartServing(window=1), "staff:s1", "s1")
    clock.advance(minutes=5)
    await act(CallNext(window=2), "staff:s2", "c2")
    await act(StartServing(window=2), "staff:s2", "s2")
    clock.advance(minutes=5)
    await act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", "f1")
    await act(RateTicket(serial=2, level=5, window=1, source="pad:pad-1"), "device:pad-1", "r1")
    await act(Pause(window=1, reason=PauseReason.BREAK), "staff:s1", "p1")
    clock.advance(minutes=15)
    await act(Resume(window=1), "staff:s1", "p2")
    await act(Finish(window=2, outcome=Outcome.ON_THE_SPOT), "staff:s2", "f2")
    await act(
        RateTicket(serial=1, level=2, window=2, source="pad:pad-2", reasons=("服务态度不好",)), "device:pad-2", "r2"
    )
    await act(CallNext(window=1), "staff:s1", "c3")
    await act(NoShow(window=1), "staff:s1", "n3")


@pytest.fixture
async def reports(db: Database, aiohttp_client: AiohttpClient) -> Api:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    tokens = await seed(db)
    await morning(service, clock)
    return Api(await aiohttp_client(create_app(service)), tokens)


async def test_the_days_report_per_window(reports: Api) -> None:
    reply = await reports.get("/centres/test/reports?period=day&date=2026-11-30&by=window", "manager")
    assert reply.status == 200, reply.body
    assert reply.body["period"] == {"kind": "day", "label": "2026-11-30", "first": "2026-11-30", "last": "2026-11-30"}
    rows = {row["key"]: row for row in reply.body["rows"]}
    one, two = rows["1"], rows["2"]
    assert one["name"].startswith("1号窗口")
    assert (one["served"], one["wait_mean_minutes"], one["handling_mean_minutes"]) == (1, 17.5, 10.0)
    assert (one["concluded"], one["accepted"], one["returned"], one["supplemented"]) == (1, 0, 0, 0)
    assert one["wait_longest_minutes"] == 30.0, "A003 waited 30 minutes before window 1 called it"
    assert (one["green_channel"], one["green_channel_wait_mean_minutes"]) == (1, 5.0)
    assert one["paused_minutes"] == {"break": 15.0}
    assert one["no_shows"] == 1, "A003 did not come to window 1"
    assert (one["ratings"], one["satisfaction_rate"]) == ({"5": 1}, 1.0)
    assert (two["served"], two["wait_mean_minutes"], two["handling_mean_minutes"]) == (1, 10.0, 20.0)
    assert (two["ratings"], two["satisfaction_rate"]) == ({"2": 1}, 0.0)
    assert [entry["rank"] for entry in reply.body["ranking"]] == [None, None], "one rating each: too few to rank"


async def test_the_report_per_staff_member_matter_and_centre(reports: Api) -> None:
    staff = await reports.get("/centres/test/reports?by=staff&period=week&date=2026-12-02", "supervisor")
    assert staff.status == 200, staff.body
    assert staff.body["period"]["label"] == "2026-W49"
    names = {row["key"]: row["name"] for row in staff.body["rows"]}
    assert set(names) == {"s1", "s2"}
    matter = await reports.get("/centres/test/reports?by=matter&period=month&date=2026-11-30", "admin")
    (pension,) = matter.body["rows"]
    assert (pension["issued"], pension["served"], pension["green_channel_share"]) == (3, 2, 0.3333)
    centre = await reports.get("/centres/test/reports?by=centre&date=2026-11-30", "manager")
    (whole,) = centre.body["rows"]
    assert (whole["rated"], whole["satisfaction_rate"], whole["wait_p90_minutes"]) == (2, 0.5, 30.0)


async def test_the_report_as_a_spreadsheet(reports: Api) -> None:
    async with reports.client.get(
        "/api/v1/centres/test/reports?by=window&date=2026-11-30&format=csv",
        headers={"Authorization": f"Bearer {reports.tokens['manager']}"},
    ) as answer:
        assert answer.status == 200
        assert answer.content_type == "text/csv"
        assert "onewindow-test-2026-11-30-window.csv" in answer.headers["Content-Disposition"]
        raw = await answer.read()
    assert raw.startswith("\ufeff".encode()), "a BOM, so spreadsheets read the Chinese right"
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[:8] == ["编号", "名称", "取号数", "服务数", "办结数", "受理数", "退回数", "补正数"]
    assert "满意率" in header and "非常满意" in header and "暂停:休息(分钟)" in header
    assert [row[0] for row in rows] == ["1", "2"]


async def test_bad_report_parameters_are_named(reports: Api) -> None:
    reply = await reports.get("/centres/test/reports?period=year&date=30/11/2026&by=desk", "manager")
    assert reply.status == 422
    assert {e["field"] for e in reply.body["errors"]} == {"period", "date", "by"}


async def test_only_management_reads_reports(reports: Api) -> None:
    for name in ("s1", "guide", "kiosk"):
        assert (await reports.get("/centres/test/reports", name)).status == 403, name
    assert (await reports.get("/centres/other/reports", "manager")).status == 403


async def test_the_report_as_a_workbook_holds_the_json_figures(reports: Api) -> None:
    json_reply = await reports.get("/centres/test/reports?by=window&date=2026-11-30", "manager")
    async with reports.client.get(
        "/api/v1/centres/test/reports?by=window&date=2026-11-30&format=xlsx",
        headers={"Authorization": f"Bearer {reports.tokens['manager']}"},
    ) as answer:
        assert answer.status == 200
        assert answer.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "onewindow-test-2026-11-30-window.xlsx" in answer.headers["Content-Disposition"]
        raw = await answer.read()
    book = load_workbook(io.BytesIO(raw), read_only=True)
    assert book.sheetnames == ["报表", "标杆窗口排名", "承诺件", "超期承诺件"]
    header, *rows = [list(row) for row in book["报表"].iter_rows(values_only=True)]
    assert header[:8] == ["编号", "名称", "取号数", "服务数", "办结数", "受理数", "退回数", "补正数"]
    assert "满意率" in header and "非常满意" in header and "暂停:休息(分钟)" in header
    column = {title: place for place, title in enumerate(header)}
    for row, expected in zip(rows, json_reply.body["rows"], strict=True):
        assert row[column["编号"]] == expected["key"]
        assert row[column["服务数"]] == expected["served"], "numbers are numbers, not text"
        assert row[column["办结数"]] == expected["concluded"]
        assert row[column["平均等候(分钟)"]] == expected["wait_mean_minutes"]
        assert row[column["90%等候(分钟)"]] == expected["wait_p90_minutes"]
        assert row[column["满意率"]] == expected["satisfaction_rate"]
        assert row[column["非常满意"]] == expected["ratings"].get("5", 0)
        assert row[column["暂停:休息(分钟)"]] == expected["paused_minutes"].get("break", 0)
    ranking_header, *ranked = [list(row) for row in book["标杆窗口排名"].iter_rows(values_only=True)]
    assert ranking_header[:3] == ["名次", "编号", "名称"]
    assert [(row[0], row[1], row[3]) for row in ranked] == [
        (entry["rank"], entry["key"], entry["satisfaction_rate"]) for entry in json_reply.body["ranking"]
    ]
    book.close()


async def test_a_workbook_per_matter_has_no_ranking(reports: Api) -> None:
    async with reports.client.get(
        "/api/v1/centres/test/reports?by=matter&date=2026-11-30&format=xlsx",
        headers={"Authorization": f"Bearer {reports.tokens['admin']}"},
    ) as answer:
        book = load_workbook(io.BytesIO(await answer.read()), read_only=True)
    assert book.sheetnames == ["报表", "承诺件", "超期承诺件"]
    assert [row[0] for row in book["报表"].iter_rows(min_row=2, values_only=True)] == ["pension"]
    book.close()


def test_a_transfer_counts_where_it_was_made_and_where_it_went() -> None:
    """Window 1 (staff s1, matter pension) sends A001 on to hukou at window 3: each side is credited."""
    moves = transfer_moves(
        [
            (1, "issued", {"matter": "pension"}),
            (1, "called", {"window": 1, "staff": "s1"}),
            (1, "transferred", {"from_window": 1, "to_matter": "hukou", "to_window": 3}),
            (1, "called", {"window": 3, "staff": "s3"}),
            (2, "issued", {"matter": "pension"}),
            (2, "called", {"window": 2, "staff": None}),
            (2, "transferred", {"from_window": 2, "to_matter": "pension", "to_window": None}),
        ]
    )
    assert moves == [
        TransferMove(1, from_window=1, from_staff="s1", from_matter="pension", to_matter="hukou", to_window=3),
        TransferMove(2, from_window=2, from_staff=None, from_matter="pension", to_matter="pension", to_window=None),
    ]
    by_window = {r.key: (r.transfers, r.transfers_in) for r in figures([], [], Dimension.WINDOW, moves)}
    assert by_window == {"1": (1, 0), "2": (1, 0), "3": (0, 1)}
    by_staff = {r.key: (r.transfers, r.transfers_in) for r in figures([], [], Dimension.STAFF, moves)}
    assert by_staff == {"s1": (1, 0)}
    by_matter = {r.key: (r.transfers, r.transfers_in) for r in figures([], [], Dimension.MATTER, moves)}
    assert by_matter == {"hukou": (0, 1), "pension": (2, 1)}
    (centre,) = figures([], [], Dimension.CENTRE, moves)
    assert (centre.transfers, centre.transfers_in) == (2, 2)
