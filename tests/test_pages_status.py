"""A ticket's status page on a phone (Chromium, 390×844) against a running site: the position
updated live, the call to a window, cancelling, and the rating after service; and the rating API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from playwright.async_api import Page, expect

from queue_server.app.commands import CallNext, Finish, IssueTicket, Pause, StartServing
from queue_server.domain.tickets import Category, Outcome, TicketStatus
from queue_server.domain.windows import PauseReason
from queue_server.store import lookup
from queue_server.store.database import Database
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, Site, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PHONE = {"width": 390, "height": 844}
LIVE_MS = 5_000
"""A change at the hall reaches the phone within this."""
BUZZ_RECORDER = "navigator.vibrate = (pattern) => { window.buzzed = (window.buzzed || 0) + 1; return true; };"
"""The phone's vibration, counted: headless Chromium has no motor."""


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


async def issue(site: Site, request_id: str, matter: str = "pension") -> dict[str, Any]:
    answer = await site.act(IssueTicket(matter=matter), "kiosk:k-1", request_id)
    ticket: dict[str, Any] = answer.body["ticket"]
    return ticket


async def phone(url: str) -> AsyncIterator[Page]:
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
        await page.add_init_script(BUZZ_RECORDER)
        await page.goto(url)
        await expect(page.locator("#number")).to_be_visible(timeout=WAIT_MS)
        yield page


