"""The manager's page in Debian's Chromium against a running site: the live hall (a ticket issued
elsewhere, a paused window's reason), a window renamed through check and apply, bad edits shown
next to their fields with nothing saved, the supervisor's read-only view, and the centre file
exported and imported back with no difference.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest
from playwright.async_api import Page, expect

from queue_server.app.commands import CallNext, IssueTicket, Pause
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.centre import Centre
from queue_server.domain.windows import PauseReason
from queue_server.store.database import Database
from queue_server.store.seed import stored_centre
from tests.accessibility import assert_accessible
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.pages_support import WAIT_MS, RunningClock, Site, log_in, running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The page's SQL is the API's; tests/test_api_manager.py covers PostgreSQL."""

VIEWPORT = {"width": 1440, "height": 900}
REFRESH_MS = 15_000
"""The page reads devices and paper again every 10 s: their changes do not move the centre's version."""
LIVE_MS = 5_000
"""A change made elsewhere shows on the page within this."""


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"), (2, "s2"))) as running:
        yield running


async def manager_page(browser_page: Page, site: Site, username: str = "manager", tab: str = "") -> None:
    await log_in(browser_page, site, username, then="/manager")
    if tab:
        await browser_page.locator(f"#tabs [data-tab='{tab}']").click()


async def test_the_manager_watches_the_hall_live(db: Database, mosquitto: Mosquitto, tmp_path: Path) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with (
        running_site(db, broker=broker, signed_on=((1, "s1"), (2, "s2"))) as site,
        aiomqtt.Client(broker.host, broker.port, identifier="hall-devices") as devices_client,
    ):
        await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue-1")
        await site.act(Pause(window=2, reason=PauseReason.MEETING, note="周例会", minutes=30), "staff:s2", "pause-2")
        await _printer_says(devices_client, site, "printer-1", "paper_out")
        await devices_client.publish("onewindow/test/kiosk/k-1/availability", "online", qos=1, retain=True)
        assert site.bus is not None
        async with asyncio.timeout(10):
            while not site.bus.devices_online(site.code).get("k-1"):
                await asyncio.sleep(0.05)
        await _watch_the_hall(site, devices_client, tmp_path)


async def _printer_says(client: aiomqtt.Client, site: Site, printer: str, state: str) -> None:
    """A printer's retained state and availability, as the printer client publishes them; heard by the bus."""
    payload = json.dumps({"state": state, "at": "2026-11-30T01:00:00Z"})
    await client.publish(f"onewindow/test/printer/{printer}/state", payload, qos=1, retain=True)
    await client.publish(f"onewindow/test/printer/{printer}/availability", "online", qos=1, retain=True)
    async with asyncio.timeout(10):
        while (health := site.service.printers(site.code).health(printer)).state is None or health.state != state:
            await asyncio.sleep(0.05)


async def _watch_the_hall(site: Site, client: aiomqtt.Client, tmp_path: Path) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site)
        window_2 = page.locator("#hall-windows tr[data-window='2']")
        await expect(window_2).to_contain_text("暂停服务", timeout=WAIT_MS)
        await expect(window_2.locator(".pause")).to_contain_text("开会 · 内部备注：周例会", timeout=WAIT_MS)
        await expect(window_2).to_contain_text("李娜 (s2)")
        group_a = page.locator("#summary .group[data-prefix='A'] .stat-value")
        await expect(group_a).to_have_text("1", timeout=WAIT_MS)
        # 30 November 2026, and the centre lists 2026's holidays only: load 2027's, the page says.
        await expect(page.locator("#calendar-warning")).to_contain_text("尚未录入2027年的节假日和调休安排")

        await site.act(IssueTicket(matter="medical"), "kiosk:k-1", "issue-2")
        await expect(group_a).to_have_text("2", timeout=LIVE_MS)
        await site.act(CallNext(window=1), "staff:s1", "call-1")
        window_1 = page.locator("#hall-windows tr[data-window='1']")
        await expect(window_1.locator(".ticket")).to_contain_text("A001", timeout=LIVE_MS)
        await expect(window_1.locator(".ticket .elapsed")).to_have_text(re.compile(r"^00:\d\d$"), timeout=WAIT_MS)
        await expect(group_a).to_have_text("1", timeout=LIVE_MS)
        await expect(page.locator("#longest-wait")).to_contain_text("分钟")
        devices = page.locator("#hall-devices")
        printer = devices.locator("tr[data-device='printer-1']")
        await expect(printer.locator(".paper")).to_have_text("缺纸", timeout=WAIT_MS)
        await expect(printer).to_contain_text("在线")
        await expect(devices.locator("tr[data-device='k-1']")).to_contain_text("在线")
        await expect(devices.locator("tr[data-device='printer-w1']")).to_contain_text("未知")
        await assert_accessible(page, "the manager's live hall")
        keep_screenshot(await page.screenshot(), "manager.png", tmp_path)
        await _printer_says(client, site, "printer-1", "ready")
        await expect(printer.locator(".paper")).to_have_text("正常", timeout=REFRESH_MS)


