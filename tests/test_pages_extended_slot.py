"""A Saturday morning's extended slot (延时服务) at the kiosk in Chromium: the hall is shown closed,
the slot's booking is checked in at the window it opens and called; a slot that takes walk-ins
offers its matters' tickets, and only those."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from queue_server.app import bookings as booking
from queue_server.app.commands import CallNext, SignOn
from queue_server.app.once import Once
from queue_server.domain.bookings import BookingChannel
from queue_server.store.database import Database
from tests.factories import shanghai
from tests.pages_support import DEVICES, WAIT_MS, RunningClock, kiosk_page, running_site
from tests.test_bookings import ID
from tests.test_extended_slots import SLOT, centre_with
from tests.test_pages_bookings import KIOSK, kiosk_check_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("walk_ins", [False, True])
async def test_a_saturday_slot_checks_in_its_bookings_at_the_kiosk(db: Database, walk_ins: bool) -> None:
    async with running_site(db, centre_with(walk_ins, devices=DEVICES), start=shanghai(2026, 12, 4, 10, 0)) as site:
        asked = booking.BookingAsked("pension", SLOT, ID, "13812345678", BookingChannel.DESK)
        booked = await booking.book(site.service, Once(site.code, "guide:g", "b-1"), asked, b"k" * 32)
        assert booked.ok, booked.body
        clock = site.service.clock
        assert isinstance(clock, RunningClock)
        clock.advance((shanghai(2026, 12, 5, 9, 5) - clock.now()).total_seconds())  # Saturday 09:05
        await site.act(SignOn(window=1, staff="s1"), "staff:s1", "on-1")
        async with kiosk_page(site, KIOSK) as kiosk:
            pension = kiosk.locator("button.matter[data-matter='pension']")
            medical = kiosk.locator("button.matter[data-matter='medical']")
            if walk_ins:
                await expect(pension).to_be_enabled(timeout=WAIT_MS)
                await expect(medical).to_be_disabled()
            else:
                await expect(kiosk.locator("#closed-notice")).to_be_visible(timeout=WAIT_MS)
            await kiosk_check_in(kiosk, booked.body["code"])
            await expect(kiosk.locator("#ticket-booked")).to_contain_text("预约签到成功", timeout=WAIT_MS)
        called = await site.act(CallNext(window=1), "staff:s1", "call-1")
        assert called.body["ticket"]["booked_from"] == SLOT.isoformat()
