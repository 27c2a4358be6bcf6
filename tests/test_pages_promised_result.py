"""A promised case's life on the citizen's phone (Chromium, 390×844), driven by the business
system's API over HTTP: accepted with its date and where to collect it, ready, then posted with
the courier and tracking number to the address the counter took with consent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page, expect

from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.centre import Centre
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, running_site
from tests.test_guides import with_pension_guide

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PHONE = {"width": 390, "height": 844}
COLLECTION = "凭受理通知书到综合出件窗口领取，也可申请邮寄"
CASE = "TEST-2026-000001"


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    centre = Centre.model_validate(with_pension_guide(collection=COLLECTION))
    async with running_site(db, centre, signed_on=((1, "s1"),)) as running:
        yield running


async def tokens(site: Site) -> dict[str, str]:
    """The province's business system's token, and the clerk's at window 1."""
    async with site.db.write() as conn:
        business = await add_token(
            conn, label="省政务服务平台", role=Role.BUSINESS, centres=["test"], subject="province"
        )
        clerk = await add_token(conn, label="s1", role=Role.STAFF, centres=["test"], subject="s1")
    return {"business": business, "s1": clerk}


async def call(site: Site, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.post(f"{site.url}/api/v1{path}", json=body, headers=headers) as r:
        answer: dict[str, Any] = await r.json()
        assert r.status == 200, answer
        return answer


async def promised_ticket(site: Site) -> dict[str, Any]:
    answer = await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue")
    await site.act(CallNext(window=1), "staff:s1", "call")
    await site.act(StartServing(window=1), "staff:s1", "start")
    await site.act(Finish(window=1, outcome=Outcome.PROMISED, promised_days=5), "staff:s1", "finish")
    ticket: dict[str, Any] = answer.body["ticket"]
    return ticket


async def shows(page: Page, state: str, how: str) -> None:
    await page.reload()
    await expect(page.locator("#result-state")).to_have_text(state, timeout=WAIT_MS)
    await expect(page.locator("#promised-how")).to_have_text(how)


async def test_the_citizen_follows_a_promised_case_to_its_posting(site: Site, tmp_path: Path) -> None:
    ticket = await promised_ticket(site)
    keys = await tokens(site)
    result = f"/centres/test/cases/{CASE}/result"
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
        await page.goto(ticket["status_url"])
        await expect(page.locator("#promised")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#case-number")).to_have_text(CASE)
        await expect(page.locator("#promised-date")).to_have_text("2026年12月7日")
        await expect(page.locator("#result-state")).to_have_text("已受理，正在办理")
        await expect(page.locator("#promised-how")).to_have_text(f"办结后领取方式：{COLLECTION}")
        await assert_accessible(page, "a promised case accepted, on the citizen's page")
        keep_screenshot(await page.screenshot(full_page=True), "status-result-accepted.png", tmp_path)

        await call(site, keys["business"], result, {"request_id": "r-ready", "state": "ready"})
        await shows(page, "已办结，可领取", f"请凭受理通知书领取：{COLLECTION}")
        address = {"recipient": "张三", "phone": "13800138000", "address": "广东省深圳市南山区科技园路1号"}
        await call(site, keys["s1"], "/centres/test/promised/1/postal-address",
                   {"request_id": "a-1", **address, "consent": True})  # fmt: skip
        await page.reload()
        await expect(page.locator("#promised-detail")).to_have_text("办理结果将邮寄至 广东省深圳市****。")
        await assert_accessible(page, "a promised case ready, on the citizen's page")
        keep_screenshot(await page.screenshot(full_page=True), "status-result-ready.png", tmp_path)

        posted = {"state": "delivered", "method": "post", "courier": "中国邮政EMS", "tracking_number": "EA123456789CN"}
        await call(site, keys["business"], result, {"request_id": "r-posted", **posted})
        await shows(page, "已送达", "已通过中国邮政EMS寄出，运单号 EA123456789CN。")
        await expect(page.locator("#promised-detail")).to_contain_text("送达时间：2026年11月30日")
        await assert_accessible(page, "a promised case posted, on the citizen's page")
        keep_screenshot(await page.screenshot(full_page=True), "status-result-posted.png", tmp_path)


async def test_a_refusal_shows_its_reason_and_the_citizens_rights(site: Site, tmp_path: Path) -> None:
    ticket = await promised_ticket(site)
    keys = await tokens(site)
    refusal = {"request_id": "r-refused", "state": "refused", "reason": "申请人不符合领取条件"}
    await call(site, keys["business"], f"/centres/test/cases/{CASE}/result", refusal)
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
        await page.goto(ticket["status_url"])
        await expect(page.locator("#result-state")).to_have_text("不予许可", timeout=WAIT_MS)
        await expect(page.locator("#promised-how")).to_have_text("您的申请不予许可。理由：申请人不符合领取条件")
        await expect(page.locator("#promised-detail")).to_contain_text("行政复议")
        await assert_accessible(page, "a promised case refused, on the citizen's page")
        keep_screenshot(await page.screenshot(full_page=True), "status-result-refused.png", tmp_path, docs=False)
