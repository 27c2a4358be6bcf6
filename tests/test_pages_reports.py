"""The report page in Debian's Chromium after a morning of traffic: the figures per window and per
staff member equal the API's JSON, the charts carry the windows' names, the XLSX link downloads a
workbook, and a city supervisor sees two centres side by side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.async_api import Page, expect

from queue_server.auth.accounts import Role, add_user
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.factories import make_centre, shanghai
from tests.pages_support import PASSWORD, WAIT_MS, Site, log_in, running_site
from tests.test_reports import morning

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The page reads the API's report; tests/test_reports.py covers PostgreSQL."""

VIEWPORT = {"width": 1440, "height": 900}
FIELDS = (
    "issued",
    "served",
    "wait_mean_minutes",
    "wait_p90_minutes",
    "wait_longest_minutes",
    "handling_mean_minutes",
    "no_shows",
    "transfers",
    "green_channel_share",
    "unrated",
    "satisfaction_rate",
)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db) as running:
        # The morning needs minutes that pass when it says so: the service's clock stops at 09:00.
        clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
        running.service.clock = clock
        await morning(running.service, clock)
        yield running


async def api_report(page: Page, site: Site, by: str, centre: str = "test") -> dict[str, Any]:
    """The API's answer, asked with the page's own session."""
    answer = await page.request.get(f"{site.url}/api/v1/centres/{centre}/reports?by={by}&date=2026-11-30")
    assert answer.ok, await answer.text()
    body: dict[str, Any] = await answer.json()
    return body


async def shown_rows(page: Page, table: str) -> dict[str, dict[str, str]]:
    """Each row's exact figures (data-value) by its key."""
    rows: dict[str, dict[str, str]] = await page.eval_on_selector_all(
        f"{table} tbody tr",
        """rows => Object.fromEntries(rows.map(row => [row.dataset.key, Object.fromEntries(
            Array.from(row.querySelectorAll('[data-field]'), cell => [cell.dataset.field, cell.dataset.value]))]))""",
    )
    return rows


def assert_same_figures(shown: dict[str, dict[str, str]], report: dict[str, Any]) -> None:
    assert set(shown) == {row["key"] for row in report["rows"]}
    for row in report["rows"]:
        cells = shown[row["key"]]
        for field in FIELDS:
            expected = row[field]
            assert cells[field] == ("" if expected is None else str(expected)), (row["key"], field)
        for level in "54321":
            assert cells[f"rating_{level}"] == str(row["ratings"].get(level, 0)), (row["key"], level)
        assert float(cells["paused_minutes"]) == sum(row["paused_minutes"].values())


async def test_the_manager_reads_the_days_report_and_downloads_it(site: Site, tmp_path: Path) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        await log_in(page, site, "manager", then="/reports")
        await expect(page.locator("#figures tbody tr")).to_have_count(2, timeout=WAIT_MS)
        await expect(page.locator("#period-shown")).to_contain_text("2026-11-30")
        satisfaction = page.locator("#charts svg.satisfaction")
        await expect(satisfaction).to_contain_text("1号窗口")
        await expect(satisfaction).to_contain_text("100.0%")
        await expect(page.locator("#charts svg.wait")).to_contain_text("17.5 分钟")
        await expect(page.locator("#ranking tbody tr")).to_have_count(2)
        assert_same_figures(await shown_rows(page, "#figures"), await api_report(page, site, "window"))
        await expect(page.locator("#figures tr[data-key='1'] [data-field='satisfaction_rate']")).to_have_text("100.0%")
        await assert_accessible(page, "the report")
        keep_screenshot(await page.screenshot(full_page=True), "reports.png", tmp_path)

        async with page.expect_download(timeout=WAIT_MS) as download_info:
            await page.locator("#download-xlsx").click()
        download = await download_info.value
        assert download.suggested_filename == "onewindow-test-2026-11-30-window.xlsx"
        saved = tmp_path / "report.xlsx"
        await download.save_as(saved)
        book = load_workbook(saved, read_only=True)
        assert book.sheetnames == ["报表", "标杆窗口排名", "承诺件", "超期承诺件"]
        assert [row[:4] for row in book["报表"].iter_rows(min_row=2, values_only=True)] == [
            ("1", "1号窗口 综合受理", 2, 1),
            ("2", "2号窗口 综合受理", 1, 1),
        ]
        book.close()

        await page.locator("#by").select_option("staff")
        await page.wait_for_url("**by=staff**", timeout=WAIT_MS)
        await expect(page.locator("#figures tbody tr")).to_have_count(2, timeout=WAIT_MS)
        await expect(page.locator("#charts svg.satisfaction")).to_contain_text("王芳")
        assert_same_figures(await shown_rows(page, "#figures"), await api_report(page, site, "staff"))
        assert (await page.locator("#download-csv").get_attribute("href") or "").endswith("by=staff&format=csv")


async def test_a_supervisor_sees_each_centre_side_by_side(site: Site) -> None:
    north = make_centre(centre={"code": "north", "name": "北区便民服务中心", "time_zone": "Asia/Shanghai"})
    async with site.db.write() as conn:
        await create_centre(conn, north, site.service.clock.now())
        await add_user(conn, username="city", password=PASSWORD, role=Role.SUPERVISOR, centres=["test", "north"])
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "city", then="/reports/centres?period=day&date=2026-11-30")
        rows = page.locator("#centres tbody tr")
        await expect(rows).to_have_count(2, timeout=WAIT_MS)
        await expect(rows.nth(0)).to_contain_text("测试便民服务中心")
        await expect(rows.nth(1)).to_contain_text("北区便民服务中心")
        shown = await shown_rows(page, "#centres")
        (whole,) = (await api_report(page, site, "centre"))["rows"]
        assert_same_figures({"all": shown["test"]}, {"rows": [whole]})
        await expect(page.locator("#charts svg.satisfaction")).to_contain_text("北区便民服务中心")

        await page.locator("#centres tr[data-key='north'] a").click()
        await page.wait_for_url("**/reports?centre=north**", timeout=WAIT_MS)
        await expect(page.locator("#no-rows")).to_be_visible()
        await expect(page.locator("#centre")).to_have_value("north")
