"""Real-name tickets over the API, on SQLite and PostgreSQL: the ID number is checked and hashed at
the edge, the (N+1)th ticket of a person's day refused in words, and the number stored nowhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_aiohttp.plugin import AiohttpClient
from sqlalchemy import select

from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.clock import ManualClock
from queue_server.domain.real_name import holder_of
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from queue_server.web.keys import ID_KEY, SERVICE
from tests.api_support import Api, hall_service, rid
from tests.factories import shanghai
from tests.id_numbers import ELDERLY, OTHER, YOUNG, mistyped
from tests.test_real_name import real_name_centre

ISSUE = "/centres/test/tickets"


async def real_name_api(db: Database, aiohttp_client: AiohttpClient, **policy: object) -> tuple[Api, bytes]:
    """The real-name test centre (pension and id_card by real name), s1 at window 1 and s3 at window 3,
    and the app's ID number key."""
    async with db.write() as conn:
        await create_centre(conn, real_name_centre(**policy), shanghai(2026, 11, 30, 8, 0))
        tokens = {
            name: await add_token(conn, label=name, role=role, centres=["test"], subject=subject)
            for name, (role, subject) in {
                "kiosk": (Role.KIOSK, "kiosk1"),
                "guide": (Role.GUIDE, "desk1"),
                "s1": (Role.STAFF, "s1"),
                "s3": (Role.STAFF, "s3"),
            }.items()
        }
    app = create_app(hall_service(db))
    api = Api(await aiohttp_client(app), tokens)
    await api.sign_on(("s1", 1), ("s3", 3))
    return api, app[ID_KEY]


async def issue(api: Api, matter: str, token: str = "kiosk", **fields: Any) -> Any:
    return await api.post(ISSUE, token, {"matter": matter, "request_id": rid(), **fields})


async def test_the_n_plus_first_ticket_of_a_persons_day_is_refused_in_words(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    api, key = await real_name_api(db, aiohttp_client, real_name_tickets_per_day=2)
    first = await issue(api, "pension", id_number=YOUNG)
    assert first.status == 201, first.body
    assert first.body["ticket"]["green_channel"] is False, "36: an ordinary ticket"
    assert (await issue(api, "id_card", "guide", id_number=YOUNG.lower())).status == 201, "the desk, any case"
    third = await issue(api, "pension", id_number=YOUNG)
    assert third.status == 409, third.body
    assert third.body["code"] == "real_name_limit"
    assert third.body["message"] == "实名取号每人每天最多2个，该身份证号码今天已取满"
    assert "2 real-name tickets a day" in third.body["message_en"]
    assert (await issue(api, "pension", id_number=OTHER)).status == 201, "another person is counted apart"
    assert (await issue(api, "medical", id_number=YOUNG)).status == 201, "a matter without real name is not counted"
    async with db.read() as conn:
        t = schema.tickets.c
        people = (await conn.execute(select(t.matter, t.person).order_by(t.serial))).all()
    hashed = holder_of(key, YOUNG).person
    assert [(row.matter, row.person) for row in people] == [
        ("pension", hashed),
        ("id_card", hashed),
        ("pension", holder_of(key, OTHER).person),
        ("medical", None),
    ], "the hash on real-name tickets only"


async def test_a_real_name_matter_without_a_number_or_with_a_mistyped_one_is_refused(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    api, _ = await real_name_api(db, aiohttp_client)
    missing = await issue(api, "pension")
    assert (missing.status, missing.body["code"]) == (409, "real_name_id_missing")
    assert missing.body["message"] == "「养老保险待遇领取」实行实名取号，请提供身份证号码"
    wrong = await issue(api, "pension", id_number=mistyped(YOUNG))
    assert (wrong.status, wrong.body["code"]) == (409, "booking_id_number")
    assert wrong.body["message"] == "身份证号码有误，请核对"
    smuggled = await issue(api, "pension", person="0" * 64, born="1940-01-01")
    assert smuggled.status == 422, "a client cannot pass a hash or a birth date: only the edge makes them"
    assert {p["field"] for p in smuggled.body["errors"]} >= {"person", "born"}
    assert (await issue(api, "medical")).status == 201, "a matter without real name asks nothing"


async def test_the_birth_date_answers_the_green_channels_age_question(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    api, _ = await real_name_api(db, aiohttp_client)
    elderly = await issue(api, "pension", id_number=ELDERLY)
    assert elderly.status == 201 and elderly.body["ticket"]["category"] == "elderly", elderly.body
    under = await issue(api, "pension", id_number=YOUNG, category="elderly")
    assert (under.status, under.body["code"]) == (409, "green_under_age")
    assert under.body["message"] == "按身份证出生日期未满60周岁，不能按老年人取绿色通道号"


async def test_the_number_is_stored_nowhere_and_its_hash_is_blanked_in_time(
    db: Database, aiohttp_client: AiohttpClient, database_url: str
) -> None:
    api, key = await real_name_api(db, aiohttp_client, real_name_days=30)
    for number in (YOUNG, ELDERLY):
        assert (await issue(api, "pension", id_number=number)).status == 201
    await issue(api, "pension", id_number=mistyped(OTHER))
    hashes = {holder_of(key, n).person for n in (YOUNG, ELDERLY)}
    everything = await every_row(db)
    for number in (YOUNG, ELDERLY, mistyped(OTHER)):
        for form in (number, number[6:14] + number[14:]):  # the number, or its tail after the area code
            assert form not in everything, f"{form} is stored"
    assert all(h in everything for h in hashes), "the hash is kept (ticket and issued event)"
    if database_url.startswith("sqlite:///"):
        files = Path(database_url.removeprefix("sqlite:///")).parent.glob("onewindow.db*")
        raw = b"".join(path.read_bytes() for path in files)
        assert YOUNG.encode() not in raw and ELDERLY.encode() not in raw, "not in the database's own files"
    service = api.client.app[SERVICE]
    clock = service.clock
    assert isinstance(clock, ManualClock)
    clock.set(shanghai(2026, 12, 30, 20, 0))
    assert await service.forget_real_names(["test"]) == 0, "30 days after the service day: kept"
    clock.set(shanghai(2026, 12, 31, 20, 0))
    assert await service.forget_real_names(["test"]) == 2
    assert await service.forget_real_names(["test"]) == 0, "blanked once"
    everything = await every_row(db)
    assert not any(h in everything for h in hashes), "blanked in the tickets and in their events"


async def every_row(db: Database) -> str:
    """Every row of every table, as text: what a copy of the database would tell."""
    async with db.read() as conn:
        rows = [row for table in schema.metadata.sorted_tables for row in (await conn.execute(select(table))).all()]
    return "\n".join(str(tuple(row)) for row in rows)
