"""Bookings in a real browser, against a running site on SQLite: the desk books for someone on the
phone, a second booking past the limit is refused, a booking is moved and cancelled; the kiosk checks
in by the booking's code and by the ID number, the booked ticket is called before walk-ins who came
earlier, and a late arrival gets a walk-in ticket, said plainly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Page, ViewportSize, expect

from queue_server.app.commands import CallNext, Finish, IssueTicket
from queue_server.domain.tickets import Channel, Outcome
from queue_server.store.database import Database
from tests.browser import chromium
from tests.factories import make_centre
from tests.pages_support import DEVICES, WAIT_MS, RunningClock, Site, kiosk_page, log_in, running_site
from tests.test_bookings import BOOKINGS, ID

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

VIEWPORT: ViewportSize = {"width": 1366, "height": 900}
KIOSK: dict[str, int] = {"width": 1080, "height": 1920}
OTHER_ID = "110105200001010016"
HOUR = 3600.0


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, make_centre(devices=DEVICES, bookings=BOOKINGS), signed_on=((1, "s1"),)) as running:
        yield running


@pytest.fixture
async def desk(site: Site) -> AsyncIterator[Page]:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await log_in(page, site, "guide", then="/desk")
        await expect(page.locator("#book-slots label")).to_have_count(2, timeout=WAIT_MS)
        yield page
        assert not errors, errors


def clock_of(site: Site) -> RunningClock:
    clock = site.service.clock
    assert isinstance(clock, RunningClock)
    return clock


async def book_at_desk(page: Page, id_number: str, slot: int = 1) -> None:
    await page.locator("#book-slots input").nth(slot).check()
    await page.fill("#book-id", id_number)
    await page.fill("#book-phone", "138 1234 5678")
    await page.click("#book-button")


async def test_the_desk_books_refuses_a_second_booking_moves_and_cancels(site: Site, desk: Page) -> None:
    await expect(desk.locator("#book-slots input").first).to_be_disabled()  # 09:00 has begun
    await book_at_desk(desk, ID)
    await expect(desk.locator("#booking-message")).to_contain_text("已预约，预约码", timeout=WAIT_MS)
    code = await desk.locator("#booking-shown").inner_text()
    await expect(desk.locator("#booking-phone")).to_have_text("138****5678")
    await expect(desk.locator("#booking-state")).to_have_text("待签到")
    await expect(desk.locator("#book-slots label").nth(1)).to_contain_text("余1个", timeout=WAIT_MS)
    assert ID not in await desk.content()

    await book_at_desk(desk, ID)
    await expect(desk.locator("#book-form .form-error")).to_have_text(
        "每人最多同时有1个有效预约，请先办理或取消已有的预约", timeout=WAIT_MS
    )

    await desk.fill("#move-day", "2026-12-01")
    await desk.dispatch_event("#move-day", "change")
    await expect(desk.locator("#move-slots input")).to_have_count(2, timeout=WAIT_MS)
    await desk.locator("#move-slots input").first.check()
    await desk.click("#booking-move")
    await expect(desk.locator("#booking-message")).to_have_text("已改约", timeout=WAIT_MS)
    await expect(desk.locator("#booking-slot")).to_contain_text("09:00–09:30")

    await desk.fill("#booking-code", code.lower())
    await desk.click("#booking-find")
    await expect(desk.locator("#booking-shown")).to_have_text(code, timeout=WAIT_MS)
    await desk.click("#booking-cancel")
    await expect(desk.locator("#booking-state")).to_have_text("已取消", timeout=WAIT_MS)
    await expect(desk.locator("#booking-cancel")).to_be_hidden()
    await book_at_desk(desk, ID)  # cancelled: no longer counted against the limit
    await expect(desk.locator("#booking-state")).to_have_text("待签到", timeout=WAIT_MS)


async def test_the_desk_checks_in_by_code_and_by_id_number(site: Site, desk: Page) -> None:
    await book_at_desk(desk, ID)
    await expect(desk.locator("#booking-state")).to_have_text("待签到", timeout=WAIT_MS)
    await book_at_desk(desk, OTHER_ID)
    await expect(desk.locator("#booking-message")).to_contain_text("预约码", timeout=WAIT_MS)
    await desk.click("#booking-check-in")
    await expect(desk.locator("#booking .form-error")).to_contain_text("13:30以后签到", timeout=WAIT_MS)

    clock_of(site).advance(4.6 * HOUR)  # 13:36: the 14:00 slot's check-in is open
    await desk.click("#booking-check-in")
    await expect(desk.locator("#booking-state")).to_have_text("已签到", timeout=WAIT_MS)
    await expect(desk.locator("#booking-message")).to_contain_text("A001号　预约签到成功")
    await desk.fill("#check-in-id", ID)
    await desk.click("#check-in-id-button")
    await expect(desk.locator("#booking-message")).to_contain_text("A002号", timeout=WAIT_MS)
    await expect(desk.locator("#check-in-id")).to_have_value("")


async def kiosk_check_in(page: Page, typed: str) -> None:
    await page.click("#check-in-open")
    await page.fill("#check-in-input", typed)
    await page.press("#check-in-input", "Enter")  # a QR scanner types the code and Enter


async def called_next(site: Site, request_id: str) -> dict[str, Any]:
    answer = await site.act(CallNext(window=1), "staff:s1", request_id)
    ticket: dict[str, Any] = answer.body["ticket"]
    await site.act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", request_id + "-done")
    return ticket


async def test_the_kiosk_checks_in_by_code_and_id_and_booked_tickets_go_before_earlier_walk_ins(
    site: Site, desk: Page
) -> None:
    await book_at_desk(desk, ID)
    await expect(desk.locator("#booking-state")).to_have_text("待签到", timeout=WAIT_MS)
    code = await desk.locator("#booking-shown").inner_text()
    await book_at_desk(desk, OTHER_ID)
    await expect(desk.locator("#booking-shown")).not_to_have_text(code, timeout=WAIT_MS)
    clock_of(site).advance(4.6 * HOUR)  # 13:36
    walk_ins = [
        await site.act(IssueTicket(matter="pension", channel=Channel.KIOSK), "kiosk:k-1", f"w{n}") for n in range(3)
    ]
    async with kiosk_page(site, KIOSK) as kiosk:
        await kiosk_check_in(kiosk, code)
        await expect(kiosk.locator("#ticket-number")).to_have_text("A004", timeout=WAIT_MS)
        await expect(kiosk.locator("#ticket-booked")).to_contain_text("预约签到成功")
        await kiosk.click("#ticket-done")
        await kiosk_check_in(kiosk, OTHER_ID)
        await expect(kiosk.locator("#ticket-number")).to_have_text("A005", timeout=WAIT_MS)
        await kiosk.click("#ticket-done")
        await kiosk_check_in(kiosk, code)
        await expect(kiosk.locator("#refused-message")).to_contain_text("已签到、取消或失约", timeout=WAIT_MS)
    first = await called_next(site, "c1")
    assert first["number"] == walk_ins[0].body["ticket"]["number"], "13:36: the bookings are not due yet"
    clock_of(site).advance(0.5 * HOUR)  # 14:06: both bookings due; K=2 bounds how often a walk-in waits for them
    order = [(await called_next(site, f"c{n}"))["number"] for n in range(2, 6)]
    assert order == ["A004", "A005", "A002", "A003"]


async def test_a_late_arrival_gets_a_walk_in_ticket_said_plainly(site: Site, desk: Page) -> None:
    await book_at_desk(desk, ID)
    await expect(desk.locator("#booking-state")).to_have_text("待签到", timeout=WAIT_MS)
    code = await desk.locator("#booking-shown").inner_text()
    clock_of(site).advance(5.3 * HOUR)  # 14:18: 18 minutes past the slot's start, 15 allowed
    async with kiosk_page(site, KIOSK) as kiosk:
        await kiosk_check_in(kiosk, code)
        await expect(kiosk.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(kiosk.locator("#ticket-booked")).to_contain_text("预约已失效；已为您取普通号")
    hall = await site.service.hall("test")
    assert hall.ticket_by_number("A001").booked_from is None


async def test_a_centre_without_bookings_shows_no_bookings_card_and_no_check_in(db: Database) -> None:
    async with running_site(db, signed_on=((1, "s1"),)) as plain, chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, plain, "guide", then="/desk")
        await expect(page.locator("#glance-heading")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#bookings-heading")).to_have_count(0)
        async with kiosk_page(plain, KIOSK) as kiosk:
            await expect(kiosk.locator("#check-in-open")).to_be_hidden()
