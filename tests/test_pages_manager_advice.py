"""The staffing advice on the manager's page in Debian's Chromium: the long wait coming and the B-post
that would shorten it, each with its effect in minutes, in Chinese and in English; the page changes
nothing in the hall."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from queue_server.app.commands import IssueTicket
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.api_support import counts
from tests.browser import chromium
from tests.factories import centre_data, make_centre
from tests.pages_support import DEVICES, WAIT_MS, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The page reads the API; tests/test_api_advice.py covers PostgreSQL."""

VIEWPORT = {"width": 1440, "height": 900}
# The site's clock runs with real time: six tickets of ten minutes at one window make the last wait
# 50 minutes plus the seconds since they were issued, shown rounded (50, or 51 on a slow machine).


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    staff = [{**person, "b_post": person["code"] == "s10"} for person in centre_data()["staff"]]
    async with running_site(db, make_centre(devices=DEVICES, staff=staff), signed_on=((1, "s1"),)) as running:
        for n in range(6):
            await running.act(IssueTicket(matter="pension"), "kiosk:k-1", f"issue-{n}")
        await running.service.ranges_kept(running.code)  # its round may send the board a newcomer range
        yield running


async def test_the_manager_sees_the_advice_with_its_effect_in_minutes(site: Site, db: Database) -> None:
    before = await counts(db)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "manager", then="/manager")
        advice = page.locator("#advice")
        await expect(advice.locator("#advice-matter-rows tr[data-matter='pension']")).to_contain_text(
            "养老保险待遇领取", timeout=WAIT_MS
        )
        await expect(page.locator("#advice-now")).to_contain_text(re.compile("当前等候最长预计 5[01] 分钟"))
        first = page.locator("#advice-suggestions li").first
        await expect(first).to_have_attribute("data-kind", "sign_on")
        await expect(first).to_contain_text("请B岗陈静（s10）到2号窗口上岗，受理养老保险待遇领取")
        await expect(first).to_contain_text(re.compile("最长等候 5[01] →"))
        await expect(first).to_contain_text("约 3 分钟后开始叫号")
        await expect(first.locator(".advice-matters")).to_contain_text(re.compile("养老保险待遇领取：最长 5[01] → "))
        await assert_accessible(page, "the manager's page with the staffing advice")

        await page.goto(f"{site.url}/manager?lang=en")
        first = page.locator("#advice-suggestions li").first
        await expect(first).to_contain_text(
            "Sign B-post 陈静 (s10) on at window 2 for 养老保险待遇领取", timeout=WAIT_MS
        )
        await expect(first).to_contain_text(re.compile("longest wait 5[01] →"))
        await expect(page.locator("#advice-matter-rows tr[data-matter='pension'] th")).to_be_visible()
    assert await counts(db) == before, "reading the advice changed nothing"


async def test_the_supervisor_sees_the_advice_too(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "supervisor", then="/manager")
        await expect(page.locator("#advice-suggestions li").first).to_contain_text("陈静", timeout=WAIT_MS)


async def test_the_manager_marks_a_b_post_and_the_move_minutes_on_the_staff_tab(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await log_in(page, site, "manager", then="/manager")
        await page.locator("#tabs [data-tab='staff']").click()
        await expect(page.locator("input[data-field='staff.4.b_post']")).to_be_checked(timeout=WAIT_MS)  # s10
        await expect(page.locator("input[data-field='staff.1.b_post']")).not_to_be_checked()  # s2
        await expect(page.locator("#advice-move-minutes")).to_have_value("3")
        await page.locator("input[data-field='staff.1.b_post']").check()
        await page.locator("#advice-move-minutes").fill("5")
        await page.locator("#check").click()
        difference = page.locator("#difference")
        await expect(difference).to_contain_text("工作人员 s2 的B岗：否 → 是", timeout=WAIT_MS)
        await expect(difference).to_contain_text("advice_move_minutes：3 → 5")
        await page.locator("#apply").click()
        await expect(difference).to_contain_text("已应用 2 处修改", timeout=WAIT_MS)
    centre = (await site.service.hall(site.code)).centre
    assert centre.staff_by_code["s2"].b_post and centre.policy.advice_move_minutes == 5