async def test_a_renamed_window_is_checked_applied_and_shown_in_the_hall(site: Site, tmp_path: Path) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, tab="windows")
        name = page.locator("input[data-field='windows.2.name']")
        await expect(name).to_have_value("公安", timeout=WAIT_MS)
        await name.fill("公安户籍")
        await expect(page.locator("#apply")).to_be_disabled()
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text("窗口 3 的名称：公安 → 公安户籍", timeout=WAIT_MS)
        stored = await _stored(site)
        assert stored.windows_by_number[3].name == "公安", "a check changes nothing"
        await assert_accessible(page, "the manager's check of a change")
        keep_screenshot(await page.screenshot(), "manager-edit.png", tmp_path)
        for tab in ("matters", "staff", "hours", "devices", "file", "windows"):
            await page.locator(f"#tabs [data-tab='{tab}']").click()
            await expect(page.locator(f"#tab-{tab}")).to_be_visible()
            await assert_accessible(page, f"the manager's {tab} tab")

        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用 1 处修改", timeout=WAIT_MS)
        assert (await _stored(site)).windows_by_number[3].name == "公安户籍"
        await page.locator("#tabs [data-tab='hall']").click()
        await expect(page.locator("#hall-windows tr[data-window='3'] .window-name")).to_have_text(
            "公安户籍", timeout=WAIT_MS
        )
        hall = await site.service.hall(site.code)
        assert hall.centre.windows_by_number[3].name == "公安户籍", "the running hall uses the new name"


async def test_bad_edits_are_shown_next_to_their_fields_and_nothing_is_saved(site: Site) -> None:
    before = await _stored(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, tab="windows")
        name = page.locator("input[data-field='windows.0.name']")
        await expect(name).to_have_value("综合受理", timeout=WAIT_MS)
        await name.fill("")
        await page.locator("#check").click()
        error = page.locator("#edit-windows tr[data-row='0'] .field-error")
        await expect(error).to_contain_text("不能为空", timeout=WAIT_MS)
        await expect(name).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#apply")).to_be_disabled()

        await name.fill("综合受理")
        await page.locator("#tabs [data-tab='staff']").click()
        await page.locator("input[data-field='staff.0.windows']").fill("1, 7")
        await page.locator("#tabs [data-tab='windows']").click()
        await page.locator("#check").click()
        staff_error = page.locator("#edit-staff tr[data-row='0'] .field-error")
        await expect(staff_error).to_contain_text("没有 7 号窗口", timeout=WAIT_MS)
        await expect(page.locator("#tab-staff")).to_be_visible()
        await expect(page.locator("#tabs [data-tab='staff']")).to_have_class("has-error")
        await expect(page.locator("#edit-windows .field-error")).to_have_count(0)

        await page.locator("#tabs [data-tab='hours']").click()
        await page.locator("input[data-field='hours.monday.0.1']").fill("08:00")
        await page.locator("#check").click()
        await expect(page.locator("#edit-hours tr[data-day='monday'] .field-error")).to_contain_text(
            "结束时间须晚于开始时间", timeout=WAIT_MS
        )
    assert await _stored(site) == before


async def test_a_supervisor_sees_the_page_without_edit_controls(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, "supervisor")
        await expect(page.locator("#read-only")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#hall-windows tr[data-window='1']")).to_contain_text("王芳", timeout=WAIT_MS)
        await page.locator("#tabs [data-tab='windows']").click()
        await expect(page.locator("#edit-windows [data-field='windows.2.name']")).to_have_text("公安", timeout=WAIT_MS)
        for hidden in ("#check", "#apply", "#add-windows", "#import-file", "#edit-form input", "#edit-form select"):
            await expect(page.locator(hidden)).to_have_count(0)
        await page.locator("#tabs [data-tab='file']").click()
        await expect(page.locator("#export")).to_be_visible()


async def test_an_exported_centre_file_imports_with_no_difference(site: Site, tmp_path: Path) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        await manager_page(page, site, tab="file")
        await expect(page.locator("#export")).to_be_enabled(timeout=WAIT_MS)
        async with page.expect_download(timeout=WAIT_MS) as download_info:
            await page.locator("#export").click()
        download = await download_info.value
        assert download.suggested_filename == "test-centre.toml"
        exported = tmp_path / "exported.toml"
        await download.save_as(exported)
        assert exported.read_text(encoding="utf-8").startswith("[centre]\n")

        await page.locator("#import-file").set_input_files(exported)
        await expect(page.locator("#import-result")).to_contain_text("与当前配置没有差异", timeout=WAIT_MS)
        await expect(page.locator("#import-apply")).to_be_hidden()

        broken = tmp_path / "broken.toml"
        broken.write_text(
            exported.read_text(encoding="utf-8").replace("expected_minutes = 20", "expected_minutes = -5")
        )
        await page.locator("#import-file").set_input_files(broken)
        await expect(page.locator("#import-result .file-errors")).to_contain_text("broken.toml:", timeout=WAIT_MS)
        await expect(page.locator("#import-result .file-errors")).to_contain_text("matters[1].expected_minutes")

        edited = tmp_path / "edited.toml"
        edited.write_text(exported.read_text(encoding="utf-8").replace('name = "绿色通道"', 'name = "绿色通道窗口"'))
        await page.locator("#import-file").set_input_files(edited)
        await expect(page.locator("#import-result")).to_contain_text(
            "窗口 9 的名称：绿色通道 → 绿色通道窗口", timeout=WAIT_MS
        )
        await page.locator("#import-apply").click()
        await expect(page.locator("#import-result")).to_contain_text("已应用 1 处修改", timeout=WAIT_MS)
    assert (await _stored(site)).windows_by_number[9].name == "绿色通道窗口"


async def _stored(site: Site) -> Centre:
    async with site.db.read() as conn:
        centre = await stored_centre(conn, site.code)
    assert centre is not None
    return centre


async def test_a_kiosk_is_placed_in_the_24_hour_area_and_only_a_kiosk(site: Site) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, tab="devices")
        board = page.locator("input[data-field='devices.3.self_service_area']")
        await board.check()
        await page.locator("#check").click()
        await expect(page.locator("#edit-devices tr[data-row='3'] .field-error")).to_contain_text(
            "只有自助取号机可以放在24小时自助区", timeout=WAIT_MS
        )
        await expect(page.locator("#apply")).to_be_disabled()
        await board.uncheck()
        await page.locator("input[data-field='devices.0.self_service_area']").check()
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text("设备 k-1 的24小时自助区：否 → 是", timeout=WAIT_MS)
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用 1 处修改", timeout=WAIT_MS)
    assert (await _stored(site)).devices_by_id["k-1"].self_service_area, "the kiosk now shows guides when closed"


