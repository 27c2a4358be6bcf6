"""A rating code belongs to one service, never to a window: the window display shows a new one after
each finish, the next finish retires the old one, and the page it opens refuses a retired code
saying it has expired and why (in Chromium). A code rates its own service once."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import Page, expect
from pyzbar.pyzbar import decode
from sqlalchemy import select

from queue_server.app.commands import CallNext, Finish, IssueTicket, RateTicket, StartServing
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.errors import InvalidTransition, NotAllowed
from queue_server.domain.events import RatingCodeRetired, replay
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Outcome
from queue_server.protocol.payloads import WindowState
from queue_server.protocol.topics import WINDOW_STATE
from queue_server.store.database import Database
from queue_server.store.schema import outbox, tickets
from tests.accessibility import assert_accessible
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.display_support import display
from tests.factories import make_hall
from tests.pages_support import WAIT_MS, Site, running_site


def serve(hall: Any, window: int) -> int:
    serial = hall.issue("pension").ticket.serial
    hall.call_next(window)
    hall.finish(window, Outcome.ON_THE_SPOT)
    return int(serial)


def test_each_finish_makes_a_code_and_the_next_finish_at_the_window_retires_it() -> None:
    codes = iter(["code-one-0123456789", "code-two-0123456789", "code-three-23456789"])
    hall, _ = make_hall()
    hall.new_code = lambda: next(codes)
    first = serve(hall, 1)
    assert hall.ticket(first).rating_code == "code-one-0123456789"
    assert hall.check_rating_code(first, "code-one-0123456789").serial == first
    with pytest.raises(NotAllowed, match="not the ticket's rating code") as wrong:
        hall.check_rating_code(first, "code-two-0123456789")
    assert wrong.value.code == "rating_code_wrong"

    other_window = serve(hall, 2)  # another window's finish leaves window 1's code alone
    assert hall.ticket(first).rating_code_retired_at is None
    assert hall.ticket(other_window).rating_code == "code-two-0123456789"

    second = serve(hall, 1)
    retired = hall.ticket(first)
    assert retired.rating_code_retired_at is not None
    assert retired.rating_code == "code-one-0123456789", "kept, so the page can say why it is refused"
    with pytest.raises(InvalidTransition, match="the code has expired, window 1 finished its next service") as old:
        hall.check_rating_code(first, "code-one-0123456789")
    assert old.value.code == "rating_code_retired"
    assert hall.check_rating_code(second, "code-three-23456789").serial == second
    # the ticket's own QR (its page) still rates the first service, once
    hall.rate(first, RatingLevel.SATISFIED, source="citizen")
    events = hall.ticket_log(first)
    assert [type(e) for e in events].count(RatingCodeRetired) == 1
    assert replay(events) == hall.ticket(first), "state = history"


async def window_states(db: Database) -> list[WindowState]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(outbox.c.payload, outbox.c.seq)
            .where(outbox.c.subject == WINDOW_STATE.subject(number=1))
            .order_by(outbox.c.id)
        )
        return [WindowState.model_validate({**row.payload, "seq": row.seq}) for row in rows]


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


async def serve_at_one(site: Site, n: int) -> None:
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", f"issue-{n}")
    await site.act(CallNext(window=1), "staff:s1", f"call-{n}")
    await site.act(StartServing(window=1), "staff:s1", f"start-{n}")
    await site.act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", f"finish-{n}")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_the_window_state_carries_the_services_code_until_the_next_call(site: Site) -> None:
    await serve_at_one(site, 1)
    shown = (await window_states(site.db))[-1].rating
    assert shown is not None and shown.number == "A001" and shown.path == f"/rate/{shown.code}"
    assert len(shown.code) >= 22
    async with site.db.read() as conn:
        stored = (await conn.execute(select(tickets.c.rating_code).where(tickets.c.serial == shown.serial))).scalar()
    assert stored == shown.code
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue-2")
    await site.act(CallNext(window=1), "staff:s1", "call-2")
    assert (await window_states(site.db))[-1].rating is None, "the next citizen at the window sees no code"
    await site.act(StartServing(window=1), "staff:s1", "start-2")
    await site.act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", "finish-2")
    after = (await window_states(site.db))[-1].rating
    assert after is not None and after.number == "A002" and after.code != shown.code
    old = await site.service.act(
        "test",
        RateTicket(serial=shown.serial, level=RatingLevel.SATISFIED, code=shown.code),
        actor="citizen",
        request_id="old-code",
    )
    assert old.refusal is not None and old.refusal.code is not None
    assert old.refusal.code.value == "rating_code_retired"
    assert old.refusal.message is not None and "评价码已过期" in old.refusal.message
    # rated on the pad: the code leaves the display at once
    await site.act(RateTicket(serial=after.serial, level=RatingLevel.SATISFIED, window=1), "device:pad-1", "pad")
    assert (await window_states(site.db))[-1].rating is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_code_page_rates_its_service_once_and_refuses_an_old_code(site: Site) -> None:
    await serve_at_one(site, 1)
    first = (await window_states(site.db))[-1].rating
    await serve_at_one(site, 2)
    second = (await window_states(site.db))[-1].rating
    assert first is not None and second is not None
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"{site.url}{first.path}")  # a photo of the display, taken after the first finish
        await expect(page.locator("#rate-closed-heading")).to_have_text("评价码已过期", timeout=WAIT_MS)
        await expect(page.locator("#rate-closed-detail")).to_contain_text("已办结下一位群众的业务")
        await expect(page.locator("#rate-closed-detail")).to_contain_text("A001号")
        await expect(page.locator("#rate-form")).to_have_count(0)
        await assert_accessible(page, "the rating page")

        await page.goto(f"{site.url}{second.path}")
        await expect(page.locator("#rate-heading")).to_contain_text("A002号")
        await page.click("#rate-submit")  # no level chosen: the browser's own check, then ours
        await page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
        await page.click("#rate-submit")
        await expect(page.locator("#rate-error")).to_have_text("请选择满意程度")
        await page.check("input[name=level][value='2']")
        await page.click("#rate-submit")
        await expect(page.locator("#rate-error")).to_have_text("请至少选择一个不满意的原因")
        await page.check("input[name=level][value='5']")
        await page.select_option("#item-attitude", "5")
        await page.click("#rate-submit")
        await expect(page.locator("#rate-closed-heading")).to_have_text("此次服务已评价", timeout=WAIT_MS)
        await assert_accessible(page, "the rating page")

        await page.goto(f"{site.url}/rate/not-a-code-of-anything-at-all")
        await expect(page.locator("#error-heading")).to_have_text("此评价码无效")
    async with site.db.read() as conn:
        row = (
            await conn.execute(
                select(tickets.c.rating, tickets.c.rating_items).where(tickets.c.serial == second.serial)
            )
        ).one()
    assert (row.rating, row.rating_items) == (5, [0, 0, 5])


async def qr_on(screen: Page) -> str:
    picture = Image.open(io.BytesIO(await screen.locator("#rating-qr").screenshot()))
    (found,) = decode(picture)
    return str(found.data.decode())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_window_display_shows_each_services_qr_and_a_photo_of_an_old_one_is_refused(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with (
        running_site(db, broker=broker, signed_on=((1, "s1"),)) as site,
        display(mosquitto, window=1, server_url=site.url) as display_url,
        chromium() as browser,
    ):
        screen = await browser.new_page(viewport={"width": 1280, "height": 720})
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await screen.goto(display_url)
        await serve_at_one(site, 1)
        await expect(screen.locator("#rating-text")).to_have_text("请扫码评价 A001 号的服务", timeout=WAIT_MS)
        await expect(screen.locator("#rating-qr")).to_have_js_property("complete", True)
        photographed = await qr_on(screen)
        assert photographed.startswith(f"{site.url}/rate/")
        await assert_accessible(screen, "the window display with its rating QR")
        keep_screenshot(await screen.screenshot(), "window-display-rating-qr.png", tmp_path)

        await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue-2")
        await site.act(CallNext(window=1), "staff:s1", "call-2")
        await expect(screen.locator("#window-rating")).to_be_hidden(timeout=WAIT_MS)  # the next citizen is here
        await site.act(StartServing(window=1), "staff:s1", "start-2")
        await site.act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", "finish-2")
        await expect(screen.locator("#rating-text")).to_have_text("请扫码评价 A002 号的服务", timeout=WAIT_MS)
        await expect(screen.locator("#rating-qr")).not_to_have_attribute("src", re.compile(photographed[-22:]))
        await expect(screen.locator("#rating-qr")).to_have_js_property("complete", True)
        current = await qr_on(screen)
        assert current != photographed

        await phone.goto(photographed)  # the first citizen's photo of the screen, used after the next finish
        await expect(phone.locator("#rate-closed-heading")).to_have_text("评价码已过期", timeout=WAIT_MS)
        await expect(phone.locator("#rate-closed-detail")).to_contain_text("此码只能评价A001号的那一次服务")
        keep_screenshot(await phone.screenshot(), "rate-code-expired.png", tmp_path)
        await phone.goto(current)
        await phone.check("input[name=level][value='4']")
        await phone.click("#rate-submit")
        await expect(phone.locator("#rate-closed-heading")).to_have_text("此次服务已评价", timeout=WAIT_MS)
        await expect(screen.locator("#window-rating")).to_be_hidden(timeout=WAIT_MS)  # rated: off the screen
