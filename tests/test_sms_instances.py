"""SMS notices exactly once with two `onewindow serve` processes on one PostgreSQL, through a restart.

Both instances run the SMS sender against a local fake of the provider (it checks every request's
signature). Citizens give their numbers on the ticket page; the window calls through either
instance; halfway both instances go (one stopped, one killed with SIGKILL) and two new ones start.
Each near, called and ready notice reaches the provider exactly once, and the record says sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import zoneinfo
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from queue_server.auth.accounts import Role, add_token
from queue_server.domain.centre import WEEKDAYS
from queue_server.store import schema
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre
from tests.brokers import Mosquitto
from tests.factories import make_centre
from tests.fake_sms import FakeSms
from tests.serverproc import ServerProcess, post
from tests.sms_support import SIGN, fake_provider, write_config

pytestmark = pytest.mark.slow

SECOND_PHONE = "13900139000"


async def prepare(database_url: str) -> dict[str, str]:
    """The test centre open around the clock, and tokens for its kiosk, window 1 and the business system."""
    centre = make_centre(
        hours={day: [["00:00", "24:00"]] for day in WEEKDAYS},
        policy={"stop_issuing_before_close": 0, "kiosk_tickets_per_minute": 0},
    )
    async with Database(database_url) as db:
        await upgrade(db)
        async with db.write() as conn:
            await create_centre(conn, centre, utcnow())
            specs = {"kiosk": Role.KIOSK, "s1": Role.STAFF, "business": Role.BUSINESS}
            return {
                name: await add_token(conn, label=name, role=role, centres=["test"], subject=name)
                for name, role in specs.items()
            }


class Hall:
    """Sends each request to the instances in turn, as a reverse proxy would."""

    def __init__(self, session: aiohttp.ClientSession, servers: list[ServerProcess], tokens: dict[str, str]) -> None:
        self.session, self.servers, self.tokens = session, servers, tokens
        self.turn = itertools.count()

    async def post(self, path: str, who: str, body: dict[str, Any]) -> Any:
        server = self.servers[next(self.turn) % len(self.servers)]
        status, answer = await post(self.session, f"{server.base_url}/api/v1{path}", self.tokens.get(who, ""), body)
        assert status in (200, 201), (path, status, answer)
        return answer

    async def serve_next(self, n: int, outcome: str = "on_the_spot", **finish: Any) -> str:
        window = "/centres/test/windows/1"
        called = await self.post(f"{window}/call-next", "s1", {"request_id": f"next-{n}"})
        await self.post(f"{window}/start", "s1", {"request_id": f"start-{n}"})
        await self.post(f"{window}/finish", "s1", {"request_id": f"finish-{n}", "outcome": outcome, **finish})
        return str(called["ticket"]["number"])


async def until_sent(fake: FakeSms, count: int) -> None:
    async with asyncio.timeout(30):
        while len(fake.sent) < count:
            await asyncio.sleep(0.1)


async def until_recorded(database_url: str, count: int) -> None:
    """The senders' transactions committed: a SIGKILL between the provider's answer and the commit
    sends the notice again (the one window of at-least-once, docs/deployment.md)."""
    async with Database(database_url) as db, asyncio.timeout(30):
        while True:
            async with db.read() as conn:
                n = schema.sms_notices.c
                if len((await conn.execute(select(n.id).where(n.status == "sent"))).all()) >= count:
                    return
            await asyncio.sleep(0.1)


def start(database_url: str, log_dir: Path, name: str, args: list[str]) -> ServerProcess:
    server = ServerProcess(database_url, log_dir, name, args)
    server.start()
    return server


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_near_called_and_ready_once_each_across_a_restart_with_two_instances(
    database_url: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    tokens = await prepare(database_url)
    async with fake_provider() as fake:
        fake.delay = 1.0  # each send outlasts two polls of the other instance's sender
        args = [
            "--mqtt-url",
            f"{mosquitto.url}?protocol=5",
            "--sms-config",
            str(write_config(fake, tmp_path, ("test",))),
            "--id-key-file",  # the instances share one, kept with the test's files
            str(tmp_path / "id.key"),
        ]
        servers = [start(database_url, tmp_path, f"first{i}", args) for i in range(2)]
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
                hall = Hall(session, servers, tokens)
                await hall.post("/centres/test/windows/1/sign-on", "s1", {"request_id": "on", "staff": "s1"})
                issued = [
                    (await hall.post("/centres/test/tickets", "kiosk", {"matter": "pension", "request_id": f"i{n}"}))[
                        "ticket"
                    ]
                    for n in range(4)
                ]
                for ticket, phone in ((issued[2], "138 0013 8000"), (issued[3], SECOND_PHONE)):
                    given = await hall.post(
                        f"/status/{ticket['status_token']}/sms",
                        "",
                        {"phone": phone, "consent": True, "request_id": "sms"},
                    )
                    assert given["phone"] in ("138****8000", "139****9000")
                assert await hall.serve_next(1) == "A001"  # A003 and A004 are now 1 and 2 ahead: near
                await until_sent(fake, 2)
                await until_recorded(database_url, 2)
                servers[0].stop()
                servers[1].kill()
                servers[:] = [start(database_url, tmp_path, f"second{i}", args) for i in range(2)]
                assert await hall.serve_next(2) == "A002"
                assert await hall.serve_next(3, "promised", promised_days=3) == "A003"
                year = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).year
                case = f"TEST-{year}-{issued[2]['serial']:06d}"
                for _ in range(2):  # the business system repeats its report: one notice
                    await hall.post(
                        f"/centres/test/cases/{case}/result", "business", {"request_id": "r1", "state": "ready"}
                    )
                assert await hall.serve_next(4) == "A004"
                await until_sent(fake, 5)
                await asyncio.sleep(2)  # several polls of both senders: nothing more goes out
        finally:
            for server in servers:
                server.stop()
    texts = Counter(fake.texts())
    assert texts == Counter(
        f"【{SIGN}】{text}"
        for text in (
            "您的号码A003前面还有1人，请留意叫号。",
            "您的号码A004前面还有2人，请留意叫号。",
            "请A003号到1号窗口办理。",
            "您在测试便民服务中心办理的养老保险待遇领取已办结，请到测试便民服务中心领取。",
            "请A004号到1号窗口办理。",
        )
    ), texts
    assert sorted(s.phone for s in fake.sent) == sorted(["13800138000"] * 3 + [SECOND_PHONE] * 2)
    async with Database(database_url) as db, db.read() as conn:
        n = schema.sms_notices.c
        rows = (await conn.execute(select(n.key, n.status, n.phone_masked, n.biz_id))).all()
    assert sorted(key for key, *_ in rows) == sorted(["near:3", "near:4", "called:3", "called:4", "ready:3"])
    assert {status for _, status, *_ in rows} <= {"sent", "delivered"}, rows
    assert {biz for *_, biz in rows} == {s.biz_id for s in fake.sent}
