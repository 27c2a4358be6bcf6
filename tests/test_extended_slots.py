"""Extended slots (延时服务) outside opening hours open the windows that serve them: a simulated
Saturday morning on SQLite and PostgreSQL (the bookings checked in at the kiosk, the window signed on,
called and shown open, the estimates counting the slot as open, walk-ins refused unless the slot
takes them), and the calendar of a window with holidays and 调休."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import IssueRefused
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.api_support import Api, rid
from tests.factories import make_centre, make_hall, shanghai
from tests.test_bookings import BOOKINGS, ID

SATURDAY = dt.date(2026, 12, 5)
SLOT = shanghai(2026, 12, 5, 9, 0)
PEOPLE = (ID, "110105200001010016", "110105198001010016")


def centre_with(walk_ins: bool = False, **more: Any) -> Centre:
    """The test centre whose pension matter has a Saturday morning's extended slot at window 1."""
    pension = dict(BOOKINGS["matters"][0])
    slot = {"start": "09:00", "end": "12:00", "places": 4, "days": ["saturday"], "windows": [1]}
    pension["extended"] = [{**slot, "walk_ins": walk_ins}]
    return make_centre(bookings={**BOOKINGS, "matters": [pension, BOOKINGS["matters"][1]]}, **more)


# --- The calendar of a window -------------------------------------------------------------------------


def test_a_window_serves_its_extended_slots_beside_the_opening_hours() -> None:
    calendar = WorkCalendar(centre_with())
    assert [(p.start, p.end) for p in calendar.service_periods(SATURDAY, 1)] == [(dt.time(9), dt.time(12))]
    assert calendar.service_periods(SATURDAY, 2) == () and calendar.service_periods(SATURDAY) == ()
    assert calendar.service_periods(dt.date(2026, 10, 3), 1) == (), "a holiday Saturday: no extended slot"
    worked = [(p.start, p.end) for p in calendar.service_periods(dt.date(2026, 10, 10), 1)]  # 调休 Saturday
    assert worked == [(dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(17, 30))], "merged with the hours"


def test_the_next_service_instant_of_a_window_finds_its_saturday_morning() -> None:
    calendar = WorkCalendar(centre_with())
    friday_evening = shanghai(2026, 12, 4, 18, 0)
    assert calendar.next_service_instant(friday_evening, 1) == SLOT
    assert calendar.next_service_instant(friday_evening, 2) == shanghai(2026, 12, 7, 8, 30), "Monday"
    assert calendar.next_service_instant(friday_evening) == shanghai(2026, 12, 7, 8, 30)
    assert calendar.next_service_instant(shanghai(2026, 12, 5, 12, 0), 1) == shanghai(2026, 12, 7, 8, 30)
    before_holiday = shanghai(2026, 10, 2, 18, 0)  # Saturday 3 October is a holiday
    assert calendar.next_service_instant(before_holiday, 1) == calendar.next_service_instant(before_holiday)
    assert calendar.extended_bounds(SATURDAY) == [SLOT, shanghai(2026, 12, 5, 12, 0)]


def test_the_estimate_of_a_booked_ticket_counts_the_slot_open_at_its_windows() -> None:
    hall, _ = make_hall(centre_with(), at=shanghai(2026, 12, 5, 8, 50), staffed=False)
    hall.sign_on(1, "s1")
    tickets = [hall.issue("pension", booked_from=SLOT).ticket for _ in range(3)]
    assert all(t is not None for t in tickets)
    last = hall.position(tickets[-1].serial)  # type: ignore[union-attr]
    assert last.expected_call is not None and SLOT <= last.expected_call < shanghai(2026, 12, 5, 12, 0)
    assert last.people_ahead == 2


def test_walk_ins_of_the_slots_matters_only_when_the_slot_takes_them_and_only_while_it_runs() -> None:
    closed, _ = make_hall(centre_with(), at=shanghai(2026, 12, 5, 9, 30), staffed=False)
    closed.sign_on(1, "s1")
    with pytest.raises(IssueRefused):
        closed.issue("pension")
    hall, clock = make_hall(centre_with(walk_ins=True), at=shanghai(2026, 12, 5, 8, 50), staffed=False)
    hall.sign_on(1, "s1")
    with pytest.raises(IssueRefused):
        hall.issue("pension")  # before the slot begins
    clock.set(shanghai(2026, 12, 5, 9, 30))
    walk_in = hall.issue("pension").ticket
    assert walk_in is not None and not walk_in.booked
    with pytest.raises(IssueRefused):
        hall.issue("medical")  # not a matter of the slot: the hall is closed
    hall.sign_off(1, "s1")
    hall.sign_on(2, "s2")
    with pytest.raises(IssueRefused) as elsewhere:
        hall.issue("pension")  # window 2 is not the slot's
    assert elsewhere.value.reason.value == "no_window_open"
    clock.set(shanghai(2026, 12, 5, 12, 0))
    hall.sign_off(2, "s2")
    hall.sign_on(1, "s1")
    with pytest.raises(IssueRefused):
        hall.issue("pension")  # the slot is over


