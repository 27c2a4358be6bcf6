"""The monthly ranking and notice (月度排名通报): the formula and the two-months-at-the-bottom flag on
their own, then two months of a centre through the API on both databases (JSON, CSV, workbook),
honouring upheld appeals, and the simulator's rating model and its months."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import CallNext, Finish, IssueTicket, RateTicket, SignOn, StartServing
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.config.centre_file import load_demo_centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Outcome
from queue_server.reports.figures import Figures
from queue_server.reports.monthly import monthly_ranking
from queue_server.simulate.profiles import Ratings, load_profile, simulated_centre
from queue_server.simulate.ranking import rating_figures
from queue_server.simulate.runner import Simulation
from queue_server.store.database import Database
from tests.api_support import Api, rid, seed
from tests.factories import shanghai


def row(key: str, good: int, bad: int, served: int = 10, wait: float = 5.0) -> Figures:
    return Figures(key, served, served, 0, 0, 0, wait, wait, wait, 5.0, 0, 0.0, None, ratings={4: good, 1: bad})


# --- The formula ------------------------------------------------------------------------------------


def test_ranked_by_satisfaction_then_volume_with_too_few_ratings_unranked() -> None:
    places = monthly_ranking([row("1", 9, 1), row("2", 9, 1, served=20), row("3", 10, 0), row("4", 2, 0)], [])
    assert [(p.figures.key, p.rank) for p in places] == [("3", 1), ("2", 2), ("1", 3), ("4", None)]
    assert [p.figures.key for p in places if p.bottom] == ["1"]
    assert not any(p.bottom_twice for p in places), "no month before: nobody at the bottom twice"


def test_the_bottom_two_months_running_is_flagged_and_only_that() -> None:
    before = [row("1", 10, 0), row("2", 8, 2), row("3", 5, 5)]
    now = monthly_ranking([row("1", 9, 1), row("2", 9, 1, served=5), row("3", 6, 4)], before)
    flagged = {p.figures.key: (p.rank, p.previous_rank, p.bottom, p.bottom_twice) for p in now}
    assert flagged == {"1": (1, 1, False, False), "2": (2, 2, False, False), "3": (3, 3, True, True)}
    moved = monthly_ranking([row("1", 9, 1), row("2", 5, 5), row("3", 9, 1, served=20)], before)
    assert [(p.figures.key, p.bottom, p.bottom_twice) for p in moved if p.bottom] == [("2", True, False)]
    alone = monthly_ranking([row("3", 1, 9)], [row("3", 1, 9)])
    assert not alone[0].bottom, "nobody is last among one"


# --- Two months through the API -------------------------------------------------------------------

OCTOBER, NOVEMBER = shanghai(2026, 10, 12, 9, 0), shanghai(2026, 11, 9, 9, 0)
PLAN = {
    OCTOBER: {1: [5] * 6, 2: [4] * 5 + [1], 3: [5] * 3 + [1] * 3},
    NOVEMBER: {1: [5] * 6, 2: [4] * 5 + [2], 3: [5] * 5 + [1] * 2},
}
"""Levels given at each window: window 3 is at the bottom both months, until its appeals are upheld."""
MATTERS = {1: "pension", 2: "pension", 3: "id_card"}


async def two_months(service: HallService, go_to: Callable[[dt.datetime], None]) -> None:
    """October and November 2026 at centre ``test``, served and rated as :data:`PLAN` says; ``go_to``
    moves the service's clock to an instant."""
    for month, (start, windows) in enumerate(PLAN.items()):
        go_to(start)
        for window in windows if month == 0 else ():  # signed on still the month after: nobody signed off
            answer = await service.act("test", SignOn(window=window, staff=f"s{window}"), actor=f"staff:s{window}",
                                       request_id=rid())  # fmt: skip
            assert answer.ok, answer.body
        for window, levels in windows.items():
            actor = f"staff:s{window}"
            for level in levels:
                issued = await service.act(
                    "test", IssueTicket(matter=MATTERS[window]), actor="kiosk:k", request_id=rid()
                )
                serial = issued.body["ticket"]["serial"]
                for command in (CallNext(window=window), StartServing(window=window),
                                Finish(window=window, outcome=Outcome.ON_THE_SPOT)):  # fmt: skip
                    assert (await service.act("test", command, actor=actor, request_id=rid())).ok
                rating = RateTicket(serial=serial, level=RatingLevel(level), window=window, source=f"pad:pad-{window}")
                assert (await service.act("test", rating, actor=f"device:pad-{window}", request_id=rid())).ok
                go_to(service.clock.now() + dt.timedelta(minutes=1))


@pytest.fixture
async def ranked(db: Database, aiohttp_client: AiohttpClient) -> Api:
    clock = ManualClock(OCTOBER)
    service = HallService(db, clock, public_base_url="http://hall.example")
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    await two_months(service, clock.set)
    return api


RANKING = "/centres/test/reports/monthly-ranking"


