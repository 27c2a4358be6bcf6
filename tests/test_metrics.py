"""GET /api/v1/metrics: the live figures in Prometheus format, read back with prometheus_client's parser."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import IssueTicket
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from tests.api_support import Api, seed
from tests.factories import make_centre, shanghai
from tests.test_reports import morning


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service = HallService(db, clock, public_base_url="http://hall.example")
    tokens = await seed(db)
    await morning(service, clock)
    for n in range(2):
        answer = await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"later-{n}")
        assert answer.ok
    clock.advance(minutes=12)
    return Api(await aiohttp_client(create_app(service)), tokens)


async def scrape(api: Api, token: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with api.client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {api.tokens[token]}"}) as answer:
        assert answer.status == 200, await answer.text()
        assert answer.headers["Content-Type"].startswith("text/plain; version=")
        text = await answer.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_halls_figures_as_prometheus_reads_them(api: Api) -> None:
    figures = await scrape(api, "manager")
    assert figures[("onewindow_waiting", (("centre", "test"), ("group", "A")))] == 2
    assert figures[("onewindow_longest_wait_minutes", (("centre", "test"), ("group", "A")))] == 12.0
    assert figures[("onewindow_windows", (("centre", "test"), ("status", "open")))] == 2
    assert figures[("onewindow_windows", (("centre", "test"), ("status", "closed")))] == 2
    assert figures[("onewindow_tickets_today", (("centre", "test"), ("status", "finished")))] == 2
    assert figures[("onewindow_tickets_today", (("centre", "test"), ("status", "no_show")))] == 1
    assert figures[("onewindow_ratings_today", (("centre", "test"), ("level", "5")))] == 1
    assert figures[("onewindow_ratings_today", (("centre", "test"), ("level", "2")))] == 1
    assert figures[("onewindow_ratings_today", (("centre", "test"), ("level", "3")))] == 0
    assert not any(dict(labels).get("centre") == "other" for _, labels in figures), "only its own centre"


async def test_the_halls_built_from_rows_and_caught_up_are_counted(api: Api, db: Database) -> None:
    """Each scrape reads the counts before it reads the hall; another instance's action makes the next
    read catch the kept hall up, once, without building it from the rows again."""
    builds = ("onewindow_hall_builds_total", (("centre", "test"),))
    catch_ups = ("onewindow_hall_catch_ups_total", (("centre", "test"),))
    first = await scrape(api, "manager")
    again = await scrape(api, "manager")
    assert (again[builds], again[catch_ups]) == (first[builds], first[catch_ups]), "the hall was kept"
    elsewhere = HallService(db, ManualClock(shanghai(2026, 11, 30, 9, 20)))  # another instance, same database
    answer = await elsewhere.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id="elsewhere")
    assert answer.ok
    await scrape(api, "manager")  # reads the hall: caught up, the other instance wrote
    after = await scrape(api, "manager")
    assert (after[builds], after[catch_ups]) == (first[builds], first[catch_ups] + 1)
    assert after[("onewindow_waiting", (("centre", "test"), ("group", "A")))] == 3


async def test_only_management_reads_the_figures(api: Api) -> None:
    assert (await api.get("/metrics")).status == 401
    for name in ("s1", "guide", "kiosk"):
        assert (await api.get("/metrics", name)).status == 403, name
    figures = await scrape(api, "supervisor")
    assert figures[("onewindow_waiting", (("centre", "test"), ("group", "A")))] == 2


async def test_devices_that_were_online_and_now_are_not_are_counted_apart_from_those_never_heard(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    service = HallService(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))
    tokens = await seed(db)
    devices = [
        {"id": "kp-1", "kind": "keypad", "window": 1},
        {"id": "kp-2", "kind": "keypad", "window": 2},
        {"id": "pad-1", "kind": "pad", "window": 1},
        {"id": "board", "kind": "display"},
    ]
    answer = await service.configure(
        "test", make_centre(devices=devices), actor="manager:m", request_id="devices", dry_run=False
    )
    assert answer.ok
    api = Api(await aiohttp_client(create_app(service)), tokens)
    for device in ("kp-1", "kp-2", "pad-1"):
        service.device_seen("test", device, online=True)
    service.device_seen("test", "kp-1", online=False)
    service.device_seen("test", "pad-1", online=False)

    figures = await scrape(api, "manager")
    lost = {
        dict(labels)["kind"]: value for (name, labels), value in figures.items() if name == "onewindow_devices_offline"
    }
    assert lost == {"keypad": 1, "pad": 1, "display": 0}, "the board was never heard: not lost"

    service.device_seen("test", "kp-1", online=True)
    figures = await scrape(api, "manager")
    assert figures[("onewindow_devices_offline", (("centre", "test"), ("kind", "keypad")))] == 0
