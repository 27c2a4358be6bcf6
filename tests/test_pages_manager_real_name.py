"""The manager's Matters tab in Chromium: a matter made real-name, and the limit per person a day."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from queue_server.store.database import Database
from tests.browser import chromium
from tests.pages_support import WAIT_MS, Site, running_site
from tests.test_pages_manager import VIEWPORT, _stored, manager_page

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db) as running:
        yield running


async def test_the_manager_makes_a_matter_real_name_and_sets_the_limit(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, tab="matters")
        limit = page.locator("#real-name-per-day")
        await expect(limit).to_have_value("2", timeout=WAIT_MS)
        await expect(page.locator("#green-channel-age")).to_have_value("60")
        await limit.fill("0")
        await page.locator("input[data-field='matters.0.real_name']").check()
        await page.locator("#check").click()
        await expect(page.locator("[data-field='policy.real_name_tickets_per_day'][aria-invalid]")).to_have_count(
            1, timeout=WAIT_MS
        )
        await expect(page.locator("#apply")).to_be_disabled()
        await limit.fill("3")
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text("事项 pension 的实名取号：否 → 是", timeout=WAIT_MS)
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用 2 处修改", timeout=WAIT_MS)
    stored = await _stored(site)
    assert stored.matter("pension").real_name and not stored.matter("medical").real_name
    assert stored.policy.real_name_tickets_per_day == 3
