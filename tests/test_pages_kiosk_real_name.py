"""The kiosk in Chromium for a real-name matter: it asks the ID number (typed on its keypad, or by a
reader that types it), answers the green channel's age question from its birth date, and refuses
the (N+1)th ticket of a person's day in words."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from queue_server.domain.tickets import Category
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium
from tests.factories import make_centre
from tests.id_numbers import ELDERLY, YOUNG, mistyped
from tests.pages_support import DEVICES, WAIT_MS, Site, enrol_kiosk, running_site
from tests.test_real_name import real_name_centre

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    matters = [m.model_dump(mode="json") for m in real_name_centre().matters]
    centre = make_centre(matters=matters, devices=DEVICES, policy={"real_name_tickets_per_day": 2})
    async with running_site(db, centre, signed_on=((1, "s1"), (2, "s2"))) as running:
        yield running


async def take(page: Page, number: str, *, by_reader: bool = False) -> None:
    """Choose the real-name matter and give ``number``: on the keypad, or typed by a reader with Enter."""
    await page.click("button.matter[data-matter=pension]")
    await expect(page.locator("#id-heading")).to_be_visible(timeout=WAIT_MS)
    if by_reader:
        await page.locator("#id-input").press_sequentially(number)
        await page.locator("#id-input").press("Enter")
        return
    for key in number:
        await page.click(f"#id-keypad button[data-key='{key}']")
    await page.click("#id-submit")


async def test_a_real_name_matter_asks_the_id_number_and_refuses_the_third_ticket_in_words(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1080, "height": 1920})
        await enrol_kiosk(page, site)
        await expect(page.locator("button.matter").first).to_be_visible(timeout=WAIT_MS)

        await page.click("button.matter[data-matter=medical]")
        await expect(page.locator("#green-heading")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#screen-id")).to_be_hidden()  # a matter without real name asks nothing
        await page.click("#green-back")

        await page.click("button.matter[data-matter=pension]")
        await expect(page.locator("#id-help")).to_contain_text("每人每天限取2个号", timeout=WAIT_MS)
        await assert_accessible(page, "the kiosk's ID number screen")
        await page.click("#id-back")

        await take(page, YOUNG)  # 36: asked the other grounds, not the age one
        await expect(page.locator("#green-heading")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("button[data-category=elderly]")).to_be_hidden()
        await expect(page.locator("button[data-category=disabled]")).to_be_visible()
        await page.click("#choices button[data-category='']")
        await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(page.locator("#ticket-green")).to_be_hidden()
        await page.click("#ticket-done")

        await take(page, YOUNG, by_reader=True)
        await page.click("#choices button[data-category='']", timeout=WAIT_MS)
        await expect(page.locator("#ticket-number")).to_have_text("A002", timeout=WAIT_MS)
        await page.click("#ticket-done")

        await take(page, YOUNG)
        await page.click("#choices button[data-category='']", timeout=WAIT_MS)
        await expect(page.locator("#refused-message")).to_have_text(
            "实名取号每人每天最多2个，该身份证号码今天已取满", timeout=WAIT_MS
        )
        await page.click("#refused-done")

        await take(page, mistyped(ELDERLY))  # refused before any question: the number is checked first
        await expect(page.locator("#refused-message")).to_have_text("身份证号码有误，请核对", timeout=WAIT_MS)
        await page.click("#refused-done")

        await take(page, ELDERLY)  # 76: the green channel without asking
        await expect(page.locator("#ticket-number")).to_have_text("A003", timeout=WAIT_MS)
        await expect(page.locator("#ticket-green")).to_be_visible()

        html = await page.content()
        assert YOUNG not in html and ELDERLY not in html, "the number leaves the screen with the ticket"
    hall = await site.service.hall(site.code)
    assert [(t.number, t.category) for t in sorted(hall.tickets(), key=lambda t: t.serial)] == [
        ("A001", None),
        ("A002", None),
        ("A003", Category.ELDERLY),
    ]
    assert all(t.person is not None and len(t.person) == 64 for t in hall.tickets())
