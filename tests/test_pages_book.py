"""The public booking page on a phone, in a real browser: with no SMS gateway it says plainly that
bookings are made at the desk, and lists what can be booked and the rules; and the code limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import expect

from queue_server.app.booking_codes import PublicBookingLimits, codes_offered
from queue_server.app.notices import Notifier
from queue_server.app.sms_settings import NoticeKind
from queue_server.store.database import Database
from tests.browser import chromium
from tests.factories import make_centre
from tests.pages_support import DEVICES, WAIT_MS, Site, running_site
from tests.sms_support import TEMPLATES, fake_provider, sms_settings
from tests.test_bookings import BOOKINGS

PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    centre = make_centre(
        devices=DEVICES, bookings=BOOKINGS, centre={"phone": "0571-12345678", "address": "滨江区江南大道1号"}
    )
    async with running_site(db, centre) as running:
        yield running


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_without_a_gateway_the_phone_page_says_to_book_at_the_desk(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{site.url}/book/test")
        await expect(page.locator("#book-at-desk")).to_contain_text("请到大厅的咨询导办台预约", timeout=WAIT_MS)
        await expect(page.locator("#book-phone")).to_have_text("咨询电话：0571-12345678")
        await expect(page.locator("#book-matters li")).to_have_count(2)  # pension, and id_card by its group
        await expect(page.locator("#book-matters li").first).to_contain_text("09:00–09:30　14:00–14:30")
        await expect(page.locator("#book-matters li").first).to_contain_text("延时服务：周六 09:00–12:00")
        await expect(page.locator("#book-rules")).to_contain_text("迟到超过15分钟，预约失效")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "no sideways scrolling on a phone"
        await page.goto(f"{site.url}/book/test?lang=en")
        await expect(page.locator("#book-at-desk")).to_contain_text("Book at the hall's consultation desk")
        await expect(page.locator("#book-matters li").first).to_contain_text("Extended hours: Sat 09:00–12:00")
        assert not errors, errors
    async with aiohttp.ClientSession() as http, http.get(f"{site.url}/book/nowhere") as answer:
        assert answer.status == 404
        assert "找不到这个服务中心" in await answer.text()


def test_codes_are_offered_only_with_the_code_template_and_limited_per_address_and_per_number() -> None:
    fake = fake_provider()
    assert not codes_offered(Notifier(None), "test")
    assert codes_offered(Notifier(sms_settings(fake)), "test")
    assert not codes_offered(Notifier(sms_settings(fake)), "other"), "a centre absent from the settings"
    templates = {kind: code for kind, code in TEMPLATES.items() if kind is not NoticeKind.CODE}
    assert not codes_offered(Notifier(sms_settings(fake, templates=templates)), "test"), "no code template"
    now = [0.0]
    limits = PublicBookingLimits(lambda: now[0], per_address=3, per_number=1)
    assert limits.take("10.0.0.1", "13800000001") is None
    wait = limits.take("10.0.0.1", "13800000001")
    assert wait is not None and 59 <= wait <= 60, "one code a minute per number"
    assert limits.take("10.0.0.1", "13800000002") is None
    assert limits.take("10.0.0.1", "13800000003") is None
    assert limits.take("10.0.0.1", "13800000004") is not None, "three a minute per address"
    assert limits.take("10.0.0.2", "13800000004") is None, "a refusal counted nothing against the number"
    now[0] = 60.0
    assert limits.take("10.0.0.1", "13800000001") is None
