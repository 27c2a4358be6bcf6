"""Reads that overlap on a page, in a real browser: the newest read is shown, whichever answer comes first.

A page reads again on a live change, a new filter or a look-up while an earlier read may still be on
its way. Here the earlier read is held at the browser (Playwright's routing) until the later one has
been answered and drawn; then it is let go, comes back last, and must not be drawn over the newer
answer (OW.latest in ow.js). The site's day is Monday 30 November 2026.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from playwright.async_api import Browser, Page, Route, expect

from queue_server.app.commands import CallNext, Finish, IssueTicket, StartServing
from queue_server.domain.tickets import Channel, Outcome
from queue_server.store.database import Database
from tests.browser import chromium
from tests.factories import make_centre
from tests.pages_support import DEVICES, WAIT_MS, Site, log_in, running_site
from tests.test_bookings import BOOKINGS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ANSWERS_SEEN = """() => {
  window.answeredReads = [];
  const text = Response.prototype.text;
  Response.prototype.text = async function () {
    try { return await text.call(this); } finally { window.answeredReads.push(this.url); }
  };
}"""
"""Notes each URL whose answer the page has read (OW.api reads every answer as text, then draws in the
same task), to know when the held answer has come back and been dealt with."""


class HeldRead:
    """Holds the first request whose URL ``matches`` until :meth:`release`; every other passes at once."""

    def __init__(self, matches: Callable[[str], bool]) -> None:
        self.matches = matches
        self.caught = asyncio.Event()
        self._released = asyncio.Event()

    async def handle(self, route: Route) -> None:
        if not self.caught.is_set() and self.matches(route.request.url):
            self.caught.set()
            await self._released.wait()
        await route.continue_()

    async def wait_caught(self) -> None:
        await asyncio.wait_for(self.caught.wait(), WAIT_MS / 1000)

    def release(self) -> None:
        self._released.set()


async def hold_first(page: Page, matches: Callable[[str], bool]) -> HeldRead:
    held = HeldRead(matches)
    await page.evaluate(ANSWERS_SEEN)
    await page.route("**/api/v1/**", held.handle)
    return held


async def held_answer_drawn(page: Page, held: HeldRead, path_part: str) -> None:
    """Let the held read go and wait until the page's script has had its answer."""
    held.release()
    await page.wait_for_function(
        "(part) => window.answeredReads.some((path) => path.includes(part))", arg=path_part, timeout=WAIT_MS
    )


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


async def test_a_live_refresh_of_the_filter_before_never_comes_back_over_the_one_chosen(
    site: Site, browser: Browser
) -> None:
    """The rectification page's promised list: a live read of "open" answered after "delivered" was chosen."""
    issued = await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue")
    serial = int(issued.body["ticket"]["serial"])
    await site.act(CallNext(window=1), "staff:s1", "call")
    await site.act(StartServing(window=1), "staff:s1", "start")
    await site.act(Finish(window=1, outcome=Outcome.PROMISED, promised_days=3), "staff:s1", "finish")
    page = await browser.new_page(viewport={"width": 1600, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, site, "manager", then="/rectification")
    await page.click("#tab-promised")
    row = page.locator(f"#promised tbody tr[data-serial='{serial}']")
    await expect(row).to_have_count(1, timeout=WAIT_MS)
    await page.wait_for_load_state("networkidle")

    held = await hold_first(page, lambda url: "/promised?state=open" in url)
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue-2")  # a change: the open list is read again
    await held.wait_caught()
    await page.select_option("#promised-filter", "delivered")
    await expect(page.locator("#promised-none")).to_be_visible(timeout=WAIT_MS)
    await expect(row).to_have_count(0)

    await held_answer_drawn(page, held, "/promised?state=open")
    await expect(row).to_have_count(0)
    await expect(page.locator("#promised-none")).to_be_visible()
    assert await page.locator("#promised-filter").input_value() == "delivered"
    assert not errors, errors


async def test_a_ticket_looked_up_is_not_replaced_by_the_look_up_before_it(site: Site, browser: Browser) -> None:
    """The desk: A001 looked up, then A002 before A001's answer came; A001's answer comes last."""
    for n in (1, 2):
        await site.act(IssueTicket(matter="pension", channel=Channel.KIOSK), "kiosk:k-1", f"issue-{n}")
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await log_in(page, site, "guide", then="/desk")
    await expect(page.locator("#glance tbody tr")).to_have_count(2, timeout=WAIT_MS)
    await page.wait_for_load_state("networkidle")

    held = await hold_first(page, lambda url: url.endswith("/tickets/by-number/A001"))
    await page.fill("#lookup-number", "A001")
    await page.press("#lookup-number", "Enter")
    await held.wait_caught()
    await page.fill("#lookup-number", "A002")
    await page.press("#lookup-number", "Enter")
    await expect(page.locator("#found-number")).to_have_text("A002", timeout=WAIT_MS)
    await expect(page.locator("#events tbody tr")).to_have_count(1, timeout=WAIT_MS)

    await held_answer_drawn(page, held, "/tickets/by-number/A001")
    await expect(page.locator("#found-number")).to_have_text("A002")
    await expect(page.locator("#found-position")).to_contain_text("前面还有 1 人")
    assert not errors, errors


async def test_the_slots_of_a_day_chosen_before_never_join_the_day_chosen_now(db: Database, browser: Browser) -> None:
    """The desk's booking form: Monday's slots answered after Tuesday was chosen are not added to Tuesday's."""
    async with running_site(db, make_centre(devices=DEVICES, bookings=BOOKINGS), signed_on=((1, "s1"),)) as site:
        page = await browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await log_in(page, site, "guide", then="/desk")
        slots = page.locator("#book-slots input")
        await expect(slots).to_have_count(2, timeout=WAIT_MS)
        await page.fill("#book-day", "2026-12-01")
        await expect(slots.first).to_be_enabled(timeout=WAIT_MS)  # Tuesday's 09:00 has not begun
        await page.wait_for_load_state("networkidle")

        held = await hold_first(page, lambda url: "day=2026-11-30" in url)
        await page.fill("#book-day", "2026-11-30")
        await held.wait_caught()
        await page.fill("#book-day", "2026-12-01")
        await expect(slots).to_have_count(2, timeout=WAIT_MS)

        await held_answer_drawn(page, held, "day=2026-11-30")
        await expect(slots).to_have_count(2)
        values = await slots.evaluate_all("(inputs) => inputs.map((input) => input.value)")
        assert all("2026-12-01" in value for value in values), values
        await expect(slots.first).to_be_enabled()
        assert not errors, errors