# --- A simulated Saturday through the API ------------------------------------------------------------


async def saturday_hall(db: Database, client: AiohttpClient, walk_ins: bool) -> tuple[Api, HallService, ManualClock]:
    clock = ManualClock(shanghai(2026, 12, 4, 10, 0))  # Friday
    async with db.write() as conn:
        await create_centre(conn, centre_with(walk_ins), clock.now())
        specs = {"guide": (Role.GUIDE, "desk1"), "kiosk": (Role.KIOSK, "kiosk1"), "s1": (Role.STAFF, "s1")}
        tokens = {
            name: await add_token(conn, label=name, role=role, centres=["test"], subject=subject)
            for name, (role, subject) in specs.items()
        }
    service = HallService(db, clock, public_base_url="http://hall.example")
    return Api(await client(create_app(service, id_key=b"s" * 32)), tokens), service, clock


async def book_saturday(api: Api, person: str) -> str:
    body = {"request_id": rid(), "matter": "pension", "start": SLOT.isoformat(), "id_number": person}
    reply = await api.post("/centres/test/bookings", "guide", {**body, "phone": "13812345678"})
    assert reply.status == 201, reply.body
    return str(reply.body["code"])


@pytest.mark.usefixtures("db")
async def test_a_saturday_morning_of_bookings_is_served_at_the_window_it_opens(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    api, service, clock = await saturday_hall(db, aiohttp_client, walk_ins=False)
    codes = [await book_saturday(api, person) for person in PEOPLE]
    clock.set(shanghai(2026, 12, 5, 8, 40))
    assert (await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id=rid())).ok
    issuing = (await api.get("/centres/test/issuing", "kiosk")).body
    assert issuing["closed"] == "closed_today", "walk-ins are not issued: the hall is closed"
    assert issuing["recheck_at"] == SLOT.isoformat(), "the kiosk reads again when the slot begins"
    tickets = []
    for code in codes[:2]:
        checked = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": code})
        assert checked.status == 201 and checked.body["arrival"] == "on_time", checked.body
        tickets.append(checked.body["ticket"])
    walk_in = await api.post("/centres/test/tickets", "kiosk", {"request_id": rid(), "matter": "pension"})
    assert walk_in.status == 409 and walk_in.body["reason"] == "closed_today", walk_in.body
    hall = await service.hall("test")
    assert hall.window(1).staffed, "the board and the window display show window 1 open"
    estimate = hall.position(tickets[1]["serial"]).expected_call
    assert estimate is not None and SLOT <= estimate < shanghai(2026, 12, 5, 12, 0), "not Monday morning"
    clock.set(shanghai(2026, 12, 5, 9, 5))
    for ticket in tickets:
        called = (await api.act("/centres/test/windows/1/call-next", "s1"))["ticket"]
        assert called["serial"] == ticket["serial"]
        await api.act("/centres/test/windows/1/finish", "s1", outcome=Outcome.ON_THE_SPOT.value)
    clock.set(shanghai(2026, 12, 5, 9, 20))
    late = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": codes[2]})
    assert late.status == 409, "too late for the slot, and no walk-in ticket while the hall is closed"


@pytest.mark.usefixtures("db")
async def test_a_saturday_slot_that_takes_walk_ins_issues_its_matters_at_the_kiosk(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    api, service, clock = await saturday_hall(db, aiohttp_client, walk_ins=True)
    code = await book_saturday(api, ID)
    clock.set(shanghai(2026, 12, 5, 9, 10))
    assert (await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id=rid())).ok
    issuing = (await api.get("/centres/test/issuing", "kiosk")).body
    can = {m["matter"]: m["can_issue"] for m in issuing["matters"]}
    assert issuing["closed"] is None and can["pension"] and not can["medical"], issuing
    walk_in = await api.post("/centres/test/tickets", "kiosk", {"request_id": rid(), "matter": "pension"})
    assert walk_in.status == 201, walk_in.body
    booked = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": code})
    assert booked.status == 201, booked.body
    called = (await api.act("/centres/test/windows/1/call-next", "s1"))["ticket"]
    assert called["serial"] == booked.body["ticket"]["serial"], "the booking first, then the walk-in"