async def test_the_manager_writes_a_matters_guide_and_a_missing_part_is_shown_in_it(site: Site, tmp_path: Path) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site, tab="matters")
        medical = next(i for i, m in enumerate((await _stored(site)).matters) if m.code == "medical")
        await page.locator(f"[data-write-guide='{medical}']").click()
        editor = page.locator(f"tr[data-guide-of='{medical}'] details.guide-editor")
        await expect(editor).to_have_attribute("open", "")
        guide = f"matters.{medical}.guide"
        await page.locator(f"[data-field='{guide}.legal_basis']").fill("《中华人民共和国社会保险法》")
        await page.locator(f"[data-field='{guide}.time_limit']").fill("材料齐全的即时办结")
        await page.locator(f"[data-field='{guide}.result']").fill("医保待遇")
        await page.locator(f"[data-field='{guide}.collection']").fill("当场办结")
        await page.locator(f"[data-field='{guide}.source']").fill("本省医保经办办事指南")
        await editor.locator("button.add").click()
        await expect(page.locator(f"[data-field='{guide}.materials.1.name']")).to_have_value("发票原件")
        await page.locator(f"[data-field='{guide}.materials.2.name']").fill("费用清单")
        await page.locator("#check").click()
        problem = page.locator(f"tr[data-guide-of='{medical}'] .field-error")
        await expect(problem.first).to_be_visible(timeout=WAIT_MS)  # no procedure yet: shown in the guide
        await expect(page.locator("#apply")).to_be_disabled()

        await page.locator(f"[data-field='{guide}.procedure']").fill("取号后到窗口提交材料\n窗口核验，当场办结")
        await page.locator(f"[data-field='{guide}.materials.0.form']").select_option("original_and_copy")
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text("新增办事指南", timeout=WAIT_MS)
        await expect(page.locator("#difference")).to_contain_text("事项 medical 的申请材料：增加 费用清单")
        await assert_accessible(page, "the manager's guide editor")
        keep_screenshot(await page.screenshot(full_page=True), "manager-guide.png", tmp_path)
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用", timeout=WAIT_MS)
    written = (await _stored(site)).matters_by_code["medical"]
    assert written.guide is not None and written.guide.procedure == ("取号后到窗口提交材料", "窗口核验，当场办结")
    assert written.materials == ("居民身份证", "发票原件", "费用清单"), "the materials are the guide's"
    assert written.guide.materials[0].form == "original_and_copy"


async def test_a_ticket_no_printer_took_within_a_minute_is_a_warning(site: Site) -> None:
    await site.act(IssueTicket(matter="pension"), "kiosk:k-1", "stuck-1")  # printer-1 has no client
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await manager_page(page, site)
        await expect(page.locator("#hall-devices tr[data-device='printer-1']")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#prints-stuck")).to_be_hidden()
        clock = site.service.clock
        assert isinstance(clock, RunningClock)
        clock.advance(90)
        await expect(page.locator("#prints-stuck")).to_have_text(
            "打印机 printer-1 有 1 张票据或告知书已等候 1 分钟未打印，请检查打印机或改用A4打印", timeout=REFRESH_MS
        )
        await assert_accessible(page, "the manager's page with a paper not printed")
