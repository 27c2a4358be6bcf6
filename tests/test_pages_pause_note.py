"""A pause's note stays among staff unless the clerk ticks "show to citizens", and the hall board's
large call is cleared once its window moved on: the console, the server, a real Mosquitto and the
display client's hall board, in Chromium.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from queue_server.app.commands import Finish, IssueTicket, Resume, StartServing
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.display_support import display
from tests.pages_support import WAIT_MS, Site, running_site
from tests.test_pages_console import signed_on_console

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

INTERNAL = "去后台取材料"
PUBLIC = "系统升级，请稍候"


async def pause(console: Page, note: str, *, public: bool, tmp_path: Path | None = None) -> None:
    await console.locator("#pause-button").click()
    dialog = console.locator("#pause-dialog")
    await dialog.get_by_label("休息").check()
    await dialog.get_by_label("备注（仅工作人员可见）").fill(note)
    shown = dialog.get_by_label("在大厅屏和窗口屏上向办事群众显示此备注")
    await expect(shown).not_to_be_checked()
    if public:
        await shown.check()
    if tmp_path is not None:
        await assert_accessible(console, "the console's pause dialog with its note")
        keep_screenshot(await console.screenshot(), "console-pause.png", tmp_path)
    await dialog.locator("button[type=submit]").click()
    await expect(console.locator("#window-status")).to_contain_text("暂停：休息", timeout=WAIT_MS)


async def test_the_note_reaches_the_board_only_when_public_and_the_large_call_is_cleared(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with running_site(db, broker=broker) as site, display(mosquitto) as board_url, chromium() as browser:
        console = await browser.new_page(viewport={"width": 1366, "height": 768})
        board = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await board.goto(board_url)
        await signed_on_console(console, site)

        await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "citizen")
        await expect(console.locator("#waiting-total")).to_have_text("等候 1 人", timeout=WAIT_MS)
        await console.locator("#next-button").click()
        await expect(board.locator("#current-number")).to_have_text("A001", timeout=5000)

        await finish(site)
        await expect(board.locator("#current-number")).to_have_text("—", timeout=5000)
        await expect(board.locator("#current-window")).to_have_text("请留意叫号")
        await expect(board.locator("#recent-calls")).to_contain_text("A001")

        await pause(console, INTERNAL, public=False, tmp_path=tmp_path)
        await expect(console.locator("#window-status")).to_contain_text(f"内部备注：{INTERNAL}")
        tile = board.locator(".window-tile[data-window='1']")
        await expect(tile).to_contain_text("暂停服务", timeout=5000)
        await expect(tile).to_contain_text("休息")
        assert INTERNAL not in await board.locator("body").inner_text()
        window = (await site.service.hall(site.code)).window(1)
        assert (window.pause_note, window.pause_note_public) == (INTERNAL, False)

        assert (await site.act(Resume(window=1), "staff:s1", "back")).body["changed"]
        await expect(console.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)
        await pause(console, PUBLIC, public=True)
        await expect(console.locator("#window-status")).to_contain_text(f"向群众显示：{PUBLIC}")
        await expect(tile).to_contain_text(PUBLIC, timeout=5000)
        keep_screenshot(await board.screenshot(), "board-paused.png", tmp_path)


async def finish(site: Site) -> None:
    for step, command in enumerate((StartServing(window=1), Finish(window=1, outcome=Outcome.ON_THE_SPOT))):
        answer = await site.act(command, "staff:s1", f"finish-{step}")
        assert answer.body["changed"], answer.body
