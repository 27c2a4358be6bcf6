"""A matter's service guide before the queue, in Chromium: one tap from the matter on the kiosk and
back to the ticket, under the ticket on the citizen's phone, and as a printable page; a matter
whose guide was never entered says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from queue_server.domain.centre import Centre
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import DEVICES, WAIT_MS, Site, kiosk_page, running_site
from tests.test_guides import with_pension_guide

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PORTRAIT = {"width": 1080, "height": 1920}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    centre = Centre.model_validate({**with_pension_guide(), "devices": DEVICES})
    async with running_site(db, centre, signed_on=((1, "s1"), (3, "s3"))) as running:
        yield running


async def test_the_guide_is_one_tap_from_the_matter_and_leads_back_to_the_ticket(site: Site, tmp_path: Path) -> None:
    async with kiosk_page(site, PORTRAIT) as page:
        await page.click("button.matter[data-matter=pension]")
        await page.click("#green-guide")
        guide = page.locator("#screen-guide")
        await expect(guide.locator("#guide-heading")).to_have_text("养老保险待遇领取")
        await expect(guide.locator("#guide-missing")).to_be_hidden()
        await expect(guide.locator("#guide-materials li")).to_have_text(
            [
                "居民身份证（原件，1份）",
                "社会保障卡（原件及复印件，2份）；复印件正反面",
                "待遇申领表（现场填写，1份）；窗口提供",
            ]
        )
        await expect(guide.locator("#guide-procedure li")).to_have_count(2)
        await expect(guide.locator("#guide-basis")).to_have_text("《中华人民共和国社会保险法》")
        await expect(guide.locator("#guide-source")).to_have_text("来源：测试用办事指南")
        await assert_accessible(page, "the kiosk's guide before a ticket")
        keep_screenshot(await page.screenshot(), "kiosk-guide-full.png", tmp_path)
        await page.click("#guide-take")
        await page.click("button[data-category='']")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        status = (await page.locator("#ticket-qr").get_attribute("src") or "").removesuffix("/qr.svg")

        await page.goto(f"{site.url}/kiosk")
        await page.click("button.matter[data-matter=id_card]")
        await page.click("#green-guide")
        await expect(page.locator("#guide-missing")).to_be_visible()
        await expect(page.locator("#screen-guide .guide-full").first).to_be_hidden()

    async with chromium() as browser:
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        await phone.goto(f"{site.url}{status}")
        await phone.locator("#guide summary").click()
        await expect(phone.locator("#guide .guide-materials li")).to_have_count(3)
        await expect(phone.locator("#guide")).to_contain_text("材料齐全的即时办结")
        await assert_accessible(phone, "the ticket's page with the guide open")
        await phone.locator("#guide a").click()
        await expect(phone.locator("h1")).to_have_text("养老保险待遇领取")
        await expect(phone.locator(".guide-centre")).to_contain_text("测试便民服务中心")
        await assert_accessible(phone, "the printable guide")
        sheet = await browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
        await sheet.goto(f"{site.url}/guide/test/pension")
        await sheet.emulate_media(media="print")
        keep_screenshot(await sheet.screenshot(full_page=True), "guide-print.png", tmp_path)
        assert len(await sheet.pdf(format="A4")) > 1000
        missing = await browser.new_page()
        reply = await missing.goto(f"{site.url}/guide/test/nothing")
        assert reply is not None and reply.status == 404
