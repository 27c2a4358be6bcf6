"""The pages no other page test opens, checked with axe-core: the login form and the kiosk's enrolment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium
from tests.pages_support import WAIT_MS, Site, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db) as running:
        yield running


async def test_the_login_and_enrolment_forms_pass_axe_in_both_languages(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page()
        for language in ("zh", "en"):
            await page.goto(f"{site.url}/login?lang={language}")
            await expect(page.locator("#username")).to_be_visible(timeout=WAIT_MS)
            await assert_accessible(page, f"the login form ({language})")
            await page.goto(f"{site.url}/kiosk/enrol?lang={language}")
            await expect(page.locator("#token")).to_be_visible(timeout=WAIT_MS)
            await assert_accessible(page, f"the kiosk's enrolment ({language})")
        await page.goto(f"{site.url}/ticket/no-such-ticket")
        await assert_accessible(page, "a ticket that does not exist")
