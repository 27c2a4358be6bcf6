"""The display client against the real parts: the hall service on a real broker, the page in Chromium.

The server runs in this process (tests.test_bus.hall_on) on a Mosquitto of the test's own; the
display client runs as ``onewindow display`` does (display_client.command.run) and its page is
opened in Debian's Chromium through Playwright.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import aiomqtt
import pytest
from playwright.async_api import Page, expect

from display_client.command import DisplaySettings, run
from display_client.led import MatrixSize
from queue_server.app.commands import (
    CallNext,
    CheckInTicket,
    Command,
    Finish,
    IssueTicket,
    Pause,
    Recall,
    StartServing,
)
from queue_server.app.service import HallService
from queue_server.bus.connection import BrokerAddress
from queue_server.config.centre_file import load_demo_centre
from queue_server.domain.tickets import Category, Outcome
from queue_server.domain.windows import PauseReason
from queue_server.protocol.payloads import PROTOCOL, PROTOCOL_REVISION, Call
from queue_server.protocol.topics import SERVER_PROTOCOL, WINDOW_STATE
from queue_server.store.database import Database
from tests.accessibility import assert_accessible
from tests.brokers import Mosquitto
from tests.browser import chromium, keep_screenshot
from tests.test_bus import hall_on

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The display sees only the bus: one database is enough (the server's are tested elsewhere)."""

WAIT = 20.0
"""Seconds to wait for what should take milliseconds, on a loaded 2-core machine."""
SHOWN_WITHIN_MS = 5000
"""The issue's bound: a new call is on the page within 5 s (the benchmark measures the real delay)."""


def settings_for(broker: Mosquitto, **changes: Any) -> DisplaySettings:
    base = DisplaySettings(centre="test", device_id="board-1", mqtt_url=broker.url, port=0, voice=False)
    return replace(base, **changes)


