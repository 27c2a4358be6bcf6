"""Every audited act leaves its entry, on both databases: who, when, what, which centre and object, why.

Each act is done the way its users do it (the API with a role's token, the command line's own
functions), then the centre's trail is read over ``GET /api/v1/audit`` with the supervisor's token.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from queue_server.assembly import create_app
from queue_server.auth.accounts import add_token, add_user, revoke_token, token_id
from queue_server.bus import mqtt_config
from queue_server.cli.initialise import load_centre_into
from queue_server.domain.audit import Actor
from queue_server.domain.clock import ManualClock
from queue_server.store import schema
from queue_server.store.database import Database
from tests.api_support import Api, promised_day, rid
from tests.factories import make_centre, shanghai
from tests.test_appeal_evidence import PDF

CASE = "TEST-2026-000001"
ADDRESS = {"recipient": "张三", "phone": "138 0013 8000", "address": "广东省深圳市南山区科技园路1号", "consent": True}
OPERATOR = Actor("cli:ops", "operator")


@dataclass
class Hall:
    api: Api
    db: Database
    clock: ManualClock
    tmp: Path


@pytest.fixture
async def hall(db: Database, aiohttp_client: AiohttpClient, tmp_path: Path) -> Hall:
    """Monday 30 November at ``test``: A001 promised (case TEST-2026-000001), A002 finished on the spot."""
    clock = ManualClock(shanghai(2026, 11, 30, 9, 0))
    service, tokens = await promised_day(db, clock)
    return Hall(Api(await aiohttp_client(create_app(service)), tokens), db, clock, tmp_path)


async def status_token(db: Database, serial: int) -> str:
    t = schema.tickets.c
    async with db.read() as conn:
        found = await conn.execute(select(t.status_token).where(t.centre == "test", t.serial == serial))
        return str(found.scalar_one())


async def trail(api: Api, **query: str) -> list[dict[str, Any]]:
    asked = "&".join(f"{name}={value}" for name, value in query.items())
    reply = await api.get(f"/audit?{asked}", "supervisor")
    assert reply.status == 200, reply.body
    entries: list[dict[str, Any]] = reply.body["entries"]
    return entries


# --- The acts ----------------------------------------------------------------------------------------


async def change_config(hall: Hall) -> None:
    config = (await hall.api.get("/centres/test/config", "manager")).body["config"]
    config["windows"][2]["name"] = "公安户籍"
    reply = await hall.api.call("PUT", "/centres/test/config", "manager", {"config": config, "request_id": "cfg-1"})
    assert reply.status == 200 and reply.body["applied"], reply.body


async def add_device(hall: Hall) -> None:
    config = (await hall.api.get("/centres/test/config", "manager")).body["config"]
    config.setdefault("devices", []).append({"id": "kp-9", "kind": "keypad", "window": 1, "name": "1号窗口呼叫器"})
    reply = await hall.api.call("PUT", "/centres/test/config", "manager", {"config": config, "request_id": "cfg-2"})
    assert reply.status == 200 and reply.body["applied"], reply.body


async def load_centre_file(hall: Hall) -> None:
    changed = make_centre(centre={"code": "test", "name": "改名后的便民服务中心"})
    result = await load_centre_into(hall.db, changed, apply=True, say=lambda _: None, by=OPERATOR)
    assert result.applied


async def add_account(hall: Hall) -> None:
    async with hall.db.write() as conn:
        await add_user(
            conn, username="li.na", password="a long passphrase", role="manager", centres=["test"], by=OPERATOR
        )


async def issue_token(hall: Hall) -> None:
    async with hall.db.write() as conn:
        await add_token(conn, label="east door", role="kiosk", centres=["test"], subject="kiosk9", by=OPERATOR)


async def revoke(hall: Hall) -> None:
    async with hall.db.write() as conn:
        made = await token_id(conn, hall.api.tokens["kiosk"])
        assert made is not None
        await revoke_token(conn, made, by=OPERATOR)


async def set_device_passwords(hall: Hall) -> None:
    await add_device(hall)
    settings = mqtt_config.Settings(output_dir=hall.tmp / "mqtt", secrets_file=hall.tmp / "secrets.json")
    async with hall.db.write() as conn:
        await mqtt_config.generate(conn, settings, hall.clock.now(), OPERATOR)


async def reveal_follow_up_number(hall: Hall) -> None:
    token = await status_token(hall.db, 2)
    body = {"request_id": rid(), "level": 1, "reasons": ["服务态度不好"], "contact_phone": "138 1234 5678"}
    rated = await hall.api.post(f"/status/{token}/rating", None, {**body, "contact_consent": True})
    assert rated.status == 200, rated.body
    (case,) = (await hall.api.get("/centres/test/rectifications", "manager")).body["cases"]
    masked = await hall.api.get(f"/centres/test/rectifications/{case['id']}", "manager")
    assert masked.body["contact_phone"] is None, "a masked view is no act"
    assert await trail(hall.api, kind="personal_viewed") == []
    shown = await hall.api.call(
        "GET",
        f"/centres/test/rectifications/{case['id']}?reason=回访核实",
        "manager",
        headers={"X-Request-Id": "req-7"},
    )
    assert shown.body["contact_phone"] == "138 1234 5678"


async def read_postal_address(hall: Hall) -> None:
    taken = await hall.api.post("/centres/test/promised/1/postal-address", "s1", {"request_id": "a-1", **ADDRESS})
    assert taken.status == 200, taken.body
    full = await hall.api.get(f"/centres/test/cases/{CASE}/postal-address?reason=邮寄结果", "business")
    assert full.body["address"] == ADDRESS["address"]


async def open_appeal_file(hall: Hall) -> None:
    body = {"request_id": rid(), "name": "情况说明.pdf", "data": base64.b64encode(PDF).decode()}
    uploaded = await hall.api.post("/centres/test/appeal-evidence", "s1", body)
    assert uploaded.status == 201, uploaded.body
    async with hall.api.client.get(
        uploaded.body["path"], headers={"Authorization": f"Bearer {hall.api.tokens['supervisor']}"}
    ) as answer:
        assert answer.status == 200


async def export_trail(hall: Hall) -> None:
    async with hall.api.client.get(
        "/api/v1/audit?format=csv&reason=季度检查",
        headers={"Authorization": f"Bearer {hall.api.tokens['supervisor']}"},
    ) as answer:
        assert answer.status == 200
        assert next(csv.reader(io.StringIO((await answer.read()).decode("utf-8-sig"))))[0] == "序号"


@dataclass(frozen=True)
class Expected:
    kind: str
    actor: str
    role: str
    subject: str
    reason: str = ""
    detail: dict[str, Any] | None = None
    request_id: str | None = None


ACTS: dict[str, tuple[Callable[[Hall], Awaitable[None]], Expected]] = {
    "configuration changed by the manager": (
        change_config,
        Expected("config_changed", "manager:manager", "manager", "centre:test", request_id="cfg-1"),
    ),
    "a device added to the configuration": (
        add_device,
        Expected(
            "device_changed",
            "manager:manager",
            "manager",
            "centre:test",
            detail={"source": "manager", "changes": ["+ devices kp-9: added"]},
        ),
    ),
    "a centre file applied": (load_centre_file, Expected("config_changed", "cli:ops", "operator", "centre:test")),
    "an account added": (
        add_account,
        Expected("account_changed", "cli:ops", "operator", "account:li.na"),
    ),
    "a token issued": (issue_token, Expected("token_changed", "cli:ops", "operator", "token:")),
    "a token revoked": (revoke, Expected("token_changed", "cli:ops", "operator", "token:")),
    "device passwords made": (set_device_passwords, Expected("device_changed", "cli:ops", "operator", "device:kp-9")),
    "a follow-up number shown in full": (
        reveal_follow_up_number,
        Expected(
            "personal_viewed",
            "manager:manager",
            "manager",
            "rectification:1",
            reason="回访核实",
            detail={"data": "follow_up_phone", "shown": "138****5678"},
            request_id="req-7",
        ),
    ),
    "a postal address read": (
        read_postal_address,
        Expected(
            "personal_viewed",
            "business:province",
            "business",
            f"case:{CASE}",
            reason="邮寄结果",
            detail={"data": "postal_address", "shown": "张* 138****8000 广东省深圳市****"},
        ),
    ),
    "an appeal's file opened": (
        open_appeal_file,
        Expected(
            "personal_viewed",
            "supervisor:supervisor",
            "supervisor",
            "appeal-file:",
            reason="申诉复核 (deciding an appeal)",
            detail={"data": "appeal_evidence", "media_type": "application/pdf"},
        ),
    ),
    "the trail exported": (
        export_trail,
        Expected("audit_exported", "supervisor:supervisor", "supervisor", "audit", reason="季度检查"),
    ),
}


@pytest.mark.parametrize("name", list(ACTS))
async def test_each_audited_act_leaves_its_entry(hall: Hall, name: str) -> None:
    act, expected = ACTS[name]
    before = {entry["id"] for entry in await trail(hall.api)}
    hall.clock.advance(dt.timedelta(seconds=30))
    await act(hall)
    new = [entry for entry in await trail(hall.api, centre="test") if entry["id"] not in before]
    mine = [entry for entry in new if entry["kind"] == expected.kind and entry["subject"].startswith(expected.subject)]
    assert mine, f"no {expected.kind} entry among {new}"
    entry = mine[0]
    assert (entry["centre"], entry["actor"], entry["role"], entry["reason"]) == (
        "test",
        expected.actor,
        expected.role,
        expected.reason,
    )
    assert entry["at"], "when"
    if expected.detail is not None:
        assert entry["detail"] == expected.detail
    if expected.request_id is not None:
        assert entry["request_id"] == expected.request_id
    assert "138 1234 5678" not in str(new) and "科技园路" not in str(new), "no personal data in the trail itself"
    assert "12345678" not in str(new)


async def test_a_reason_is_required_to_see_a_number_or_export_the_trail(hall: Hall) -> None:
    token = await status_token(hall.db, 2)
    body = {"request_id": rid(), "level": 1, "reasons": ["服务态度不好"], "contact_phone": "138 1234 5678"}
    await hall.api.post(f"/status/{token}/rating", None, {**body, "contact_consent": True})
    (case,) = (await hall.api.get("/centres/test/rectifications", "manager")).body["cases"]
    blank = await hall.api.get(f"/centres/test/rectifications/{case['id']}?reason=%20", "manager")
    assert blank.status == 422 and blank.body["errors"][0]["field"] == "reason"
    unexplained = await hall.api.get("/audit?format=xlsx", "supervisor")
    assert unexplained.status == 422 and unexplained.body["errors"][0]["field"] == "reason"
    assert await trail(hall.api, kind="personal_viewed") == []
    assert await trail(hall.api, kind="audit_exported") == []


async def test_the_trail_is_read_only_for_the_tokens_centres(hall: Hall) -> None:
    await change_config(hall)
    elsewhere = await hall.api.get("/audit?centre=other", "supervisor")
    assert elsewhere.status == 403
    assert (await hall.api.get("/audit", "manager")).status == 403, "a manager does not read the trail"
    assert all(entry["centre"] == "test" for entry in await trail(hall.api))
    assert await trail(hall.api, kind="config_changed", actor="manager:manager")
    assert await trail(hall.api, kind="config_changed", since="2026-12-01") == []
    assert await trail(hall.api, kind="config_changed", until="2026-11-29") == []
