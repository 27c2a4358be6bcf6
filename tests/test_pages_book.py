"""The public booking page on a phone, in a real browser: with no SMS gateway it says plainly that
bookings are made at the desk, and lists what can be booked and the rules; and the code limits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from queue_server.app.booking_codes import PublicBookingLimits, codes_offered
from queue_server.app.notices import Notifier
from queue_server.app.sms_sender import SmsSender
from queue_server.app.sms_settings import NoticeKind
from queue_server.store.database import Database
from queue_server.web.keys import BOOKING_LIMITS
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.factories import make_centre
from tests.fake_sms import FakeSms
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


class Texts:
    """What the fake provider was sent, as the citizen's phone shows it."""

    def __init__(self, fake: FakeSms, sender: SmsSender) -> None:
        self.fake, self.sender = fake, sender

    async def code(self, page: Page, status: str) -> str:
        await expect(page.locator(status)).to_contain_text("验证码已发送至138****8000", timeout=WAIT_MS)
        await self.sender.send_due()
        found = re.search(r"验证码为(\d{6})", self.fake.texts()[-1])
        assert found is not None
        return found.group(1)


async def book_on_the_phone(page: Page, texts: Texts, tmp_path: Path) -> str:
    """Book 1 December 09:00 with a wrong code first, then the right one; the booking's code."""
    await page.fill("#book-day", "2026-12-01")
    slots = page.locator("#book-slots label")
    await expect(slots).to_have_text(["09:00–09:30　余3个", "14:00–14:30　余2个"], timeout=WAIT_MS)
    await slots.first.locator("input").check()
    await page.fill("#book-phone", "138 0013 8000")
    await page.click("#book-send-code")
    code = await texts.code(page, "#book-code-sent")
    await page.fill("#book-code", f"{(int(code) + 1) % 1_000_000:06d}")
    await page.click("#book-submit")
    await expect(page.locator("#book-form .form-error")).to_have_text("验证码不正确，还可再试4次。")
    await page.fill("#book-code", code)
    await page.check("#book-reminder")
    await page.click("#book-submit")
    await expect(page.locator("#booked")).to_be_visible(timeout=WAIT_MS)
    booking = (await page.locator("#booked-code").text_content()) or ""
    assert re.fullmatch(r"[A-Z0-9]{8}", booking), booking
    await expect(page.locator("#booked-slot")).to_have_text("12/01 09:00–09:30")
    await expect(page.locator("#booked-qr")).to_have_js_property("complete", True)
    assert await page.locator("#booked-qr").evaluate("img => img.naturalWidth") > 0, "the QR is drawn"
    await expect(slots.first).to_have_text("09:00–09:30　余2个")
    await texts.sender.send_due()
    assert texts.fake.texts()[-1].endswith(f"预约号{booking}。"), "the confirmation texted"
    await assert_accessible(page, "the public booking page, booked")
    keep_screenshot(await page.screenshot(), "book-phone.png", tmp_path)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "no sideways scrolling on a phone"
    return booking


async def move_and_cancel(page: Page, texts: Texts, booking: str) -> None:
    await expect(page.locator("#manage-booking")).to_have_value(booking)
    await page.fill("#manage-day", "2026-12-01")
    move_slots = page.locator("#manage-slots label")
    await expect(move_slots).to_have_count(2, timeout=WAIT_MS)
    await move_slots.nth(1).locator("input").check()
    await page.click("#manage-send-code")
    await page.fill("#manage-code", await texts.code(page, "#manage-code-sent"))
    await page.click("#manage-move")
    await expect(page.locator("#manage-done")).to_have_text(f"预约{booking}已改到12/01 14:00–14:30。")
    await expect(page.locator("#booked-slot")).to_have_text("12/01 14:00–14:30")
    await page.click("#manage-send-code")
    await page.fill("#manage-code", await texts.code(page, "#manage-code-sent"))
    await page.click("#manage-cancel")
    await expect(page.locator("#manage-done")).to_have_text(f"预约{booking}已取消。")
    await expect(page.locator("#booked")).to_be_hidden()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_book_on_the_phone_with_the_texted_code_then_move_and_cancel(site: Site, tmp_path: Path) -> None:
    async with fake_provider() as fake:
        settings = sms_settings(fake)
        site.service.notifier.settings = settings
        texts = Texts(fake, SmsSender(site.db, settings, site.service.clock))
        assert site.app is not None
        limits = site.app[BOOKING_LIMITS]
        limits.per_number = limits.per_address = 10  # the limits themselves: tests/test_api_public_bookings.py
        async with chromium() as browser:
            page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{site.url}/book/test")
            assert await page.locator("#book-at-desk").count() == 0, "a centre that texts codes books online"
            booking = await book_on_the_phone(page, texts, tmp_path)

            await page.locator("#book-slots label").nth(1).locator("input").check()  # again, by the same number
            await page.click("#book-send-code")
            await page.fill("#book-code", await texts.code(page, "#book-code-sent"))
            await page.click("#book-submit")
            await expect(page.locator("#book-form .form-error")).to_have_text(
                "每人最多同时有1个有效预约，请先办理或取消已有的预约"
            )

            await move_and_cancel(page, texts, booking)
            slots = page.locator("#book-slots label")
            await expect(slots).to_have_text(["09:00–09:30　余3个", "14:00–14:30　余2个"])
            assert "13800138000" not in await page.content(), "the number is shown masked only"
            assert not errors, errors
