"""Bookings from the public page, on SQLite and PostgreSQL, against the fake SMS provider: a code
texted once, wrong, expired and exhausted codes, the rate limits, a booking made with its
confirmation, cancel and move by the number, and the reminder the day before, each once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from queue_server.app.booking_codes import PublicBookingLimits
from queue_server.app.public_bookings import send_reminders
from queue_server.app.service import HallService
from queue_server.app.sms_sender import SmsSender
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.store import schema
from queue_server.store.booking_codes import purge_codes
from queue_server.store.bookings import purge_people
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from queue_server.web.keys import BOOKING_LIMITS
from tests.api_support import Api, rid
from tests.factories import make_centre, shanghai
from tests.fake_sms import FakeSms
from tests.sms_support import PHONE, SIGN, fake_provider, sms_settings
from tests.test_bookings import BOOKINGS, ID

KEY = b"p" * 32
NINE = shanghai(2026, 12, 1, 9, 0)
TWO = shanghai(2026, 12, 1, 14, 0)
CODES = "/public/centres/test/booking-code"
BOOK = "/public/centres/test/bookings"

pytestmark = pytest.mark.usefixtures("db")


class Hall:
    def __init__(self, api: Api, service: HallService, clock: ManualClock, sender: SmsSender, fake: FakeSms) -> None:
        self.api, self.service, self.clock, self.sender, self.fake = api, service, clock, sender, fake

    async def code(self, phone: str = PHONE, address: str = "10.0.0.1") -> str:
        """Ask for a code, send what is due, and read the code from the text the provider took."""
        reply = await self.ask(phone, address)
        assert reply.status == 201, reply.body
        await self.sender.send_due()
        found = re.search(r"验证码为(\d{6})", self.fake.texts()[-1])
        assert found is not None and self.fake.sent[-1].phone == phone.replace(" ", "")
        return found.group(1)

    async def ask(self, phone: str = PHONE, address: str = "10.0.0.1", request_id: str | None = None) -> Any:
        body = {"request_id": request_id or rid(), "phone": phone}
        return await self.api.post(CODES, None, body, headers={"X-Forwarded-For": address})

    async def book(self, code: str, start: dt.datetime = NINE, phone: str = PHONE, **more: Any) -> Any:
        body = {"request_id": rid(), "matter": "pension", "start": start.isoformat(), "phone": phone, "sms_code": code}
        return await self.api.post(BOOK, None, {**body, **more})


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient) -> Any:
    """Centre ``test`` with bookings and SMS, at 08:00 on Monday 30 November 2026."""
    clock = ManualClock(shanghai(2026, 11, 30, 8, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(bookings=BOOKINGS), clock.now())
    async with fake_provider() as fake:
        settings = sms_settings(fake)
        service = HallService(db, clock, public_base_url="http://hall.example", sms=settings)
        app = create_app(service, id_key=KEY)
        app[BOOKING_LIMITS] = PublicBookingLimits(lambda: clock.now().timestamp())  # the limits on the test's clock
        api = Api(await aiohttp_client(app), {})
        yield Hall(api, service, clock, SmsSender(db, settings, clock), fake)


async def test_a_code_is_texted_once_and_books_with_its_confirmation(hall: Hall, db: Database) -> None:
    code = await hall.code("138 0013 8000")
    await hall.sender.send_due()
    assert hall.fake.texts() == [f"【{SIGN}】您的验证码为{code}，10分钟内有效，请勿告诉他人。"], "texted once"
    async with db.read() as conn:
        row = (await conn.execute(select(schema.booking_codes))).one()
    assert code not in str(tuple(row)) and PHONE not in str(tuple(row)), "kept only as keyed hashes"
    reply = await hall.book(code, reminder=True)
    assert reply.status == 201, reply.body
    booking = reply.body
    assert booking["channel"] == "public" and booking["phone"] == "138****8000"
    assert booking["qr"] == f"/book/test/booking/{booking['code']}/qr.svg"
    await hall.sender.send_due()
    await hall.sender.send_due()
    assert hall.fake.texts()[1:] == [
        f"【{SIGN}】您已预约12月01日 09:00在测试便民服务中心办理养老保险待遇领取，预约号{booking['code']}。"
    ]
    again = await hall.book(code)
    assert again.status == 422 and "Ask for a code first" in again.body["detail"], "a code books once"
    async with hall.api.client.get(booking["qr"]) as qr:
        assert qr.status == 200 and qr.content_type == "image/svg+xml"


async def test_a_code_asked_again_and_two_senders_text_it_once(hall: Hall, db: Database, database_url: str) -> None:
    first = await hall.ask(request_id="tap-1")
    hall.clock.advance(dt.timedelta(minutes=1))
    again = await hall.ask(address="10.0.0.8", request_id="tap-1")
    assert (first.status, again.status) == (201, 201) and again.headers.get("Idempotent-Replay") == "true"
    other_instance = SmsSender(db, hall.sender.settings, hall.clock)
    for _ in range(2):
        if database_url.startswith("postgresql"):  # two instances share one PostgreSQL (SQLite: one instance)
            await asyncio.gather(hall.sender.send_due(), other_instance.send_due())
        else:
            await hall.sender.send_due()
            await other_instance.send_due()
    assert len(hall.fake.sent) == 1, "one code, texted once"


async def test_wrong_codes_are_counted_and_the_fifth_kills_the_code(hall: Hall, db: Database) -> None:
    code = await hall.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        reply = await hall.book(wrong)
        assert reply.status == 422, reply.body
        assert reply.body["message"] == f"验证码不正确，还可再试{left}次。"
        assert [e["field"] for e in reply.body["errors"]] == ["sms_code"]
    reply = await hall.book(wrong)
    assert reply.status == 422 and "Too many wrong tries" in reply.body["message_en"]
    reply = await hall.book(code)
    assert reply.status == 422 and "Too many wrong tries" in reply.body["message_en"], "the right code is dead too"
    async with db.read() as conn:
        assert (await conn.execute(select(schema.bookings))).all() == [], "nothing booked"


async def test_an_expired_code_is_said_plainly(hall: Hall, db: Database) -> None:
    code = await hall.code()
    hall.clock.advance(dt.timedelta(minutes=10))
    reply = await hall.book(code)
    assert reply.status == 422 and reply.body["message"] == "验证码已过期（10分钟内有效），请重新获取。"
    hall.clock.advance(dt.timedelta(minutes=1))
    fresh = await hall.code()
    assert (await hall.book(fresh)).status == 201
    hall.clock.advance(dt.timedelta(days=1))
    async with db.write() as conn:
        assert await purge_codes(conn, "test", hall.clock.now() - dt.timedelta(days=1)) == 1, "expired a day before"


async def test_codes_are_limited_per_number_and_per_address(hall: Hall) -> None:
    await hall.code(PHONE, "10.0.0.1")
    reply = await hall.ask(PHONE, "10.0.0.2")
    assert reply.status == 429 and 1 <= int(reply.headers["Retry-After"]) <= 60, "one a minute per number"
    assert reply.body["message"].startswith("获取验证码太频繁")
    await hall.code("13800138001", "10.0.0.1")
    await hall.code("13800138002", "10.0.0.1")
    reply = await hall.ask("13800138003", "10.0.0.1")
    assert reply.status == 429 and "Retry-After" in reply.headers, "three a minute per address"
    await hall.sender.send_due()
    assert len(hall.fake.sent) == 3, "nothing texted past the limits"
    bad = await hall.ask("0571 1234 5678", "10.0.0.7")
    assert bad.status == 422 and "mainland mobile number" in str(bad.body)


async def test_a_centre_without_sms_sends_no_code(db: Database, aiohttp_client: AiohttpClient) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 8, 0))
    async with db.write() as conn:
        await create_centre(conn, make_centre(bookings=BOOKINGS), clock.now())
    api = Api(await aiohttp_client(create_app(HallService(db, clock), id_key=KEY)), {})
    reply = await api.post(CODES, None, {"request_id": rid(), "phone": PHONE})
    assert reply.status == 409 and reply.body["message"] == "本中心暂不支持网上预约，请到咨询导办台预约。"
    slots = await api.get("/public/centres/test/booking-slots?matter=pension&day=2026-12-01")
    assert slots.status == 200 and [s["left"] for s in slots.body["slots"]] == [3, 2]


async def test_cancel_and_move_take_the_number_and_a_fresh_code(hall: Hall) -> None:
    booking = (await hall.book(await hall.code())).body
    path = f"{BOOK}/{booking['code']}"
    hall.clock.advance(dt.timedelta(minutes=1))
    other = await hall.code("13900139000", "10.0.0.9")
    refused = await hall.api.post(
        f"{path}/move", None, {"request_id": rid(), "phone": "13900139000", "sms_code": other, "start": TWO.isoformat()}
    )
    assert refused.status == 404, "another number cannot change it"
    hall.clock.advance(dt.timedelta(minutes=1))
    code = await hall.code(address="10.0.0.3")
    moved = await hall.api.post(
        f"{path}/move", None, {"request_id": rid(), "phone": PHONE, "sms_code": code, "start": TWO.isoformat()}
    )
    assert moved.status == 200 and moved.body["slot_start"] == TWO.astimezone(dt.UTC).isoformat(), moved.body
    hall.clock.advance(dt.timedelta(minutes=1))
    code = await hall.code(address="10.0.0.4")
    cancelled = await hall.api.post(f"{path}/cancel", None, {"request_id": rid(), "phone": PHONE, "sms_code": code})
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"


async def test_the_per_person_limit_holds_per_number(hall: Hall) -> None:
    assert (await hall.book(await hall.code())).status == 201
    hall.clock.advance(dt.timedelta(minutes=1))
    second = await hall.book(await hall.code(address="10.0.0.5"), start=TWO)
    assert second.status == 409 and second.body["code"] == "booking_limit", second.body


async def test_with_an_id_number_the_limit_holds_per_person(hall: Hall) -> None:
    code = await hall.code()
    mistyped = await hall.book(code, id_number=ID[:-1] + "1")
    assert mistyped.status == 409 and mistyped.body["code"] == "booking_id_number", mistyped.body
    assert (await hall.book(code, id_number=ID)).status == 201, "the code was not spent by the refusal"
    hall.clock.advance(dt.timedelta(minutes=1))
    other = await hall.code("13900139000", "10.0.0.9")
    second = await hall.book(other, start=TWO, phone="13900139000", id_number=ID)
    assert second.status == 409 and second.body["code"] == "booking_limit", "the same person by another number"


async def test_the_reminder_goes_once_the_day_before_and_the_number_is_deleted(hall: Hall, db: Database) -> None:
    await hall.book(await hall.code(), reminder=True)
    hall.clock.advance(dt.timedelta(minutes=1))
    await hall.book(await hall.code("13900139000", "10.0.0.6"), start=TWO)  # no consent: no reminder
    await hall.sender.send_due()
    before = len(hall.fake.sent)
    assert await send_reminders(hall.service, ["test"]) == 0, "not before 09:00 the day before"
    hall.clock.advance(dt.timedelta(hours=1))
    assert await send_reminders(hall.service, ["test"]) == 1, "from 09:00 the day before"
    assert await send_reminders(hall.service, ["test"]) == 0, "once"
    await hall.sender.send_due()
    assert hall.fake.texts()[before:] == [
        f"【{SIGN}】提醒：您预约了12月01日 09:00在测试便民服务中心办理养老保险待遇领取，请按时到达。"
    ]
    assert hall.fake.sent[-1].phone == PHONE
    hall.clock.advance(dt.timedelta(days=32))
    async with db.write() as conn:
        await purge_people(conn, hall.clock.now())
    async with db.read() as conn:
        rows = (await conn.execute(select(schema.bookings.c.phone_key, schema.bookings.c.reminder_phone))).all()
    assert rows and all(tuple(row) == (None, None) for row in rows)
