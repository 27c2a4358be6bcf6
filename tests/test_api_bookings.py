"""Bookings over the API, on SQLite and PostgreSQL: the desk and a booking platform book, the kiosk
and the desk check in, a booked ticket is called before walk-ins, a late one gets a walk-in ticket."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from queue_server.app import bookings
from queue_server.app.commands import SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.clock import ManualClock
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.api_support import Api, rid
from tests.factories import make_centre, shanghai
from tests.test_bookings import BOOKINGS, ID

KEY = b"s" * 32
OTHER_ID = "110105200001010016"
NINE = shanghai(2026, 11, 30, 9, 0)
TWO = shanghai(2026, 11, 30, 14, 0)

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def booked_hall(db: Database, aiohttp_client: AiohttpClient) -> tuple[Api, HallService, ManualClock]:
    """Centre ``test`` with bookings, at 08:00 on Monday 30 November; window 1 staffed at 08:30."""
    clock = ManualClock(shanghai(2026, 11, 30, 8, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(bookings=BOOKINGS), clock.now())
        specs = {
            "guide": (Role.GUIDE, "desk1"),
            "kiosk": (Role.KIOSK, "kiosk1"),
            "platform": (Role.PLATFORM, "province-booking"),
            "s1": (Role.STAFF, "s1"),
            "manager": (Role.MANAGER, "manager"),
        }
        tokens = {
            name: await add_token(conn, label=name, role=role, centres=["test"], subject=subject)
            for name, (role, subject) in specs.items()
        }
    service = HallService(db, clock, public_base_url="http://hall.example")
    return Api(await aiohttp_client(create_app(service, id_key=KEY)), tokens), service, clock


async def book(api: Api, start: dt.datetime, id_number: str = ID, token: str = "guide", **more: Any) -> Any:
    body = {"request_id": rid(), "matter": "pension", "start": start.isoformat(), "id_number": id_number}
    return await api.post("/centres/test/bookings", token, {**body, "phone": "138 1234 5678", **more})


async def test_the_desk_books_and_the_booking_keeps_no_id_number(
    booked_hall: tuple[Api, HallService, ManualClock], db: Database
) -> None:
    api, _, _ = booked_hall
    reply = await book(api, NINE)
    assert reply.status == 201, reply.body
    booking = reply.body
    assert booking["phone"] == "138****5678" and booking["status"] == "booked" and booking["channel"] == "desk"
    assert len(booking["code"]) == 8 and ID not in str(booking)
    async with db.read() as conn:
        row = (await conn.execute(select(schema.bookings))).one()
    assert row.person not in (None, ID) and ID not in row.person and row.phone == "138****5678"
    slots = (await api.get("/centres/test/booking-slots?matter=pension&day=2026-11-30", "guide")).body
    assert [(s["places"], s["left"]) for s in slots["slots"]] == [(3, 2), (2, 2)]
    read = await api.get(f"/centres/test/bookings/{booking['code'].lower()}", "platform")
    assert read.status == 200 and read.body["code"] == booking["code"]


async def test_a_second_booking_past_the_limit_and_a_full_slot_are_refused(
    booked_hall: tuple[Api, HallService, ManualClock],
) -> None:
    api, _, _ = booked_hall
    assert (await book(api, NINE)).status == 201
    second = await book(api, TWO)
    assert second.status == 409 and second.body["code"] == "booking_limit", second.body
    assert "1" in second.body["message"]
    assert (await book(api, TWO, OTHER_ID, token="platform")).status == 201
    third = await book(api, TWO, "110105198001010016", phone="13900000000")
    assert third.status == 201, third.body
    full = await book(api, TWO, "110105199001010010")
    assert full.status == 409 and full.body["code"] == "booking_slot_full", full.body
    wrong = await book(api, TWO, "110105199001010011")
    assert wrong.status == 409 and wrong.body["code"] == "booking_id_number", wrong.body


async def test_a_platform_books_and_the_desk_cancels_and_moves_until_an_hour_before(
    booked_hall: tuple[Api, HallService, ManualClock],
) -> None:
    api, _, clock = booked_hall
    booking = (await book(api, TWO, token="platform")).body
    assert booking["channel"] == "api"
    code = booking["code"]
    moved = await api.post(
        f"/centres/test/bookings/{code}/move", "guide", {"request_id": rid(), "start": NINE.isoformat()}
    )
    assert moved.status == 200 and moved.body["slot_start"] == NINE.isoformat(), moved.body
    clock.set(shanghai(2026, 11, 30, 8, 1))  # 59 minutes before the slot
    late = await api.post(f"/centres/test/bookings/{code}/cancel", "guide", {"request_id": rid()})
    assert late.status == 409 and late.body["code"] == "booking_change_too_late", late.body
    back = await api.post(
        f"/centres/test/bookings/{code}/move", "guide", {"request_id": rid(), "start": TWO.isoformat()}
    )
    assert back.status == 409 and back.body["code"] == "booking_change_too_late"
    cancelled = await api.post(f"/centres/test/bookings/{code}/cancel", "platform", {"request_id": rid()})
    assert cancelled.status == 409
    other = (await book(api, TWO, OTHER_ID)).body
    done = await api.post(f"/centres/test/bookings/{other['code']}/cancel", "platform", {"request_id": rid()})
    assert done.status == 200 and done.body["status"] == "cancelled"
    again = await api.post(f"/centres/test/bookings/{other['code']}/cancel", "guide", {"request_id": rid()})
    assert again.status == 409 and again.body["code"] == "booking_not_active"
    assert (await api.get("/centres/test/bookings/ACDE3467", "guide")).status == 404


async def test_checked_in_by_code_the_booked_ticket_is_called_before_earlier_walk_ins(
    booked_hall: tuple[Api, HallService, ManualClock],
) -> None:
    api, service, clock = booked_hall
    code = (await book(api, NINE)).body["code"]
    by_id = (await book(api, NINE, OTHER_ID)).body["code"]
    afternoon = (await book(api, TWO, "110105198001010016")).body["code"]
    clock.set(shanghai(2026, 11, 30, 8, 30))
    answer = await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id=rid())
    assert answer.ok
    too_early = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": afternoon})
    assert too_early.status == 409 and too_early.body["code"] == "booking_too_early", too_early.body
    assert "13:30" in too_early.body["message"]
    clock.set(shanghai(2026, 11, 30, 8, 40))
    walk_ins = [await api.issue(token="kiosk") for _ in range(2)]
    checked = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": code.lower()})
    assert checked.status == 201, checked.body
    assert checked.body["arrival"] == "on_time" and checked.body["booking"]["status"] == "checked_in"
    assert checked.body["ticket"]["booked_from"] == NINE.isoformat()
    assert "优先" in checked.body["message"]
    twice = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": code})
    assert twice.status == 409 and twice.body["code"] == "booking_not_active"
    by_number = await api.post("/centres/test/check-in", "guide", {"request_id": rid(), "id_number": OTHER_ID})
    assert by_number.status == 201 and by_number.body["booking"]["code"] == by_id, by_number.body
    first = (await api.act("/centres/test/windows/1/call-next", "s1"))["ticket"]
    assert first["serial"] == walk_ins[0]["serial"], "before 09:00 the booking is not due: walk-ins in order"
    await api.act("/centres/test/windows/1/finish", "s1", outcome="on_the_spot")
    clock.set(NINE)
    called = (await api.act("/centres/test/windows/1/call-next", "s1"))["ticket"]
    assert called["serial"] == checked.body["ticket"]["serial"], "due at 09:00: before the older walk-in"


async def test_a_late_arrival_gets_a_walk_in_ticket_said_plainly_and_the_sweep_counts_no_shows(
    booked_hall: tuple[Api, HallService, ManualClock], db: Database
) -> None:
    api, service, clock = booked_hall
    code = (await book(api, NINE)).body["code"]
    missed = (await book(api, NINE, OTHER_ID)).body["code"]
    clock.set(shanghai(2026, 11, 30, 9, 16))  # 16 minutes late; the rules allow 15
    assert (await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id=rid())).ok
    late = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": code})
    assert late.status == 201, late.body
    assert late.body["arrival"] == "late" and late.body["booking"]["status"] == "late"
    assert late.body["ticket"]["booked_from"] is None
    assert "失效" in late.body["message"] and "walk-in" in late.body["message_en"]
    assert await bookings.sweep(service, ["test"]) == (1, 0)
    assert (await api.get(f"/centres/test/bookings/{missed}", "guide")).body["status"] == "no_show"
    clock.set(shanghai(2026, 12, 30, 9, 31))  # 30 days after the slot's end
    assert await bookings.sweep(service, ["test"]) == (0, 2)
    async with db.read() as conn:
        rows = (await conn.execute(select(schema.bookings.c.person, schema.bookings.c.phone))).all()
    assert rows == [(None, None), (None, None)]


async def test_check_in_needs_a_code_or_an_id_number(booked_hall: tuple[Api, HallService, ManualClock]) -> None:
    api, _, _ = booked_hall
    neither = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid()})
    assert neither.status == 422
    nobody = await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "id_number": OTHER_ID})
    assert nobody.status == 404 and nobody.body["code"] == "booking_not_found"


async def test_the_report_counts_bookings_check_ins_no_shows_and_the_waits_of_booked_and_walk_ins(
    booked_hall: tuple[Api, HallService, ManualClock],
) -> None:
    api, service, clock = booked_hall
    on_time = (await book(api, NINE)).body["code"]
    late = (await book(api, NINE, OTHER_ID)).body["code"]
    await book(api, NINE, "110105198001010016")  # never comes
    cancelled = (await book(api, TWO, "110105199001010010")).body["code"]
    assert (await api.post(f"/centres/test/bookings/{cancelled}/cancel", "guide", {"request_id": rid()})).status == 200
    clock.set(shanghai(2026, 11, 30, 8, 50))
    assert (await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id=rid())).ok
    await api.issue(token="kiosk")  # a walk-in at 08:50
    assert (await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": on_time})).status == 201
    clock.set(shanghai(2026, 11, 30, 9, 4))
    booked_call = (await api.act("/centres/test/windows/1/call-next", "s1"))["ticket"]
    assert booked_call["booked_from"] == NINE.isoformat(), "due at 09:00: first"
    await api.act("/centres/test/windows/1/finish", "s1", outcome="on_the_spot")
    clock.set(shanghai(2026, 11, 30, 9, 20))
    assert (await api.post("/centres/test/check-in", "kiosk", {"request_id": rid(), "code": late})).status == 201
    await api.act("/centres/test/windows/1/call-next", "s1")  # the walk-in of 08:50, waited 30 minutes
    await bookings.sweep(service, ["test"])
    reply = await api.get("/centres/test/reports?period=day&date=2026-11-30&by=centre", "manager")
    assert reply.status == 200, reply.body
    counted = reply.body["bookings"]
    assert {k: counted[k] for k in ("booked", "checked_in", "late", "cancelled", "no_show")} == {
        "booked": 0,
        "checked_in": 1,
        "late": 1,
        "cancelled": 1,
        "no_show": 1,
    }
    assert counted["booked_wait_mean_minutes"] == 4.0, "from the slot's start at 09:00 to the call at 09:04"
    assert counted["walk_in_wait_mean_minutes"] == 30.0
    (row,) = reply.body["rows"]
    assert row["booked"] == 1 and row["booked_wait_mean_minutes"] == 4.0
