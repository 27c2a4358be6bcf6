"""全城通办 at the kiosk, in Debian's Chromium: when no ticket can be had here, or the centre does not
handle the matter at all, the kiosk shows the other centres that do, with address and queue.

Centre ``test`` (the kiosk's) has nobody signed on; ``other`` serves the same matters, has window 1
open and one citizen waiting for pensions; the village station ``village`` handles only a matter
``test`` does not (the homestead application).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.browser import keep_screenshot
from tests.factories import make_centre
from tests.pages_support import WAIT_MS, Site, kiosk_page, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HOMESTEAD = {
    "code": "homestead",
    "name": "农村宅基地申请",
    "domain": "general",
    "window_kinds": ["general"],
    "expected_minutes": 20,
    "prefix": "A",
    "materials": ["居民身份证", "户口簿"],
}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db) as running:  # nobody signed on at test: no window takes any matter
        other = make_centre(
            centre={"code": "other", "name": "城区便民服务中心", "address": "城区人民路 1 号", "phone": "0571-8800000"}
        )
        village = make_centre(
            centre={"code": "village", "name": "桥头村便民服务站", "address": "桥头村村委会"},
            matters=[HOMESTEAD],
            windows=[{"number": 1, "name": "综合受理", "kinds": ["general"]}],
            staff=[{"code": "v1", "name": "周敏"}],
        )
        async with db.write() as conn:
            for centre in (other, village):
                await create_centre(conn, centre, running.service.clock.now())
        service = running.service
        for code, command, actor in (
            ("other", SignOn(window=1, staff="s1"), "staff:s1"),
            ("other", IssueTicket(matter="pension"), "kiosk:k-9"),
        ):
            answer = await service.act(code, command, actor=actor, request_id=f"{code}-{actor}")
            assert answer.ok, answer.body
        yield running


@pytest.fixture
async def page(site: Site) -> AsyncIterator[Page]:
    async with kiosk_page(site, {"width": 1080, "height": 1920}) as page:
        yield page


async def test_no_window_open_here_sends_the_citizen_to_the_centres_that_serve_the_matter(
    site: Site, page: Page, tmp_path: Path
) -> None:
    await page.click("button.matter[data-matter=pension]")  # no window open: no green-channel question
    await expect(page.locator("#refused-message")).to_contain_text(
        "没有办理「养老保险待遇领取」的窗口开放", timeout=WAIT_MS
    )
    centres = page.locator("#elsewhere-list li.elsewhere-centre")
    await expect(centres).to_have_count(1, timeout=WAIT_MS)  # the village station does not handle pensions
    only = centres.first
    await expect(only).to_have_attribute("data-centre", "other")
    await expect(only.locator(".elsewhere-name")).to_have_text("城区便民服务中心")
    await expect(only.locator(".elsewhere-address")).to_have_text("城区人民路 1 号")
    await expect(only.locator(".elsewhere-state")).to_have_text("正在办公 · 现在等候 1 人")
    await expect(only.locator(".elsewhere-phone")).to_have_text("电话 0571-8800000")
    await expect(page.locator("#refused-done")).to_be_enabled()
    keep_screenshot(await page.screenshot(), "kiosk-elsewhere.png", tmp_path)
    assert (await site.service.hall(site.code)).last_serial == 0
    await page.click("#refused-done")
    await expect(page.locator("#screen-start")).to_be_visible()


async def test_a_matter_not_handled_here_is_found_at_the_village_station(page: Page) -> None:
    await page.fill("#search", "宅基地")
    await expect(page.locator("#no-match")).to_be_hidden()
    away = page.locator("#elsewhere-matters button.matter.elsewhere")
    await expect(away).to_have_text(["农村宅基地申请"])
    await page.fill("#search", "养老")
    await expect(page.locator("#elsewhere-matters")).to_be_hidden()
    await page.fill("#search", "homestead")
    await away.click()
    await expect(page.locator("#refused-heading")).to_have_text("本中心不办理这个事项")
    await expect(page.locator("#refused-message")).to_have_text("「农村宅基地申请」不在本中心办理。")
    village = page.locator("#elsewhere-list li.elsewhere-centre[data-centre=village]")
    await expect(village.locator(".elsewhere-address")).to_have_text("桥头村村委会", timeout=WAIT_MS)
    await expect(village.locator(".elsewhere-state")).to_have_text("正在办公 · 现在等候 0 人")
    await expect(page.locator("#elsewhere-list li")).to_have_count(1)