@contextlib.asynccontextmanager
async def display(settings: DisplaySettings) -> AsyncIterator[str]:
    """Run the display client until the block ends; yields its page's address."""
    stop = asyncio.Event()
    address: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run(settings, stop, ready=address.set_result))
    try:
        done, _ = await asyncio.wait({task, address}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        assert address in done, "the display client did not start"
        yield address.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def state_of(address: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(address + "state") as answer:
        result: dict[str, Any] = await answer.json()
        return result


async def eventually(check: Any, what: str, timeout: float = WAIT) -> None:
    """Poll ``check()`` (an async callable returning bool) until it holds."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)
    assert True, what


async def act(service: HallService, command: Command, actor: str, request_id: str) -> None:
    answer = await service.act("test", command, actor=actor, request_id=request_id)
    assert answer.ok, answer.body


async def issue(service: HallService, count: int) -> None:
    for n in range(count):
        await act(service, IssueTicket(matter="pension"), "kiosk:k", f"issue-{n}")


async def call_next(service: HallService, window: int, request_id: str) -> None:
    await act(service, CallNext(window=window), f"staff:s{window}", request_id)


async def finish(service: HallService, window: int, request_id: str) -> None:
    await act(service, StartServing(window=window), f"staff:s{window}", f"{request_id}-start")
    await act(service, Finish(window=window, outcome=Outcome.ON_THE_SPOT), f"staff:s{window}", request_id)


async def open_page(browser_page: Page, address: str) -> None:
    await browser_page.goto(address)
    await expect(browser_page.locator("#link-banner")).to_be_hidden(timeout=WAIT * 1000)


async def test_the_hall_board_page_shows_each_new_call_live(db: Database, mosquitto: Mosquitto, tmp_path: Path) -> None:
    async with (
        hall_on(db, BrokerAddress.from_url(mosquitto.url)) as hall,
        display(settings_for(mosquitto, notice="请留意叫号，过号请到咨询台")) as address,
        chromium() as browser,
    ):
        await issue(hall.service, 5)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await open_page(page, address)
        await expect(page.locator(".window-tile")).to_have_count(4)
        await expect(page.locator("#centre-name")).to_have_text("测试便民服务中心")
        await expect(page.locator(".group[data-prefix='A'] .group-count")).to_contain_text("5")

        for n, (window, number) in enumerate([(1, "A001"), (2, "A002"), (1, "A003")]):
            if number == "A003":
                await finish(hall.service, 1, "finish-A001")
            await call_next(hall.service, window, f"next-{n}")
            await expect(page.locator("#current-number")).to_have_text(number, timeout=SHOWN_WITHIN_MS)
            await expect(page.locator("#current-window")).to_have_text(f"{window}号窗口")
            await expect(page.locator("#current-window-name")).to_have_text("综合受理")
        await expect(page.locator(".call-row .call-number")).to_have_text(["A002", "A001"])
        await expect(page.locator(".window-tile[data-window='1'] .tile-ticket")).to_have_text("A003")
        await expect(page.locator(".window-tile[data-window='2'] .tile-ticket")).to_have_text("A002")
        await expect(page.locator(".group[data-prefix='A'] .group-count")).to_contain_text("2")
        await assert_accessible(page, "the hall board")
        keep_screenshot(await page.screenshot(), "hall-board.png", tmp_path, docs=False)

        await page.set_viewport_size({"width": 1080, "height": 1920})
        await expect(page.locator("#current-number")).to_have_text("A003")
        keep_screenshot(await page.screenshot(), "hall-board-portrait.png", tmp_path, docs=False)


async def test_the_window_display_shows_the_ticket_then_pause_on_its_page_and_led(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    frames = tmp_path / "frames"
    settings = settings_for(mosquitto, device_id="display-1", window=1, led=MatrixSize(64, 32), png_dir=frames)
    async with (
        hall_on(db, BrokerAddress.from_url(mosquitto.url)) as hall,
        display(settings) as address,
        chromium() as browser,
    ):
        await issue(hall.service, 2)
        # A display whose machine runs on New York time: it shows the hall's (Shanghai's) time.
        page = await browser.new_page(viewport={"width": 1280, "height": 720}, timezone_id="America/New_York")
        await open_page(page, address)
        await expect(page.locator("#window-number")).to_have_text("1")
        await call_next(hall.service, 2, "next-elsewhere")
        await call_next(hall.service, 1, "next-here")
        await expect(page.locator("#window-ticket")).to_have_text("A002", timeout=SHOWN_WITHIN_MS)
        await expect(page.locator("#window-name")).to_have_text("综合受理")
        led = await _led_text(address)
        assert any("A002" in line for line in led), led
        await assert_accessible(page, "the window display")
        keep_screenshot(await page.screenshot(), "window-display.png", tmp_path)
        keep_screenshot((frames / "latest.png").read_bytes(), "led-window.png", tmp_path)

        await finish(hall.service, 1, "finish-A002")
        await act(hall.service, Pause(window=1, reason=PauseReason.BREAK, minutes=15), "staff:s1", "pause")
        await expect(page.locator("#window-status")).to_have_text("暂停服务", timeout=SHOWN_WITHIN_MS)
        await expect(page.locator("#window-detail")).to_contain_text("休息")
        (paused,) = [w for w in (await state_of(address))["windows"] if w["number"] == 1]
        back = dt.datetime.fromisoformat(paused["pause"]["until"]).astimezone(SHANGHAI)
        await expect(page.locator("#window-detail")).to_contain_text(back.strftime("%H:%M"))
        # The page redraws its clock once a second: what it shows may be up to a second old, so a
        # reading just after a minute turned may still show the minute before.
        before = (dt.datetime.now(SHANGHAI) - dt.timedelta(seconds=2)).strftime("%H:%M")
        clock = await page.locator("#time").text_content() or ""
        after = dt.datetime.now(SHANGHAI).strftime("%H:%M")
        assert clock[:5] in (before, after), f"the screen's clock shows Shanghai's {before}: {clock!r}"
        await expect(page.locator("#window-ticket")).to_have_text("")
        await eventually(lambda: _led_shows(address, "暂停服务"), "the LED frame says 暂停服务")
        assert len(list(frames.glob("frame-*.png"))) >= 2, "each different frame was written"
        keep_screenshot((frames / "latest.png").read_bytes(), "led-window-paused.png", tmp_path)


async def _led_text(address: str) -> list[str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(address + "led.png") as answer:
            assert answer.status == 200 and answer.content_type == "image/png"
        async with session.get(address + "led.json") as answer:
            shown: dict[str, Any] = await answer.json()
    assert (shown["width"], shown["height"]) == (64, 32)
    return list(shown["text"])


async def _led_shows(address: str, text: str) -> bool:
    return any(text in line for line in await _led_text(address))


async def test_three_quick_calls_are_announced_in_order_without_overlap_and_a_duplicate_is_not(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    voice = tmp_path / "voice"
    async with (
        hall_on(db, BrokerAddress.from_url(mosquitto.url)) as hall,
        display(settings_for(mosquitto, voice=True, audio_dir=voice, repeat=1)) as address,
    ):
        await issue(hall.service, 3)
        await call_next(hall.service, 1, "n1")
        await call_next(hall.service, 2, "n2")
        await act(hall.service, Recall(window=1), "staff:s1", "r1")

        async def three_written() -> bool:
            return len(_log(voice)) >= 3

        await eventually(three_written, "three announcements")
        log = _log(voice)
        assert [(e["number"], e["window"], e["recall"]) for e in log] == [
            ("A001", 1, False),
            ("A002", 2, False),
            ("A001", 1, True),
        ]
        files = sorted(voice.glob("*.wav"))
        assert [f.name for f in files] == [f"{e['label']}.wav" for e in log]
        times = [(dt.datetime.fromisoformat(e["start"]), dt.datetime.fromisoformat(e["end"])) for e in log]
        for (_, earlier_end), (later_start, _) in itertools.pairwise(times):
            assert earlier_end <= later_start, "announcements never overlap"

        # The broker hands the same call again (QoS 1 may), or the server's relay sends it again
        # after a restart with a new seq: it is neither shown nor spoken twice.
        again = Call.model_validate((await state_of(address))["calls"][0] | {"seq": 2})
        assert again.recall and again.window == 1
        broker = BrokerAddress.from_url(mosquitto.url)
        async with aiomqtt.Client(broker.host, broker.port, identifier="again") as client:
            for seq in (2, 3):
                body = again.model_copy(update={"seq": seq}).model_dump_json()
                await client.publish("onewindow/test/window/1/call", body, qos=1)
        await asyncio.sleep(1.5)
        assert len(_log(voice)) == 3 and len(list(voice.glob("*.wav"))) == 3
        calls = [c["call_id"] for c in (await state_of(address))["calls"]]
        assert calls.count(again.call_id) == 1


def _log(folder: Path) -> list[dict[str, Any]]:
    path = folder / "announcements.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


async def test_the_board_says_when_the_broker_or_server_is_gone_and_recovers_without_a_reload(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    async with (
        hall_on(db, BrokerAddress.from_url(mosquitto.url)) as hall,
        display(settings_for(mosquitto)) as address,
        chromium() as browser,
    ):
        await issue(hall.service, 3)
        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await open_page(page, address)
        await call_next(hall.service, 1, "before")
        await expect(page.locator("#current-number")).to_have_text("A001", timeout=SHOWN_WITHIN_MS)

        mosquitto.stop()
        banner = page.locator("#link-banner")
        await expect(banner).to_contain_text("连接已中断", timeout=WAIT * 1000)
        await expect(page.locator("#current-number")).to_have_text("A001")  # the last known state stays
        await call_next(hall.service, 2, "during")  # kept in the outbox until the broker is back
        mosquitto.start()
        await expect(banner).to_be_hidden(timeout=WAIT * 1000)
        await expect(page.locator(".window-tile[data-window='2'] .tile-ticket")).to_have_text("A002", timeout=30_000)
        await finish(hall.service, 1, "finish-A001")
        await call_next(hall.service, 1, "after")
        await expect(page.locator("#current-number")).to_have_text("A003", timeout=SHOWN_WITHIN_MS)

        hall.bus_task.cancel()  # the server goes; its last will (or goodbye) says offline
        await expect(banner).to_contain_text("服务器暂不可用", timeout=WAIT * 1000)
        await expect(page.locator("#current-number")).to_have_text("A003")


DEMO_STAFF = ((1, "s01"), (2, "s02"), (3, "s03"), (4, "s05"), (5, "s07"), (6, "s09"), (7, "s11"), (9, "s16"))
DEMO_TICKETS = [
    "residence_permit", "ss_card", "id_card", "pension_benefit", "medical_reimbursement", "sole_proprietor",
    "veterans_card", "subsistence_allowance", "hukou_move_in", "medical_enrolment", "elderly_allowance",
    "food_business_licence", "employment_registration", "chronic_disease", "temp_id_card", "homestead",
]  # fmt: skip


async def test_the_demo_hall_on_the_board_in_chinese_and_english(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """The demo centre's hall mid-morning: the pictures in docs/display.md come from here."""
    broker = BrokerAddress.from_url(mosquitto.url)
    async with (
        hall_on(db, broker, load_demo_centre(), DEMO_STAFF) as hall,
        display(replace(settings_for(mosquitto), centre="demo")) as chinese,
        display(replace(settings_for(mosquitto), centre="demo", device_id="board-2", english=True)) as english,
        chromium() as browser,
    ):
        service = hall.service
        for n, matter in enumerate(DEMO_TICKETS):
            await service.act("demo", IssueTicket(matter=matter), actor="kiosk:kiosk-1", request_id=f"t{n}")
        elderly = IssueTicket(matter="pension_benefit", category=Category.ELDERLY)
        await service.act("demo", elderly, actor="kiosk:kiosk-1", request_id="g")
        paused = Pause(window=6, reason=PauseReason.MEETING, minutes=20)
        assert (await service.act("demo", paused, actor="staff:s09", request_id="p6")).ok
        for window, who in DEMO_STAFF:
            if window == 6:
                continue
            answer = await service.act("demo", CallNext(window=window), actor=f"staff:{who}", request_id=f"c{window}")
            assert answer.ok, answer.body
        assert (await service.act("demo", Recall(window=2), actor="staff:s02", request_id="r2")).ok

        page = await browser.new_page(viewport={"width": 1920, "height": 1080}, timezone_id="Asia/Shanghai")
        await open_page(page, chinese)
        await expect(page.locator(".window-tile")).to_have_count(13)
        await expect(page.locator("#current-window")).to_have_text("2号窗口", timeout=SHOWN_WITHIN_MS)
        await expect(page.locator("#current-recall")).to_be_visible()
        await expect(page.locator(".window-tile[data-window='6'] .tile-ticket")).to_have_text("暂停服务")
        await expect(page.locator(".window-tile[data-window='6'] .tile-detail")).to_have_text("开会 · 预计 09:20 恢复")
        await expect(page.locator(".window-tile[data-window='13'] .tile-ticket")).to_have_text("已关闭")
        await expect(page.locator(".call-row.green")).to_have_count(1)
        keep_screenshot(await page.screenshot(), "hall-board-demo.png", tmp_path)
        await page.set_viewport_size({"width": 1080, "height": 1920})
        keep_screenshot(await page.screenshot(), "hall-board-demo-portrait.png", tmp_path)

        page_en = await browser.new_page(viewport={"width": 1920, "height": 1080}, timezone_id="Asia/Shanghai")
        await open_page(page_en, english)
        await expect(page_en.locator("#current-window")).to_have_text("Window 2", timeout=SHOWN_WITHIN_MS)
        await expect(page_en.locator("#centre-name")).not_to_have_text("示范镇便民服务中心")
        await expect(page_en.locator(".window-tile[data-window='6'] .tile-ticket")).to_have_text("Paused")
        await expect(page_en.locator(".window-tile[data-window='6'] .tile-detail")).to_have_text(
            "Meeting · back at 09:20"
        )
        for tile in await page_en.locator(".window-tile").all():
            box = await tile.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 1080, "every window fits on the screen"
        keep_screenshot(await page_en.screenshot(), "hall-board-demo-english.png", tmp_path)


async def test_a_board_that_joins_late_shows_the_whole_hall_from_the_retained_messages(
    db: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Everything happens before the board starts: it builds the hall from retained messages alone
    (each window's state, ``hall/summary``, ``hall/calls``), never from the old whole-hall feed."""
    async with hall_on(db, BrokerAddress.from_url(mosquitto.url)) as hall, chromium() as browser:
        await issue(hall.service, 5)
        await hall.service.ranges_kept("test")  # the ranges worked out: the next summary tells a newcomer's
        await call_next(hall.service, 2, "next-2")
        await finish(hall.service, 2, "finish-2")
        await act(hall.service, Pause(window=2, reason=PauseReason.BREAK, minutes=15), "staff:s2", "pause-2")
        await call_next(hall.service, 1, "next-1")
        await act(hall.service, Recall(window=1), "staff:s1", "recall-1")
        async with display(settings_for(mosquitto, device_id="late-board")) as address:
            page = await browser.new_page(viewport={"width": 1920, "height": 1080}, timezone_id="America/New_York")
            await open_page(page, address)
            await expect(page.locator("#centre-name")).to_have_text("测试便民服务中心")
            await expect(page.locator(".window-tile")).to_have_count(4)
            await expect(page.locator("#current-number")).to_have_text("A002")
            await expect(page.locator("#current-recall")).to_be_visible()
            await expect(page.locator(".call-row .call-number")).to_have_text(["A002", "A001"])
            await expect(page.locator(".window-tile[data-window='1'] .tile-ticket")).to_have_text("A002")
            await expect(page.locator(".window-tile[data-window='2'] .tile-ticket")).to_have_text("暂停服务")
            await expect(page.locator(".window-tile[data-window='2'] .tile-detail")).to_contain_text("休息")
            await expect(page.locator(".group[data-prefix='A'] .group-count")).to_contain_text("3")
            basis = (await hall.service.hall("test")).range_basis
            assert basis is not None
            low, high = basis.newcomers["A"].whole_minutes()
            assert low < high
            await expect(page.locator(".group[data-prefix='A'] .group-wait")).to_have_text(
                f"现在取号约等 {low}-{high} 分钟"
            )
            # The hall's time zone comes from hall/summary: Shanghai's time on a New York screen.
            before = (dt.datetime.now(SHANGHAI) - dt.timedelta(seconds=2)).strftime("%H:%M")
            clock = await page.locator("#time").text_content() or ""
            after = dt.datetime.now(SHANGHAI).strftime("%H:%M")
            assert clock[:5] in (before, after), f"the board's clock shows Shanghai's {before}: {clock!r}"
            state = await state_of(address)
            assert state["link"] == "live" and state["unknown_protocol"] is None
            assert [g["wait_range_minutes"] for g in state["waiting"] if g["prefix"] == "A"] == [[low, high]]
            keep_screenshot(await page.screenshot(), "hall-board-late.png", tmp_path, docs=False)


async def test_a_board_says_it_needs_an_update_when_the_server_speaks_a_newer_protocol(
    db: Database, mosquitto: Mosquitto
) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with hall_on(db, broker) as hall, chromium() as browser, display(settings_for(mosquitto)) as address:
        await issue(hall.service, 1)
        page = await browser.new_page()
        await open_page(page, address)
        future = {"seq": 10**9, "protocol": PROTOCOL + 1, "number": 1, "name": "?", "status": "gone"}
        async with aiomqtt.Client(broker.host, broker.port, identifier="future-server") as server:
            await server.publish(WINDOW_STATE.build("test", number=1), json.dumps(future), qos=1)
        banner = page.locator("#link-banner")
        await expect(banner).to_contain_text("需要升级", timeout=WAIT * 1000)
        await expect(banner).to_contain_text(f"协议版本 {PROTOCOL + 1}")
        state = await state_of(address)
        assert state["link"] == "outdated" and state["unknown_protocol"] == PROTOCOL + 1
        (shown,) = [view for view in state["windows"] if view["number"] == 1]
        assert (shown["status"], shown["name"]) != ("gone", "?"), "the message it cannot read is not shown"


async def test_a_window_display_keeps_working_on_a_newer_revision_and_hints_staff(
    db: Database, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A server of a newer revision of the same protocol (a rolling upgrade): the display reads its
    messages, additive fields and all, shows no banner to citizens, logs it and shows staff a small hint."""
    broker = BrokerAddress.from_url(mosquitto.url)
    settings = settings_for(mosquitto, device_id="display-1", window=1)
    async with hall_on(db, broker) as hall, display(settings) as address, chromium() as browser:
        await issue(hall.service, 2)
        await call_next(hall.service, 1, "next-here")
        page = await browser.new_page()
        await open_page(page, address)
        await expect(page.locator("#window-ticket")).to_have_text("A001", timeout=SHOWN_WITHIN_MS)
        hint = page.locator("#maintenance-hint")
        await expect(hint).to_be_hidden()
        (view,) = [w for w in (await state_of(address))["windows"] if w["number"] == 1]
        newer = f"{PROTOCOL}.{PROTOCOL_REVISION + 1}"
        async with aiomqtt.Client(broker.host, broker.port, identifier="newer-server") as server:
            spoken = {"protocol": PROTOCOL, "revision": PROTOCOL_REVISION + 1}
            await server.publish(SERVER_PROTOCOL.build("test"), json.dumps(spoken), qos=1, retain=True)
            await expect(hint).to_have_text(
                f"维护提示：服务器协议 {newer}，本屏 {PROTOCOL}.{PROTOCOL_REVISION}，可择时升级"
            )
            ticket = {**view["ticket"], "number": "A099", "a_field_added_later": True}
            state = {**view, "ticket": ticket, "seq": 10**9, "protocol": PROTOCOL, "revision": PROTOCOL_REVISION + 2}
            await server.publish(WINDOW_STATE.build("test", number=1), json.dumps(state), qos=1)
        await expect(page.locator("#window-ticket")).to_have_text("A099", timeout=WAIT * 1000)
        await expect(hint).to_contain_text(f"服务器协议 {PROTOCOL}.{PROTOCOL_REVISION + 2}")
        await expect(page.locator("#link-banner")).to_be_hidden()
        shown = await state_of(address)
        assert (shown["link"], shown["update_available"]) == ("live", f"{PROTOCOL}.{PROTOCOL_REVISION + 2}")
        await assert_accessible(page, "the window display with its maintenance hint")
        keep_screenshot(await page.screenshot(), "window-display-maintenance-hint.png", tmp_path, docs=False)
    said = [r.getMessage() for r in caplog.records if "keeps working" in r.getMessage()]
    assert len(said) == 2 and f"protocol {newer}" in said[0], said


async def test_a_booked_ticket_is_marked_on_the_hall_board_and_the_window_display(
    db: Database, mosquitto: Mosquitto
) -> None:
    async with (
        hall_on(db, BrokerAddress.from_url(mosquitto.url)) as hall,
        display(settings_for(mosquitto)) as board_address,
        display(settings_for(mosquitto, device_id="display-1", window=1)) as window_address,
        chromium() as browser,
    ):
        slot = hall.service.clock.now() - dt.timedelta(minutes=1)
        await issue(hall.service, 1)
        await act(hall.service, CheckInTicket(matter="pension", booked_from=slot), "kiosk:k", "booked")
        board, window = await browser.new_page(), await browser.new_page()
        await open_page(board, board_address)
        await open_page(window, window_address)
        await call_next(hall.service, 1, "next-booked")
        await expect(board.locator("#current-number")).to_have_text("A002", timeout=SHOWN_WITHIN_MS)
        await expect(board.locator("#current-booked")).to_be_visible()
        await expect(window.locator("#window-ticket")).to_have_text("A002", timeout=SHOWN_WITHIN_MS)
        await expect(window.locator("#window-booked")).to_have_text("预约")
        await finish(hall.service, 1, "finish-booked")
        await call_next(hall.service, 1, "next-walk-in")
        await expect(window.locator("#window-ticket")).to_have_text("A001", timeout=SHOWN_WITHIN_MS)
        await expect(window.locator("#window-booked")).to_be_hidden()
        await expect(board.locator("#current-booked")).to_be_hidden()
        await expect(board.locator(".call-row .tag.booked")).to_have_text("预约")
