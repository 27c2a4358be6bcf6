"""One person's data on request, on both databases: exported as JSON and erased everywhere, by phone
number or by ID number (looked up by its keyed hash), the statistics kept, both in the audit trail."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from queue_server import cli
from queue_server.app import privacy
from queue_server.app.audit import verify_trail
from queue_server.domain.bookings import person_key
from queue_server.domain.clock import ManualClock
from queue_server.http_common.id_key import load_id_key
from queue_server.store import audit as stored_audit
from queue_server.store import schema
from queue_server.store.audit import AuditFilter
from queue_server.store.database import Database
from tests.factories import shanghai
from tests.id_numbers import OTHER, YOUNG
from tests.privacy_support import CLERK, NOW, PHONE, seed_person
from tests.test_api_real_name import issue, real_name_api


@pytest.fixture
def key(tmp_path: Path) -> bytes:
    return load_id_key(tmp_path / "id.key")


async def entries(db: Database, kind: str) -> list[Any]:
    async with db.read() as conn:
        return [e for e in await stored_audit.entries(conn, AuditFilter()) if e.act.kind.value == kind]


async def test_export_by_phone_gives_every_kind_and_is_recorded(db: Database, key: bytes) -> None:
    await seed_person(db, key)
    who = privacy.person(key, phone="+86 13812345678")
    found = await privacy.export_person(db, ManualClock(NOW), who, CLERK, "本人申请 第12号")
    data = found["data"]
    assert [row["serial"] for row in data["follow_up_numbers"]] == [1]
    assert data["postal_addresses"][0]["address"] == "广东省深圳市南山区科技园路1号"
    assert data["sms_numbers"][0]["phone"] == "+86 138-1234-5678"
    assert [row["phone"] for row in data["sms_notices"]] == ["13812345678"]
    assert [row["code"] for row in data["bookings"]] == ["ABCD2345"], "by the reminder number and its keyed hash"
    assert len(data["booking_codes"]) == 1
    assert data["real_name_tickets"] == [], "an ID number is not a phone number"
    assert "13987654321" not in json.dumps(found), "nobody else's data"
    (entry,) = await entries(db, "personal_exported")
    assert (entry.act.centre, entry.act.actor, entry.act.reason) == ("test", "cli:clerk", "本人申请 第12号")
    assert entry.act.subject == "phone:138****5678"
    assert entry.act.detail["rows"]["follow_up_numbers"] == 1


async def test_export_by_id_number_finds_tickets_and_bookings_by_the_keyed_hash(db: Database, key: bytes) -> None:
    await seed_person(db, key)
    found = await privacy.export_person(
        db, ManualClock(NOW), privacy.person(key, id_number_typed=YOUNG.lower()), CLERK, "本人申请"
    )
    assert [row["number"] for row in found["data"]["real_name_tickets"]] == ["A001"]
    assert [row["code"] for row in found["data"]["bookings"]] == ["ABCD2345"]
    assert YOUNG not in json.dumps(found) and YOUNG not in str(await entries(db, "personal_exported"))


async def test_erase_removes_the_person_everywhere_and_keeps_the_statistics(db: Database, key: bytes) -> None:
    await seed_person(db, key)
    clock = ManualClock(NOW)
    by_phone = await privacy.erase(db, clock, privacy.person(key, phone=PHONE), CLERK, "本人申请删除")
    assert by_phone == {
        "follow_up_numbers": 1,
        "postal_addresses": 1,
        "sms_numbers": 1,
        "sms_notices": 1,
        "bookings": 1,
        "booking_codes": 1,
        "real_name_tickets": 0,
    }
    by_id = await privacy.erase(db, clock, privacy.person(key, id_number_typed=YOUNG), CLERK, "本人申请删除")
    assert by_id["real_name_tickets"] == 1
    again = await privacy.export_person(db, clock, privacy.person(key, phone=PHONE), CLERK, "核对已删除")
    assert all(rows == [] for rows in again["data"].values())
    again = await privacy.export_person(db, clock, privacy.person(key, id_number_typed=YOUNG), CLERK, "核对已删除")
    assert all(rows == [] for rows in again["data"].values())
    async with db.read() as conn:
        t, e, b, n = schema.tickets.c, schema.ticket_events.c, schema.bookings.c, schema.sms_notices.c
        tickets = (await conn.execute(select(t.serial, t.person, t.status).order_by(t.serial))).all()
        assert [(row.serial, row.person is None) for row in tickets] == [(1, True), (2, False)], "others untouched"
        issued = (await conn.execute(select(e.data).where(e.serial == 1, e.kind == "issued"))).scalar_one()
        assert issued["person"] is None, "the event log forgets too"
        bookings = (await conn.execute(select(b.code, b.status, b.person).order_by(b.code))).all()
        assert [(row.code, row.status, row.person is None) for row in bookings] == [
            ("ABCD2345", "booked", True),
            ("EFGH6789", "booked", False),
        ], "the booking stays for the statistics, without its person"
        notices = (await conn.execute(select(n.key, n.status, n.phone).order_by(n.key))).all()
        assert [(row.key, row.phone) for row in notices] == [("called:1", None), ("called:2", "13987654321")]
    erased = await entries(db, "personal_erased")
    assert [entry.act.subject for entry in erased] == [f"id:{person_key(key, YOUNG)[:12]}", "phone:138****5678"]
    assert (await verify_trail(db))[1] == []


async def test_a_request_without_a_reason_or_with_a_mistyped_number_changes_nothing(db: Database, key: bytes) -> None:
    await seed_person(db, key)
    with pytest.raises(privacy.PrivacyRequestError, match="reason"):
        await privacy.erase(db, ManualClock(NOW), privacy.person(key, phone=PHONE), CLERK, "  ")
    with pytest.raises(privacy.PrivacyRequestError, match="check digit"):
        privacy.person(key, id_number_typed=YOUNG[:17] + ("0" if YOUNG[17] != "0" else "1"))
    with pytest.raises(privacy.PrivacyRequestError, match="one phone number or one ID number"):
        privacy.person(key, phone=PHONE, id_number_typed=YOUNG)
    assert (await privacy.held(db, privacy.person(key, phone=PHONE)))["follow_up_numbers"] == 1
    assert await entries(db, "personal_erased") == []


def test_the_commands_export_and_erase(
    tmp_path: Path, key: bytes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    url = f"sqlite:///{tmp_path / 'hall.db'}"
    key_file = str(tmp_path / "id.key")

    async def seeded() -> None:
        from queue_server.store.migrate import upgrade

        async with Database(url) as db:
            await upgrade(db)
            await seed_person(db, key)

    asyncio.run(seeded())
    common = ["--database-url", url, "--id-key-file", key_file]
    out = tmp_path / "person.json"
    assert cli.main(["privacy", "export", "--phone", PHONE, "--reason", "本人申请", "--output", str(out), *common]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["data"]["follow_up_numbers"][0]["phone"] == PHONE
    assert out.stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(YOUNG + "\n"))
    assert cli.main(["privacy", "erase", "--id-number", "-", "--reason", "本人申请", *common]) == 0
    assert "Nothing was changed" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(YOUNG + "\n"))
    assert cli.main(["privacy", "erase", "--id-number", "-", "--reason", "本人申请", "--yes", *common]) == 0
    assert "real_name_tickets 1" in capsys.readouterr().out
    assert cli.main(["audit", "verify", "--database-url", url]) == 0
    said = capsys.readouterr().out
    assert "The audit trail is intact" in said and "test:" in said
    assert cli.main(["privacy", "erase", "--phone", "12", "--reason", "x", *common]) == 1
    assert "Cannot look up phone number" in capsys.readouterr().err

    with sqlite3.connect(tmp_path / "hall.db") as edited:  # what only the file's owner can do
        edited.execute("DROP TRIGGER audit_entries_no_update")
        edited.execute("UPDATE audit_entries SET reason = '例行检查' WHERE kind = 'personal_erased'")
    assert cli.main(["audit", "verify", "--database-url", url]) == 1
    said = capsys.readouterr().err
    assert "its fields do not match its hash (it was edited)" in said and "The audit trail is broken" in said


async def test_an_erasure_makes_a_running_server_forget_the_persons_real_name_tickets_of_the_day(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    """The running app keeps each person's count of real-name tickets in its hall; the erasure (as
    `onewindow privacy erase` runs it, beside the server) makes it build the hall again."""
    api, id_key = await real_name_api(db, aiohttp_client, real_name_tickets_per_day=2)
    for _ in range(2):
        assert (await issue(api, "pension", id_number=YOUNG)).status == 201
    full = await issue(api, "pension", id_number=YOUNG)
    assert full.status == 409 and full.body["code"] == "real_name_limit", "the running hall counts them"
    assert (await issue(api, "pension", id_number=OTHER)).status == 201
    clock = ManualClock(shanghai(2026, 11, 30, 9, 30))
    done = await privacy.erase(db, clock, privacy.person(id_key, id_number_typed=YOUNG), CLERK, "本人申请删除")
    assert done["real_name_tickets"] == 2
    again = await issue(api, "pension", id_number=YOUNG)
    assert again.status == 201, f"the running server still counted the erased person: {again.body}"
    still = await issue(api, "pension", id_number=OTHER)
    assert still.status == 201, "another person's count is read again from the rows"
    third = await issue(api, "pension", id_number=OTHER)
    assert third.status == 409 and third.body["code"] == "real_name_limit", "and still counted"
