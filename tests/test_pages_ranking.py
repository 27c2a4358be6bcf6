"""The monthly ranking page (月度排名通报) in a real browser: two months of a centre, the window at the
bottom both months named at the top and marked in its row, and the downloads — on SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from queue_server.store.database import Database
from tests import test_pages_rectification as rectification
from tests.accessibility import assert_accessible
from tests.browser import keep_screenshot
from tests.pages_support import WAIT_MS, RunningClock, Site, log_in, running_site
from tests.test_monthly_ranking import OCTOBER, two_months

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
browser = rectification.browser
"""Chromium, as the rectification page's tests start it."""


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, start=OCTOBER) as running:
        clock = running.service.clock
        assert isinstance(clock, RunningClock)

        def go_to(instant: dt.datetime) -> None:
            clock.advance((instant - clock.now()).total_seconds())

        await two_months(running.service, go_to)
        yield running


async def test_the_supervisor_reads_two_months_and_the_flag(site: Site, browser: Browser, tmp_path: Path) -> None:
    errors: list[str] = []
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, site, "supervisor", then="/ranking")
    await expect(page.locator("#month")).to_have_value("2026-11", timeout=WAIT_MS)  # this month at the centre
    await expect(page.locator("#month-shown")).to_contain_text("与上月 2026-10 对比")
    await expect(page.locator("#flagged")).to_have_text("连续两个月末位：3号窗口 公安")
    row = page.locator("#windows tr[data-key='3']")
    await expect(row.locator("[data-field='flag']")).to_have_text("连续两个月末位")
    await expect(row.locator("[data-field='previous_rank']")).to_have_text("3")
    await expect(page.locator("#staff tr[data-key='s3'] [data-field='flag']")).to_have_text("连续两个月末位")
    assert await page.locator("#download-xlsx").get_attribute("href") == (
        "/api/v1/centres/test/reports/monthly-ranking?month=2026-11&format=xlsx"
    )
    await assert_accessible(page, "the monthly ranking")
    keep_screenshot(await page.screenshot(full_page=True), "ranking.png", tmp_path)

    await page.fill("#month", "2026-10")
    await page.click("#ranking-query button[type=submit]")
    await expect(page.locator("#flagged-none")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#windows tr[data-key='3'] [data-field='flag']")).to_have_text("末位")
    await page.goto(site.url + "/ranking?month=2026-99")
    await expect(page.locator("#bad-query")).to_be_visible(timeout=WAIT_MS)
    assert not errors, errors
