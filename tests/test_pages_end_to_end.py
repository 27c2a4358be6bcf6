"""A citizen's whole visit through the real parts: the kiosk issues a ticket, a staff member signs
on at the console and presses next (twice, quickly: one ticket is called), the ticket's status page
on a phone says "your turn, window 1", and the hall board (the display client, on a real Mosquitto)
shows the call — four browser pages against one running server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from queue_server.app.commands import IssueTicket
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.tickets import TicketStatus
from queue_server.store.database import Database
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.display_support import display
from tests.pages_support import WAIT_MS, enrol_kiosk, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_a_ticket_from_the_kiosk_is_called_at_the_console_and_shown_on_the_phone_and_the_board(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with running_site(db, broker=broker) as site, display(mosquitto) as board_url, chromium() as browser:
        kiosk = await browser.new_page(viewport={"width": 1080, "height": 1920})
        console = await browser.new_page(viewport={"width": 1366, "height": 768})
        phone = await browser.new_page(viewport={"width": 390, "height": 844})
        board = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await board.goto(board_url)

        # The staff member signs on first: a kiosk issues only for a matter some window serves.
        await log_in(console, site, "staff1", then="/console")
        await console.locator(".sign-on-window[data-window='1']").get_by_role("button").click()
        await expect(console.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)

        await enrol_kiosk(kiosk, site)
        await kiosk.locator("button.matter[data-matter=pension]").click()
        await kiosk.locator("button[data-category='']").click()
        await expect(kiosk.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
        qr = await kiosk.locator("#ticket-qr").get_attribute("src")
        assert qr is not None
        token = qr.split("/")[2]
        keep_screenshot(await kiosk.screenshot(), "visit-kiosk.png", tmp_path, docs=False)

        await phone.goto(f"{site.url}/ticket/{token}")
        await expect(phone.locator("#number")).to_have_text("A001", timeout=WAIT_MS)
        await expect(phone.locator("#state")).to_have_text("等候中")

        await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "second-citizen")
        await expect(console.locator("#waiting-total")).to_have_text("等候 2 人", timeout=WAIT_MS)
        await console.locator("#next-button").dblclick()
        await expect(console.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)

        await expect(phone.locator("#call-text")).to_have_text("请到 1号窗口 办理", timeout=5000)
        await expect(board.locator("#current-number")).to_have_text("A001", timeout=5000)
        await expect(board.locator("#current-window")).to_have_text("1号窗口")

        hall = await site.service.hall(site.code)
        assert hall.ticket(1).status is TicketStatus.CALLED
        assert hall.ticket(2).status is TicketStatus.WAITING, "the double click on next called one ticket, not two"
        keep_screenshot(await console.screenshot(), "visit-console.png", tmp_path, docs=False)
        keep_screenshot(await phone.screenshot(), "visit-phone.png", tmp_path, docs=False)
        keep_screenshot(await board.screenshot(), "visit-board.png", tmp_path, docs=False)