async def finish_at_window_1(site: Site, tag: str) -> None:
    await site.act(StartServing(window=1), "staff:s1", f"start-{tag}")
    await site.act(Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1", f"finish-{tag}")


async def post(site: Site, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(f"{site.url}/api/v1{path}", json=body) as answer:
        return answer.status, await answer.json()


async def test_the_page_follows_the_ticket_live_until_its_call(site: Site, tmp_path: Path) -> None:
    first = await issue(site, "i-1")
    mine = await issue(site, "i-2")
    await site.service.ranges_kept(site.code)  # the round after the issues: the page then reads its ranges
    assert mine["status_url"] == f"{site.url}/ticket/{mine['status_token']}"
    async for page in phone(mine["status_url"]):
        await expect(page.locator("#centre-name")).to_have_text("测试便民服务中心")
        await expect(page.locator("#number")).to_have_text(mine["number"])
        await expect(page.locator("#matter")).to_have_text("养老保险待遇领取")
        await expect(page.locator("#state")).to_have_text("等候中")
        await expect(page.locator("#ahead")).to_have_text("1 人")
        # the wait told as a range around the single estimate (10 minutes: the ticket ahead's matter)
        await expect(page.locator("#wait")).to_have_text(re.compile(r"^约 \d+-\d+ 分钟$"))
        low, high = map(int, re.findall(r"\d+", await page.locator("#wait").inner_text()))
        assert low < 10 < high
        told = (await site.service.wait_ranges.of(await site.service.hall(site.code)))[mine["serial"]]
        assert (low, high) == told.whole_minutes()
        await assert_accessible(page, "the ticket status, waiting")
        keep_screenshot(await page.screenshot(), "status-waiting.png", tmp_path)

        await site.act(CallNext(window=1), "staff:s1", "call-1")
        await expect(page.locator("#ahead")).to_have_text("0 人", timeout=LIVE_MS)
        await expect(page.locator("#next-up")).to_be_visible()
        assert first["number"] != mine["number"]

        await finish_at_window_1(site, "1")
        await site.act(CallNext(window=1), "staff:s1", "call-2")
        await expect(page.locator("#call-text")).to_have_text("请到 1号窗口 办理", timeout=LIVE_MS)
        await expect(page.locator("#call-window-name")).to_have_text("综合受理")
        await expect(page.locator("#state")).to_have_text("请到窗口办理")
        await expect(page.locator("#cancel-open")).to_be_hidden()
        assert await page.evaluate("window.buzzed") == 1, "the phone buzzes when its ticket is called"
        await assert_accessible(page, "the ticket status, called")
        keep_screenshot(await page.screenshot(), "status-called.png", tmp_path)

        await page.goto(mine["status_url"] + "?lang=en")
        await expect(page.locator("#call-text")).to_have_text("Your turn: window 1", timeout=WAIT_MS)


async def test_the_citizen_cancels_after_confirming(site: Site) -> None:
    mine = await issue(site, "i-1")
    async for page in phone(mine["status_url"]):
        await page.click("#cancel-open")
        await expect(page.locator("#cancel-confirm")).to_be_visible()
        await page.click("#cancel-no")
        await expect(page.locator("#cancel-confirm")).to_be_hidden()
        assert (await site.service.hall(site.code)).ticket(mine["serial"]).status is TicketStatus.WAITING

        await page.focus("#cancel-open")  # a keyboard works as well as a finger
        await page.keyboard.press("Enter")
        await page.click("#cancel-yes")
        await expect(page.locator("#state")).to_have_text("已取消", timeout=WAIT_MS)
        await expect(page.locator("#cancelled")).to_be_visible()
    async with site.db.read() as conn:
        events = await lookup.ticket_event_records(conn, site.code, mine["serial"])
    assert [(e["kind"], e["actor"]) for e in events][-1] == ("cancelled", "citizen")


async def test_after_service_the_citizen_rates_once(site: Site, tmp_path: Path) -> None:
    mine = await issue(site, "i-1")
    token = mine["status_token"]
    async for page in phone(mine["status_url"]):
        await site.act(CallNext(window=1), "staff:s1", "call-1")
        await finish_at_window_1(site, "1")
        form = page.locator("#rating-form")
        await expect(form).to_be_visible(timeout=LIVE_MS)
        await expect(page.locator("#state")).to_have_text("办理完毕")

        await page.click("#rate-submit")
        await expect(form.locator(".field-error")).to_have_text("请选择满意程度")
        await page.check("input[name=level][value='2']")
        await expect(page.locator("#reasons")).to_be_visible()
        await page.click("#rate-submit")
        await expect(form.locator(".field-error")).to_have_text("请至少选择一个原因")
        await page.check("input[name=reason][value='等候时间过长']")
        await page.fill("#comment", "排了很久")
        await expect(page.locator("#follow-up")).to_be_visible()
        await page.fill("#contact_phone", "138 1234 5678")
        await page.click("#rate-submit")
        await expect(form.locator(".field-error")).to_have_text("留下电话须同意回访，请勾选此项")
        await page.check("#contact_consent")
        await expect(form.locator(".field-error")).to_have_count(0)
        await page.select_option("#item-attitude", "1")  # 服务态度 非常不满意; the other items left unrated
        await form.evaluate("form => form.scrollIntoView()")
        await assert_accessible(page, "the ticket status, rating")
        keep_screenshot(await page.screenshot(), "status-rating.png", tmp_path)

        status, problem = await post(site, f"/status/{token}/rating", {"level": 7, "request_id": "bad-1"})
        assert status == 422 and [e["field"] for e in problem["errors"]] == ["level"]
        status, problem = await post(
            site, f"/status/{token}/rating", {"level": 2, "reasons": ["太热"], "request_id": "b2"}
        )
        assert status == 422 and [e["field"] for e in problem["errors"]] == ["reasons.0"]
        assert "等候时间过长" in problem["errors"][0]["message"]
        status, problem = await post(
            site, f"/status/{token}/rating", {"level": 5, "reasons": ["等候时间过长"], "request_id": "b3"}
        )
        assert status == 422 and [e["field"] for e in problem["errors"]] == ["reasons"]
        status, problem = await post(site, f"/status/{token}/rating", {"level": 5})
        assert status == 422 and [e["field"] for e in problem["errors"]] == ["request_id"]
        assert (await site.service.hall(site.code)).ticket(mine["serial"]).rating is None, "nothing half-saved"

        await page.click("#rate-submit")
        await expect(page.locator("#rated-text")).to_have_text(
            "感谢您的评价！ 我们将致电 138****5678 回访。", timeout=WAIT_MS
        )
        await expect(page.locator("#rated-level")).to_have_text("您的评价：不满意")
        await expect(form).to_be_hidden()

    async with site.db.read() as conn:
        events = await lookup.ticket_event_records(conn, site.code, mine["serial"])
    rated = events[-1]
    assert (rated["kind"], rated["actor"], rated["source"], rated["level"]) == ("rated", "citizen", "citizen", 2)
    assert (rated["reasons"], rated["comment"], rated["items"]) == (["等候时间过长"], "排了很久", [0, 0, 1])

    status, problem = await post(site, f"/status/{token}/rating", {"level": 5, "request_id": "again"})
    assert status == 409
    assert "rated already" in problem["detail"]
    async with site.db.read() as conn:
        assert len(await lookup.ticket_event_records(conn, site.code, mine["serial"])) == len(events)


async def test_a_rating_refused_by_the_hall_is_explained_on_the_page(site: Site) -> None:
    mine = await issue(site, "i-1")
    await site.act(CallNext(window=1), "staff:s1", "call-1")
    await finish_at_window_1(site, "1")
    async for page in phone(mine["status_url"]):
        await expect(page.locator("#rating-form")).to_be_visible(timeout=WAIT_MS)
        await page.check("input[name=level][value='5']")
        # Another phone with the same ticket rates first, and this page does not hear of it in time.
        await page.route("**/live/**", lambda route: route.abort())
        await page.evaluate("() => { window.stop(); }")
        status, answer = await post(site, f"/status/{mine['status_token']}/rating", {"level": 4, "request_id": "other"})
        assert status == 200
        assert (answer["ticket"]["rating_status"], answer["ticket"]["rating"]) == ("rated", 4)
        conforms("RatingAnswer", answer)
        await page.click("#rate-submit")
        await expect(page.locator("#rated-text")).to_have_text(
            "这张号已经评价过了，每张号只能评价一次。", timeout=WAIT_MS
        )
        await expect(page.locator("#rated-level")).to_have_text("您的评价：满意")


def conforms(name: str, instance: Any) -> None:
    """``instance`` is what the OpenAPI document says answer ``name`` is."""
    spec = document(list(all_routes()))
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    errors = [error.message for error in Draft202012Validator(schema).iter_errors(instance)]
    assert not errors, errors


async def test_a_token_that_names_no_ticket_gets_a_friendly_page(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        for token in ("x" * 30, "short", "no_such_ticket_token_at_all"):
            async with http.get(f"{site.url}/ticket/{token}") as answer:
                assert answer.status == 404
                assert "找不到这张排队号" in await answer.text()
            async with http.get(f"{site.url}/ticket/{token}/qr.svg") as answer:
                assert answer.status == 404
        mine = await issue(site, "i-1")
        async with http.get(f"{site.url}/ticket/{mine['status_token']}/qr.svg") as answer:
            assert answer.status == 200 and answer.content_type == "image/svg+xml"


async def test_a_wait_that_grows_for_the_green_channel_says_so(site: Site, tmp_path: Path) -> None:
    """A green-channel ticket issued later goes ahead: the wait grows, and the page says why."""
    mine = await issue(site, "i-1")
    async for page in phone(mine["status_url"]):
        await expect(page.locator("#ahead")).to_have_text("0 人")
        await expect(page.locator("#green-ahead")).to_be_hidden()
        await site.act(IssueTicket(matter="pension", category=Category.ELDERLY), "kiosk:k-1", "green")
        await expect(page.locator("#ahead")).to_have_text("1 人", timeout=LIVE_MS)
        await expect(page.locator("#green-ahead")).to_have_text(
            "绿色通道优先：其中 1 位老年人、残疾人等群众虽晚到，按规定优先办理"
        )
        await assert_accessible(page, "the ticket status, a green-channel ticket ahead")
        keep_screenshot(await page.screenshot(), "status-green-ahead.png", tmp_path)


async def test_the_page_says_when_the_wait_moved_and_why(site: Site, tmp_path: Path) -> None:
    """A window pauses: the told wait grows, and once the hall's ranges were worked out again the
    page says when and why (窗口暂停)."""
    for tag in ("a", "b"):
        await issue(site, f"i-{tag}")
    mine = await issue(site, "i-mine")
    await site.service.ranges_kept(site.code)
    async for page in phone(mine["status_url"]):
        await expect(page.locator("#wait")).to_have_text(re.compile(r"^约 \d+-\d+ 分钟$"))
        await expect(page.locator("#wait-moved")).to_be_hidden()
        await site.act(Pause(window=1, reason=PauseReason.MEETING, minutes=30), "staff:s1", "pause")
        await asyncio.sleep(site.service.wait_ranges.gap(site.code) + 0.5)  # at most one working-out in a gap
        await page.reload()
        moved = page.locator("#wait-moved")
        await expect(moved).to_have_text(re.compile(r"^\d\d:\d\d 预计等候延后约 \d+ 分钟：窗口暂停$"), timeout=WAIT_MS)
        await assert_accessible(page, "the ticket status, the wait moved")
        keep_screenshot(await page.screenshot(), "status-wait-moved.png", tmp_path)
        await page.goto(mine["status_url"] + "?lang=en")
        await expect(moved).to_have_text(
            re.compile(r"^At \d\d:\d\d the estimated wait grew by about \d+ min: a window paused$"), timeout=WAIT_MS
        )


async def test_a_promised_case_shows_when_it_is_due_and_a_returned_one_why_not(site: Site, tmp_path: Path) -> None:
    promised, returned = await issue(site, "i-promised"), await issue(site, "i-returned")
    await site.act(CallNext(window=1), "staff:s1", "call-promised")
    await site.act(StartServing(window=1), "staff:s1", "start-promised")
    await site.act(Finish(window=1, outcome=Outcome.PROMISED, promised_days=5), "staff:s1", "finish-promised")
    await site.act(CallNext(window=1), "staff:s1", "call-returned")
    await site.act(
        Finish(window=1, outcome=Outcome.RETURNED, reasons=("不属于本中心受理范围",)), "staff:s1", "finish-returned"
    )
    async for page in phone(promised["status_url"]):
        await expect(page.locator("#finished-text")).to_contain_text("您的申请已受理", timeout=WAIT_MS)
        await expect(page.locator("#outcome-text")).to_have_text("承诺办结时间：2026年12月7日前。")
        await assert_accessible(page, "a promised case on the citizen's page")
        keep_screenshot(await page.screenshot(), "status-promised.png", tmp_path)
        await page.goto(returned["status_url"])
        await expect(page.locator("#finished-text")).to_contain_text("不予受理", timeout=WAIT_MS)
        await expect(page.locator("#outcome-text")).to_be_hidden()