def places(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {p["key"]: (p["rank"], p["previous_rank"], p["bottom"], p["bottom_twice"]) for p in body["windows"]}


async def test_two_months_ranked_and_the_window_at_the_bottom_twice_flagged(ranked: Api) -> None:
    answer = await ranked.get(RANKING + "?month=2026-11", "supervisor")
    assert answer.status == 200, answer.body
    assert (answer.body["month"]["label"], answer.body["previous"]["label"]) == ("2026-11", "2026-10")
    assert places(answer.body) == {"1": (1, 1, False, False), "2": (2, 2, False, False), "3": (3, 3, True, True)}
    three = next(p for p in answer.body["windows"] if p["key"] == "3")
    assert (three["rated"], three["satisfaction_rate"], three["name"]) == (7, round(5 / 7, 4), "3号窗口 公安")
    assert [p["key"] for p in answer.body["staff"] if p["bottom_twice"]] == ["s3"]
    october = await ranked.get(RANKING + "?month=2026-10", "manager")
    assert [p["key"] for p in october.body["windows"] if p["bottom"]] == ["3"]
    assert not any(p["bottom_twice"] for p in october.body["windows"]), "September had nobody"
    for bad in ("2026-13", "11-2026", "2026-1"):
        refused = await ranked.get(RANKING + f"?month={bad}", "manager")
        assert refused.status == 422, (bad, refused.body)


async def test_upheld_appeals_take_the_window_off_the_bottom(ranked: Api) -> None:
    cases = (await ranked.get("/centres/test/rectifications?status=all", "manager")).body["cases"]
    november = [c for c in cases if c["window"] == 3 and c["opened_at"] >= "2026-11"]
    assert len(november) == 2
    for case in november:
        await ranked.act(f"/centres/test/rectifications/{case['id']}/appeal", "manager", reason="误评")
        await ranked.act(f"/centres/test/rectifications/{case['id']}/appeal/decision", "supervisor", uphold=True,
                         note="录像证实")  # fmt: skip
    body = (await ranked.get(RANKING + "?month=2026-11", "manager")).body
    assert places(body) == {"3": (1, 3, False, False), "1": (2, 1, False, False), "2": (3, 2, True, False)}
    three = next(p for p in body["windows"] if p["key"] == "3")
    assert (three["rated"], three["appeals_upheld"], three["satisfaction_rate"]) == (5, 2, 1.0)


async def test_the_ranking_as_csv_and_workbook(ranked: Api) -> None:
    headers = {"Authorization": f"Bearer {ranked.tokens['manager']}"}
    async with ranked.client.get(f"/api/v1{RANKING}?month=2026-11&format=csv", headers=headers) as reply:
        assert reply.status == 200 and reply.content_type == "text/csv"
        assert "2026-11-ranking.csv" in reply.headers["Content-Disposition"]
        lines = (await reply.read()).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("类别,名次,上月名次,编号,名称,满意率") and lines[0].endswith("本月末位,连续两个月末位")
    assert lines[3].startswith("窗口,3,3,3,3号窗口 公安,0.7143,7,0,7,") and lines[3].endswith(",是,是")
    assert sum(1 for line in lines if line.startswith("工作人员,")) == 3
    async with ranked.client.get(f"/api/v1{RANKING}?month=2026-11&format=xlsx", headers=headers) as reply:
        assert reply.status == 200
        book = load_workbook(io.BytesIO(await reply.read()))
    assert book.sheetnames == ["窗口排名", "工作人员排名"]
    sheet = book["窗口排名"]
    assert [cell.value for cell in sheet[4]][:6] == [3, 3, "3", "3号窗口 公安", 0.7143, 7]
    assert sheet.cell(4, 11).value == "是"


# --- The simulator's ratings ---------------------------------------------------------------------------


def test_the_rating_model_grows_worse_with_the_wait_and_at_a_window() -> None:
    model = Ratings(bad=0.02, patience=15, per_10_minutes=0.05, matters={"id_card": 0.1}, windows={3: 0.2})
    assert model.bad_share("pension", 10, 1) == 0.02
    assert model.bad_share("pension", 35, 1) == pytest.approx(0.12)
    assert model.bad_share("id_card", 0, 3) == pytest.approx(0.3)
    assert model.bad_share("pension", 600, 3) == 0.9, "never more than 0.9"
    assert [model.level(u, 0.3) for u in (0.05, 0.2, 0.31, 0.95)] == [
        RatingLevel.VERY_DISSATISFIED,
        RatingLevel.DISSATISFIED,
        RatingLevel.VERY_SATISFIED,
        RatingLevel.BASICALLY_SATISFIED,
    ]


def test_a_simulated_month_gives_its_bad_ratings_follow_up_calls_and_ranking() -> None:
    profile = load_profile().model_copy(update={"ratings": Ratings(windows={1: 0.3})})
    demo = simulated_centre(load_demo_centre(), profile)
    run = Simulation(demo, profile, seed=3, ranges=False).run(3)
    again = Simulation(demo, profile, seed=3, ranges=False).run(3)
    assert [t.rating for t in run.tickets] == [t.rating for t in again.tickets], "the same seed, the same ratings"
    ratings = rating_figures(run)
    rated = [t for t in run.tickets if t.rating is not None]
    assert 0.5 < len(rated) / sum(t.finished is not None for t in run.tickets) < 0.9
    assert ratings["bad"] == sum(1 for t in rated if (t.rating or 0) <= 2) > 0
    assert 0 < ratings["named_bad"] <= ratings["bad"]
    (month,) = ratings["months"]
    assert month["month"] == "2026-03"
    assert [p["window"] for p in month["ranking"] if p["bottom"]] == [1], "the window that treats people worst"
