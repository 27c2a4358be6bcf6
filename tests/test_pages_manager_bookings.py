"""The manager's booking places in Chromium: a slot's standing places and one day's places changed,
refused below the places already booked, applied at once for booking, and recorded with the actor."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from queue_server.app import bookings as booking
from queue_server.app.once import Once
from queue_server.domain.bookings import BookingChannel
from queue_server.store import schema
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium
from tests.factories import make_centre, shanghai
from tests.pages_support import DEVICES, WAIT_MS, Site, running_site
from tests.test_bookings import BOOKINGS, ID
from tests.test_pages_manager import VIEWPORT, _stored, manager_page

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

OTHER_ID = "110105200001010016"
TUESDAY_TWO = shanghai(2026, 12, 1, 14, 0)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, make_centre(devices=DEVICES, bookings=BOOKINGS)) as running:
        for n, person in enumerate((ID, OTHER_ID)):
            asked = booking.BookingAsked("pension", TUESDAY_TWO, person, "13812345678", BookingChannel.DESK)
            answer = await booking.book(running.service, Once(running.code, "guide:g", f"b-{n}"), asked, b"k" * 32)
            assert answer.ok, answer.body
        yield running


async def places(site: Site, day: dt.date, start: dt.datetime) -> int:
    listed = await booking.slots(site.service, site.code, "pension", day)
    return next(slot["places"] for slot in listed["slots"] if slot["start"] == start.isoformat())


async def test_the_manager_changes_the_places_for_good_and_for_one_day_never_below_the_booked(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await manager_page(page, site, tab="bookings")
        pension = page.locator("table[data-bookable='pension']")
        await expect(pension.locator("caption")).to_have_text("养老保险待遇领取", timeout=WAIT_MS)
        await pension.locator("tr[data-slot='09:00'][data-kind='slots'] .standing-places").fill("5")
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text(
            "养老保险待遇领取 09:00 的预约名额：3 → 5", timeout=WAIT_MS
        )
        await assert_accessible(page, "the manager's booking places")
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用 1 处修改", timeout=WAIT_MS)

        await page.fill("#booking-day", "2026-12-01")
        await page.dispatch_event("#booking-day", "change")
        day_two = page.locator("table[data-bookable='pension'] tr[data-slot='14:00'] .day-places")
        await expect(day_two).to_have_attribute("placeholder", "2", timeout=WAIT_MS)
        await day_two.fill("1")
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text(
            "「养老保险待遇领取」12月1日（周二）14:00的时段已有2人预约，名额不能少于2个（改为1个未保存）",
            timeout=WAIT_MS,
        )
        await expect(page.locator("#apply")).to_be_disabled()
        await day_two.fill("4")
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text(
            "养老保险待遇领取 2026-12-01 14:00 的预约名额：2 → 4", timeout=WAIT_MS
        )
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用 1 处修改", timeout=WAIT_MS)
        assert not errors, errors

    assert await places(site, dt.date(2026, 12, 2), shanghai(2026, 12, 2, 9, 0)) == 5
    assert await places(site, dt.date(2026, 12, 1), TUESDAY_TWO) == 4
    assert await places(site, dt.date(2026, 12, 2), shanghai(2026, 12, 2, 14, 0)) == 2  # only that day
    stored = await _stored(site)
    assert [(d.day, d.places) for d in stored.bookings.matters[0].days] == [(dt.date(2026, 12, 1), 4)]
    async with site.db.read() as conn:
        r = schema.requests.c
        query = select(r.actor, r.response).where(r.centre == site.code, r.action == "configure")
        recorded = (await conn.execute(query.order_by(r.created_at))).all()
    assert len(recorded) == 2 and all("manager" in row.actor for row in recorded), recorded
    assert "~ bookings pension 2026-12-01 14:00: places: 2 -> 4" in str(recorded[1].response)
