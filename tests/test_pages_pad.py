"""A rating pad on a tablet (/pad/<id>), in Chromium: lit only while its window asks for a rating,
one rating per ticket, a bad one with its reasons (which opens a rectification case)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.rectification import list_cases
from queue_server.store.schema import tickets
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[tuple[Site, str]]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        async with db.write() as conn:
            token = await add_token(conn, label="pad tablet", role=Role.DEVICE, centres=["test"], subject="pad-1")
        yield running, token


async def serve_one(site: Site, n: int) -> None:
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", f"issue-{n}")
    await site.act(CallNext(window=1), "staff:s1", f"call-{n}")
    await site.act(StartServing(window=1), "staff:s1", f"start-{n}")
    await site.act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", f"finish-{n}")


async def enrol_pad(page: Page, site: Site, token: str) -> None:
    await page.goto(f"{site.url}/kiosk/enrol")
    await page.fill("#token", token)
    await page.click("#enrol-form button[type=submit]")
    await page.wait_for_url(f"{site.url}/pad/pad-1", timeout=WAIT_MS)


async def test_the_tablet_rates_its_windows_tickets_once_each(site: tuple[Site, str], tmp_path: Path) -> None:
    running, token = site
    async with chromium() as browser:
        # A tablet whose own clock runs on New York time: the pad still says the hall's time.
        page = await browser.new_page(viewport={"width": 1280, "height": 800}, timezone_id="America/New_York")
        await enrol_pad(page, running, token)
        await expect(page.locator("#window-label")).to_contain_text("1号窗口")
        await expect(page.locator(".level-5")).to_be_disabled(timeout=WAIT_MS)

        await serve_one(running, 1)
        await expect(page.locator("#prompt")).to_have_text("请为 A001 号的服务评价", timeout=5000)
        await expect(page.locator(".level-5")).to_be_enabled()
        hint = await page.locator("#hint").text_content() or ""
        assert re.search(r"(09|10):\d\d", hint), f"the site's clock starts at 09:00 in Shanghai: {hint!r}"
        await assert_accessible(page, "the rating pad")
        await page.locator(".item-level[data-item=efficiency][data-level='5']").click()  # the optional items
        await page.locator(".item-level[data-item=attitude][data-level='3']").click()
        await page.locator(".item-level[data-item=attitude][data-level='4']").click()  # another level: changed
        await expect(page.locator(".item-level[aria-pressed=true]")).to_have_count(2)
        keep_screenshot(await page.screenshot(), "pad.png", tmp_path)
        await page.locator(".level-5").dblclick()
        await expect(page.locator("#result")).to_have_text("感谢您的评价！", timeout=WAIT_MS)
        async with running.db.read() as conn:
            query = select(tickets.c.rating, tickets.c.rating_items).where(tickets.c.serial == 1)
            rated, items = (await conn.execute(query)).one()
        assert rated == 5, "a double tap rated once, 非常满意"
        assert items == [5, 0, 4], "服务效率 非常满意, 服务水平 not rated, 服务态度 满意"
        await expect(page.locator(".level-5")).to_be_disabled(timeout=WAIT_MS)

        await serve_one(running, 2)
        await expect(page.locator("#prompt")).to_have_text("请为 A002 号的服务评价", timeout=10_000)
        await page.locator(".level-1").click()
        await expect(page.locator("#why")).to_be_visible()
        await page.locator("#reasons label", has_text="等候时间过长").click()
        await page.fill("#comment", "等了四十分钟")
        await page.click("#send")
        await expect(page.locator("#result")).to_have_text("感谢您的评价！", timeout=WAIT_MS)
        async with running.db.read() as conn:
            (case,) = await list_cases(conn, "test")
        assert (case.serial, case.level, case.reasons, case.comment) == (2, 1, ("等候时间过长",), "等了四十分钟")


async def test_a_pad_token_rates_only_its_own_pad_and_only_open_requests(site: tuple[Site, str]) -> None:
    running, token = site
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        base = f"{running.url}/api/v1/centres/test/pads"
        async with http.get(f"{base}/pad-1") as answer:
            assert (await answer.json())["state"] == "idle"
        async with http.get(f"{base}/pad-2") as answer:
            assert answer.status == 403
        await serve_one(running, 1)
        rating = {"request_id": "r-1", "serial": 1, "level": 2, "reasons": ["不存在的原因"]}
        async with http.post(f"{base}/pad-1/rating", json=rating) as answer:
            assert answer.status == 409, "a reason not in the centre's list"
        async with http.post(f"{base}/pad-1/rating", json={"request_id": "r-2", "serial": 1, "level": 9}) as answer:
            assert answer.status == 422
            assert (await answer.json())["errors"][0]["field"] == "level"
        async with http.post(f"{base}/pad-1/rating", json={"request_id": "r-3", "serial": 1, "level": 4}) as answer:
            assert answer.status == 200, await answer.text()
        async with http.post(f"{base}/pad-1/rating", json={"request_id": "r-4", "serial": 1, "level": 5}) as answer:
            assert answer.status == 409, "one rating per ticket"
        async with http.get(f"{running.url}/api/v1/centres/test/queue") as answer:
            assert answer.status == 403, "a pad's token reads nothing else"


async def test_on_a_1024x768_tablet_the_choice_shows_the_reasons_fit_and_the_thanks_stands_alone(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    running, token = site
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1024, "height": 768})
        await enrol_pad(page, running, token)
        await serve_one(running, 1)
        await expect(page.locator("#prompt")).to_have_text("请为 A001 号的服务评价", timeout=WAIT_MS)
        await page.locator(".level-1").click()
        await expect(page.locator(".level-1")).to_have_attribute("aria-pressed", "true")
        await expect(page.locator(".level-5")).to_have_attribute("aria-pressed", "false")
        send = await page.locator("#send").bounding_box()
        assert send is not None and send["y"] + send["height"] <= 768, f"the send button is below the fold: {send}"

        await page.locator("#reasons label", has_text="等候时间过长").click()
        await page.locator(".level-2").click()  # a change of mind keeps the reasons ticked
        await expect(page.locator(".level-2")).to_have_attribute("aria-pressed", "true")
        await expect(page.locator(".level-1")).to_have_attribute("aria-pressed", "false")
        await page.locator("#why").evaluate("form => { form.beforeTheChange = true; }")
        await running.act(IssueTicket(matter="pension"), "kiosk:k-1", "elsewhere")  # the live stream refreshes
        await page.wait_for_load_state("networkidle")
        await expect(page.locator("#why")).to_be_visible()
        await expect(page.locator("#reasons input[value='等候时间过长']")).to_be_checked()
        await assert_accessible(page, "the rating pad's reasons")
        keep_screenshot(await page.screenshot(), "pad-reasons.png", tmp_path)

        await page.click("#send")
        await expect(page.locator("#result")).to_have_text("感谢您的评价！", timeout=WAIT_MS)
        await expect(page.locator("#prompt")).to_be_hidden()
        await expect(page.locator(".level-2")).to_have_attribute("aria-pressed", "true")
        keep_screenshot(await page.screenshot(), "pad-thanks.png", tmp_path)
        async with running.db.read() as conn:
            (case,) = await list_cases(conn, "test")
        assert (case.level, case.reasons) == (2, ("等候时间过长",))
