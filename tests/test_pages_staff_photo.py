"""A staff member's photo (工作证) from the manager's staff editor to the rating pad, in Chromium:
the manager chooses a phone's photo, the page shrinks and uploads it, the check lists it, applying
it shows it on the pad of the window where that person serves at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from queue_server.auth.accounts import Role, add_token
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, running_site
from tests.test_pages_manager import VIEWPORT, manager_page
from tests.test_pages_pad import enrol_pad
from tests.test_staff_photos import camera_jpeg

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SHOWN_MS = 5_000


async def photo_width(page: object, selector: str) -> int:
    width: int = await page.locator(selector).evaluate("img => img.complete ? img.naturalWidth : 0")  # type: ignore[attr-defined]
    return width


async def test_a_photo_chosen_on_the_managers_page_shows_on_the_pad(db: Database, tmp_path: Path) -> None:
    photo = tmp_path / "王芳.jpg"
    photo.write_bytes(camera_jpeg())
    async with running_site(db, signed_on=((1, "s1"),)) as site, chromium() as browser:
        async with db.write() as conn:
            token = await add_token(conn, label="pad tablet", role=Role.DEVICE, centres=["test"], subject="pad-1")
        pad = await browser.new_page(viewport={"width": 1024, "height": 768})
        await enrol_pad(pad, site, token)
        await expect(pad.locator("#staff")).to_be_visible(timeout=WAIT_MS)
        await expect(pad.locator("#staff img")).to_have_count(0)

        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, tab="staff")
        row = page.locator("#edit-staff tbody tr").filter(has=page.locator("input[data-field$='.code'][value='s1']"))
        await row.locator("input[type=file]").set_input_files(str(photo))
        await expect(row.locator("img.staff-photo")).to_be_visible(timeout=WAIT_MS)
        assert await _stored_photo(site) == "", "choosing a photo changes nothing until it is applied"
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text("照片", timeout=WAIT_MS)
        await assert_accessible(page, "the manager's staff editor with a photo")
        keep_screenshot(await page.screenshot(), "manager-staff-photo.png", tmp_path)
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用", timeout=WAIT_MS)
        sha = await _stored_photo(site)
        assert len(sha) == 64

        await expect(pad.locator("#staff img.pad-staff-photo")).to_be_visible(timeout=SHOWN_MS)
        await expect(pad.locator("#staff img")).to_have_attribute("src", f"/api/v1/centres/test/staff-photos/{sha}.jpg")
        assert await photo_width(pad, "#staff img") == 300, "the pad loaded the server's 300×400 copy"
        await assert_accessible(pad, "the rating pad with the staff photo")
        keep_screenshot(await pad.screenshot(), "pad-staff-photo.png", tmp_path)


async def _stored_photo(site: Site) -> str:
    centre = await site.service.centre(site.code)
    return centre.staff_by_code["s1"].photo
