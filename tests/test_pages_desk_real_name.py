"""The desk in Chromium for a real-name matter: the ID number is asked only there, and a mistyped
one or a person's ticket past the day's limit is refused in words."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from queue_server.domain.tickets import Category
from queue_server.store.database import Database
from tests.browser import chromium
from tests.factories import make_centre
from tests.id_numbers import ELDERLY, mistyped
from tests.pages_support import DEVICES, WAIT_MS, Site, log_in, running_site
from tests.test_pages_desk import VIEWPORT
from tests.test_real_name import real_name_centre

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    matters = [m.model_dump(mode="json") for m in real_name_centre().matters]
    centre = make_centre(matters=matters, devices=DEVICES, policy={"real_name_tickets_per_day": 1})
    async with running_site(db, centre, signed_on=((1, "s1"),)) as running:
        yield running


async def test_the_desk_asks_the_id_number_only_for_a_real_name_matter(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "guide", then="/desk")
        await page.fill("#matter-search", "医疗")
        await page.press("#matter-search", "Enter")
        await expect(page.locator("input[value=medical]")).to_be_checked(timeout=WAIT_MS)
        await expect(page.locator("#real-name-row")).to_be_hidden()

        await page.fill("#matter-search", "养老")
        await page.press("#matter-search", "Enter")
        await expect(page.locator("#real-name-row")).to_be_visible(timeout=WAIT_MS)
        await page.click("#issue-button")
        await expect(page.locator("#issue-form .form-error")).to_have_text(
            "「养老保险待遇领取」实行实名取号，请提供身份证号码", timeout=WAIT_MS
        )
        await page.fill("#issue-id-number", mistyped(ELDERLY))
        await page.click("#issue-button")
        await expect(page.locator("#issue-form .form-error")).to_have_text("身份证号码有误，请核对", timeout=WAIT_MS)
        await page.fill("#issue-id-number", ELDERLY)
        await page.click("#issue-button")
        await expect(page.locator("#issued-number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(page.locator("#issued-green")).to_contain_text("老年人")
        await expect(page.locator("#issue-id-number")).to_have_value("")

        await page.fill("#matter-search", "养老")
        await page.press("#matter-search", "Enter")
        await page.fill("#issue-id-number", ELDERLY)
        await page.click("#issue-button")
        await expect(page.locator("#issue-form .form-error")).to_have_text(
            "实名取号每人每天最多1个，该身份证号码今天已取满", timeout=WAIT_MS
        )
    hall = await site.service.hall(site.code)
    assert [(t.number, t.category) for t in hall.tickets()] == [("A001", Category.ELDERLY)]
