"""The kiosk knows before a tap whether a ticket can be had: a closed hall, a matter without an open
window, the flip at opening time by itself, a refusal said once, and the 24-hour self-service area."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.async_api import expect

from queue_server.app.commands import SignOff, SignOn
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import keep_screenshot
from tests.factories import make_centre, shanghai
from tests.pages_support import WAIT_MS, kiosk_page, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SUNDAY = shanghai(2026, 12, 6, 10, 0)
"""The test centre opens Monday to Friday, 08:30-12:00 and 14:00-17:30."""
PORTRAIT = {"width": 1080, "height": 1920}


async def test_on_a_closed_day_the_start_screen_says_when_the_hall_opens_and_nothing_can_be_tapped(
    db: Database, tmp_path: Path
) -> None:
    async with running_site(db, start=SUNDAY) as site, kiosk_page(site, PORTRAIT) as page:
        await expect(page.locator("#start-heading")).to_have_text(
            "今日休息，下次开放：12月7日 周一 08:30", timeout=WAIT_MS
        )
        await expect(page.locator("#closed-hours")).to_have_text("12月7日 周一办公时间：08:30–12:00，14:00–17:30")
        await expect(page.locator("#closed-self-service")).to_be_hidden()
        pension = page.locator("button.matter[data-matter=pension]")
        await expect(pension).to_have_attribute("aria-disabled", "true")
        await expect(pension.locator(".matter-reason")).to_have_text("今日不办公")
        await assert_accessible(page, "the kiosk on a closed day")
        keep_screenshot(await page.screenshot(), "kiosk-closed.png", tmp_path)
        async with page.expect_request(lambda r: "say=closed" in r.url) as asked:
            await page.click("#large-mode")  # large text and the voice: it says when the hall opens again
        spoken = await (await asked.value).response()
        assert spoken is not None and spoken.status == 200
        await assert_accessible(page, "the kiosk on a closed day in large text", enhanced_contrast=True)
        await pension.click(force=True)  # a tap on it, as a finger would: nothing starts
        await page.wait_for_timeout(600)
        await expect(page.locator("#screen-start")).to_be_visible()
        await expect(page.locator("#screen-green")).to_be_hidden()

        await page.click("#lang-switch")
        await expect(page.locator("#start-heading")).to_have_text(
            "Closed today. Opens again Mon 7 December 08:30", timeout=WAIT_MS
        )
        assert (await site.service.hall(site.code)).last_serial == 0


async def test_a_matter_without_an_open_window_is_shown_so_until_a_window_opens(db: Database) -> None:
    async with running_site(db) as site, kiosk_page(site, PORTRAIT) as page:  # Monday 09:00, nobody signed on
        pension = page.locator("button.matter[data-matter=pension]")
        id_card = page.locator("button.matter[data-matter=id_card]")
        await expect(page.locator("#start-heading")).to_have_text("请选择您要办理的事项")
        await expect(page.locator("#closed-notice")).to_be_hidden()
        await expect(pension.locator(".matter-reason")).to_have_text("暂无窗口办理", timeout=WAIT_MS)
        await assert_accessible(page, "the kiosk with matters that cannot be had now")

        await site.act(SignOn(window=1, staff="s1"), "staff:s1", "on-1")
        await expect(pension.locator(".matter-reason")).to_be_hidden(timeout=WAIT_MS)
        await expect(pension).to_have_attribute("aria-disabled", "false")
        await expect(id_card.locator(".matter-reason")).to_have_text("暂无窗口办理")
        await pension.click()
        await expect(page.locator("#screen-green")).to_be_visible()


async def test_a_kiosk_left_alone_opens_at_half_past_eight_by_itself(db: Database) -> None:
    before = shanghai(2026, 11, 30, 8, 30) - dt.timedelta(seconds=20)
    async with running_site(db, start=before, signed_on=((1, "s1"),)) as site, kiosk_page(site, PORTRAIT) as page:
        await expect(page.locator("#start-heading")).to_have_text("尚未开始办公，08:30 开始取号")
        pension = page.locator("button.matter[data-matter=pension]")
        await expect(pension.locator(".matter-reason")).to_have_text("未到取号时间")
        await expect(page.locator("#start-heading")).to_have_text("请选择您要办理的事项", timeout=40_000)
        await expect(pension.locator(".matter-reason")).to_be_hidden()
        await pension.click()
        await page.click("button[data-category='']")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)


async def test_a_refusal_after_the_tap_is_said_once(db: Database) -> None:
    """The window closes while the citizen answers the green-channel question: one sentence says why."""
    async with running_site(db, signed_on=((1, "s1"),)) as site, kiosk_page(site, PORTRAIT) as page:
        await page.click("button.matter[data-matter=pension]")
        await expect(page.locator("#screen-green")).to_be_visible()
        await site.act(SignOff(window=1, staff="s1"), "staff:s1", "off-1")
        await expect(page.locator("button[data-category='']")).to_be_enabled()
        await page.click("button[data-category='']")
        message = page.locator("#refused-message")
        await expect(message).to_have_text(
            "目前没有办理「养老保险待遇领取」的窗口开放，请到咨询导办台咨询。", timeout=WAIT_MS
        )
        text = await page.locator("#screen-refused").inner_text()
        assert text.count("咨询导办台") == 1, text
        await assert_accessible(page, "the kiosk's refusal")
        await page.click("#refused-done")
        await expect(page.locator("#screen-start")).to_be_visible()
        assert (await site.service.hall(site.code)).last_serial == 0


SELF_SERVICE = [
    {"id": "k-1", "kind": "kiosk", "printer": "printer-1", "self_service_area": True},
    {"id": "printer-1", "kind": "printer"},
]
"""Kiosk k-1 in the 24-hour self-service area, and its printer."""


async def test_in_the_24_hour_area_a_closed_hall_offers_the_guides_and_issues_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with (
        running_site(db, make_centre(devices=SELF_SERVICE), start=SUNDAY) as site,
        kiosk_page(site, PORTRAIT) as page,
    ):
        await expect(page.locator("#start-heading")).to_have_text(
            "今日休息，下次开放：12月7日 周一 08:30", timeout=WAIT_MS
        )
        await expect(page.locator("#closed-self-service")).to_be_visible()
        pension = page.locator("button.matter[data-matter=pension]")
        await expect(pension).to_have_attribute("aria-disabled", "false")
        await expect(pension.locator(".matter-reason")).to_be_hidden()
        await assert_accessible(page, "the 24-hour kiosk while the hall is closed")

        await pension.click()
        await expect(page.locator("#guide-heading")).to_have_text("养老保险待遇领取")
        await expect(page.locator("#guide-heading")).to_be_focused()
        await expect(page.locator("#guide-materials li")).to_have_text(["居民身份证", "户口簿", "银行卡"])
        await expect(page.locator("#guide-windows")).to_have_text(
            "1号窗口 综合受理，2号窗口 综合受理，9号窗口 绿色通道"
        )
        await expect(page.locator("#guide-time")).to_have_text("10 分钟")
        await expect(page.locator("#guide-promised")).to_have_text("5 个工作日")
        await expect(page.locator("#guide-closed p")).to_have_text(
            ["今日休息，下次开放：12月7日 周一 08:30", "12月7日 周一办公时间：08:30–12:00，14:00–17:30"]
        )
        await expect(page.locator("#guide-back")).to_be_enabled()
        await assert_accessible(page, "a matter's guide in the 24-hour area")
        keep_screenshot(await page.screenshot(), "kiosk-guide.png", tmp_path)
        await page.click("#guide-back")
        await expect(page.locator("#screen-start")).to_be_visible()
        await page.click("button.matter[data-matter=medical]")
        await expect(page.locator("#guide-promised")).to_have_text("即办件，材料齐全当场办结")
        await expect(page.locator("#guide-missing")).to_be_visible()
        assert (await site.service.hall(site.code)).last_serial == 0
