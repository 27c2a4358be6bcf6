"""The manager's routes over real HTTP on both databases: reading, checking and changing the centre's
configuration (as JSON and as a centre file), and the bus taking a new device at once.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import aiomqtt
import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import IssueTicket
from queue_server.assembly import create_app
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.tickets import Channel
from queue_server.protocol.payloads import DeviceResponse
from queue_server.store.database import Database
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from tests.api_support import Api, counts, hall_service, rid, seed
from tests.brokers import Mosquitto
from tests.pages_support import Site, api_headers, http_login, running_site
from tests.test_openapi import conforms

CONFIG = "/centres/test/config"


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    return Api(await aiohttp_client(create_app(hall_service(db))), await seed(db))


async def read_config(api: Api, token: str = "manager") -> dict[str, Any]:
    reply = await api.get(CONFIG, token)
    assert reply.status == 200, reply.body
    config: dict[str, Any] = reply.body["config"]
    return config


async def put(api: Api, body: dict[str, Any], token: str = "manager") -> Any:
    return await api.call("PUT", CONFIG, token, body)


async def test_the_configuration_reads_in_the_centre_files_shape(api: Api) -> None:
    reply = await api.get(CONFIG, "manager")
    assert reply.status == 200
    config = reply.body["config"]
    assert config["centre"]["code"] == "test"
    assert config["hours"]["monday"] == [["08:30", "12:00"], ["14:00", "17:30"]]
    assert config["calendar"]["holidays"][0] == "2026-10-01"
    assert [w["number"] for w in config["windows"]] == [1, 2, 3, 9]
    assert reply.body["toml"].startswith("[centre]\n")


async def test_a_dry_run_lists_the_difference_and_changes_nothing(db: Database, api: Api) -> None:
    config = await read_config(api)
    config["windows"][2]["name"] = "公安户籍"
    before = await counts(db)
    reply = await put(api, {"config": config, "dry_run": True})
    assert reply.status == 200, reply.body
    assert reply.body == {"centre": "test", "differences": ["~ windows 3: name: 公安 -> 公安户籍"], "applied": False}
    assert await counts(db) == before
    assert (await api.get("/centres/test", "manager")).body["windows"][2]["name"] == "公安"


async def test_applying_changes_the_running_hall_at_once(api: Api) -> None:
    await api.sign_on(("s1", 1))
    await api.issue()
    assert (await api.get("/centres/test/windows/3", "manager")).body["name"] == "公安"
    config = await read_config(api)
    config["windows"][2]["name"] = "公安户籍"
    request_id = rid()
    reply = await put(api, {"config": config, "request_id": request_id})
    assert reply.status == 200, reply.body
    assert reply.body["applied"] is True
    assert (await api.get("/centres/test", "manager")).body["windows"][2]["name"] == "公安户籍"
    assert (await api.get("/centres/test/windows/3", "manager")).body["name"] == "公安户籍"
    again = await put(api, {"config": config, "request_id": request_id})
    assert again.replayed and again.body == reply.body
    assert (await put(api, {"config": config, "dry_run": True})).body["differences"] == []
    assert len((await api.get("/centres/test/queue", "manager")).body["waiting"]) == 1, "the queue is kept"


async def test_applying_needs_a_request_id(api: Api) -> None:
    config = await read_config(api)
    config["windows"][0]["name"] = "综合一"
    reply = await put(api, {"config": config})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "request_id"


async def test_an_invalid_configuration_is_422_by_field_and_changes_nothing(db: Database, api: Api) -> None:
    config = await read_config(api)
    config["windows"][3]["name"] = ""
    config["staff"][2]["windows"] = [7]
    before = await counts(db)
    reply = await put(api, {"config": config, "request_id": rid()})
    assert reply.status == 422, reply.body
    fields = {e["field"]: e["message"] for e in reply.body["errors"]}
    assert fields["windows.3.name"] == "must not be empty"
    assert await counts(db) == before
    config["windows"][3]["name"] = "绿色通道"
    reply = await put(api, {"config": config, "dry_run": True})
    assert reply.body["errors"] == [{"field": "staff.2.windows", "message": "staff member 's3' names unknown window 7"}]
    other = copy.deepcopy(config)
    other["staff"][2]["windows"] = [3]
    other["centre"]["code"] = "other"
    reply = await put(api, {"config": other, "dry_run": True})
    assert [e["field"] for e in reply.body["errors"]] == ["centre.code"]
    reply = await put(api, {"dry_run": True})
    assert [e["field"] for e in reply.body["errors"]] == ["config"]


async def test_a_window_with_a_ticket_at_it_cannot_be_removed(db: Database, api: Api) -> None:
    await api.sign_on(("s1", 1))
    await api.issue()
    await api.act("/centres/test/windows/1/call-next", "s1")
    config = await read_config(api)
    config["windows"] = [w for w in config["windows"] if w["number"] != 1]
    before = await counts(db)
    reply = await put(api, {"config": config, "request_id": rid()})
    assert reply.status == 409, reply.body
    assert "window 1" in reply.body["detail"] and "A001" in reply.body["detail"]
    assert reply.body["differences"] == ["- windows 1: removed"]
    after = await counts(db)
    assert after["version:test"] == before["version:test"]
    assert [w["number"] for w in (await api.get("/centres/test", "manager")).body["windows"]] == [1, 2, 3, 9]


async def test_a_matter_an_open_ticket_is_for_cannot_be_removed(api: Api) -> None:
    await api.sign_on(("s1", 1))
    await api.issue("medical")
    config = await read_config(api)
    config["matters"] = [m for m in config["matters"] if m["code"] != "medical"]
    reply = await put(api, {"config": config, "dry_run": True})
    assert reply.status == 409
    assert "medical" in reply.body["detail"]


async def test_only_the_manager_and_admin_change_it_the_supervisor_reads_it(api: Api) -> None:
    config = await read_config(api, "supervisor")
    config["windows"][0]["name"] = "改名"
    assert (await put(api, {"config": config, "request_id": rid()}, "supervisor")).status == 403
    for token in ("s1", "guide", "kiosk"):
        assert (await api.get(CONFIG, token)).status == 403
        assert (await put(api, {"config": config, "request_id": rid()}, token)).status == 403
    assert (await put(api, {"config": config, "request_id": rid()}, "admin")).status == 200
    assert (await put(api, {"config": config, "dry_run": True}, "other-manager")).status == 403


async def test_the_exported_centre_file_imports_with_no_difference(api: Api) -> None:
    exported = (await api.get(CONFIG, "manager")).body["toml"]
    reply = await put(api, {"toml": exported, "dry_run": True})
    assert reply.status == 200, reply.body
    assert reply.body["differences"] == []
    edited = exported.replace('name = "绿色通道"', 'name = "绿色通道（老年人）"')
    reply = await put(api, {"toml": edited, "request_id": rid()})
    assert reply.body == {
        "centre": "test",
        "differences": ["~ windows 9: name: 绿色通道 -> 绿色通道（老年人）"],
        "applied": True,
    }


async def test_a_centre_file_with_an_error_is_422_naming_its_line(db: Database, api: Api) -> None:
    exported: str = (await api.get(CONFIG, "manager")).body["toml"]
    lines = exported.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("expected_minutes = 20"))
    broken = exported.replace("expected_minutes = 20", "expected_minutes = -5")
    before = await counts(db)
    reply = await put(api, {"toml": broken, "request_id": rid()})
    assert reply.status == 422, reply.body
    [error] = reply.body["errors"]
    assert error["field"] == "toml"
    assert error["message"].startswith(f"centre.toml:{line}: matters[1].expected_minutes: ")
    syntax = await put(api, {"toml": exported + "\n[windows\n", "dry_run": True})
    assert syntax.status == 422 and "not valid TOML" in syntax.body["errors"][0]["message"]
    assert await counts(db) == before


async def test_printers_show_what_they_last_said(api: Api) -> None:
    reply = await api.get("/centres/test/printers", "supervisor")
    assert reply.status == 200
    assert reply.body == {"centre": "test", "printers": []}


# --- With the bus ------------------------------------------------------------------------------------


async def test_the_bus_takes_a_device_added_through_the_configuration(db: Database, mosquitto: Mosquitto) -> None:
    broker = BrokerAddress.from_url(mosquitto.url)
    async with running_site(db, broker=broker, signed_on=((1, "s1"),)) as site:
        await site.service.act(
            "test", IssueTicket(matter="pension", channel=Channel.KIOSK), actor="kiosk:k-1", request_id="issue-1"
        )
        async with aiomqtt.Client(broker.host, broker.port, identifier="kp-9-device") as device:
            await device.subscribe("onewindow/test/keypad/kp-9/response/#", qos=1)
            refused = await _keypad_next(device, "boot-1")
            assert not refused.ok and refused.error is not None and refused.error.type == "unknown-device"
            await _add_keypad(site)
            called = await _keypad_next(device, "boot-2")
            assert called.ok, called.error
            assert called.result is not None and called.result["ticket"]["number"] == "A001"
            state = {"state": "paper_out", "at": "2026-11-30T01:00:00Z"}
            await device.publish("onewindow/test/printer/printer-1/state", json.dumps(state), qos=1, retain=True)
            await device.publish("onewindow/test/printer/printer-1/availability", "online", qos=1, retain=True)
            printer = await _printer_when(site, "printer-1", lambda p: p["state"] == "paper_out" and p["online"])
            waiting = printer.pop("waiting_seconds")
            assert printer == {
                "id": "printer-1",
                "name": "",
                "window": None,
                "state": "paper_out",
                "online": True,
                "waiting_jobs": 1,  # the kiosk's ticket: no printer client answers here
            }
            assert isinstance(waiting, int) and waiting >= 0


async def _add_keypad(site: Site) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await http_login(http, site, "manager")
        url = f"{site.url}/api/v1{CONFIG}"
        async with http.get(url) as answer:
            config = (await answer.json())["config"]
        config["devices"].append({"id": "kp-9", "kind": "keypad", "window": 1, "name": "1号窗口呼叫器"})
        body = {"config": config, "request_id": rid()}
        async with http.put(url, json=body, headers=api_headers(csrf)) as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["differences"] == ["+ devices kp-9: added"]


async def _keypad_next(device: aiomqtt.Client, request_id: str) -> DeviceResponse:
    await device.publish("onewindow/test/keypad/kp-9/request/next", json.dumps({"request_id": request_id}), qos=1)
    async with asyncio.timeout(10):
        async for message in device.messages:
            assert isinstance(message.payload, bytes)
            answer = DeviceResponse.model_validate_json(message.payload)
            if answer.request_id == request_id:
                return answer
    raise AssertionError("no answer")


async def _printer_when(site: Site, printer: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The printer as GET .../printers shows it, once ``ready`` holds (the bus hears it within moments)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http_login(http, site, "supervisor")
        async with asyncio.timeout(10):
            while True:
                async with http.get(f"{site.url}/api/v1/centres/test/printers") as answer:
                    found: dict[str, Any] = next(p for p in (await answer.json())["printers"] if p["id"] == printer)
                if ready(found):
                    return found
                await asyncio.sleep(0.1)


async def test_the_answers_match_the_openapi_document(api: Api) -> None:
    spec = document(list(all_routes()))
    conforms(spec, "CentreConfig", (await api.get(CONFIG, "manager")).body)
    config = await read_config(api)
    config["windows"][0]["name_en"] = "General 1"
    conforms(spec, "CentreChange", (await put(api, {"config": config, "dry_run": True})).body)
    conforms(spec, "CentreChange", (await put(api, {"config": config, "request_id": rid()})).body)
    conforms(spec, "Problem", (await put(api, {"config": {}, "dry_run": True})).body)
    conforms(spec, "PrinterList", (await api.get("/centres/test/printers", "manager")).body)
    operation = spec["paths"]["/api/v1/centres/{centre}/config"]["put"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["x-roles"] == ["admin", "manager"]
