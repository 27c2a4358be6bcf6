"""What the API tests share: a seeded hall service, tokens of every role, and a small client wrapper."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient
from multidict import CIMultiDictProxy
from sqlalchemy import func, select

from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn, StartServing
from queue_server.app.service import HallService
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Outcome
from queue_server.protocol.topics import HALL_SUMMARY
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from tests.factories import make_centre, shanghai

API = "/api/v1"
MONDAY_MORNING = shanghai(2026, 11, 30, 9, 0)
PROBLEM_JSON = "application/problem+json"

TOKEN_SPECS: dict[str, tuple[Role, str, str]] = {
    # name: (role, centre, subject)
    "admin": (Role.ADMIN, "test", "admin"),
    "manager": (Role.MANAGER, "test", "manager"),
    "s1": (Role.STAFF, "test", "s1"),
    "s2": (Role.STAFF, "test", "s2"),
    "s3": (Role.STAFF, "test", "s3"),
    "guide": (Role.GUIDE, "test", "desk1"),
    "supervisor": (Role.SUPERVISOR, "test", "supervisor"),
    "kiosk": (Role.KIOSK, "test", "kiosk1"),
    "device": (Role.DEVICE, "test", "pad1"),
    "business": (Role.BUSINESS, "test", "province"),
    "platform": (Role.PLATFORM, "test", "province-booking"),
    "other-admin": (Role.ADMIN, "other", "admin"),
    "other-manager": (Role.MANAGER, "other", "manager"),
    "other-staff": (Role.STAFF, "other", "s1"),
    "other-guide": (Role.GUIDE, "other", "desk1"),
    "other-kiosk": (Role.KIOSK, "other", "kiosk1"),
    "other-business": (Role.BUSINESS, "other", "province"),
    "other-platform": (Role.PLATFORM, "other", "province-booking"),
}
"""Tokens the tests use, by name: every role at centre ``test``, and the acting roles at ``other``."""


def rid() -> str:
    """A fresh request id, as a page makes one per intended action."""
    return uuid.uuid4().hex


async def seed(db: Database) -> dict[str, str]:
    """Centres ``test`` and ``other`` (same layout), and a token for each of :data:`TOKEN_SPECS`."""
    async with db.write() as conn:
        await create_centre(conn, make_centre(), MONDAY_MORNING)
        await create_centre(conn, make_centre(centre={"code": "other", "name": "另一个便民服务中心"}), MONDAY_MORNING)
        return {
            name: await add_token(conn, label=f"test {name}", role=role, centres=[centre], subject=subject)
            for name, (role, centre, subject) in TOKEN_SPECS.items()
        }


async def promised_day(db: Database, clock: ManualClock) -> tuple[HallService, dict[str, str]]:
    """Monday 30 November at ``test``: A001 promised in 3 working days (due Thursday), A002 finished
    on the spot, both at window 1 (s1 signed on); the service and the tokens of :func:`seed`."""
    service = HallService(db, clock, public_base_url="http://hall.example")
    tokens = await seed(db)
    steps = [
        (SignOn(window=1, staff="s1"), "staff:s1"),
        (IssueTicket(matter="pension"), "kiosk:k"),
        (IssueTicket(matter="pension"), "kiosk:k"),
        (CallNext(window=1), "staff:s1"),
        (StartServing(window=1), "staff:s1"),
        (Finish(window=1, outcome=Outcome.PROMISED, promised_days=3), "staff:s1"),
        (CallNext(window=1), "staff:s1"),
        (StartServing(window=1), "staff:s1"),
        (Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1"),
    ]
    for n, (command, actor) in enumerate(steps):
        answer = await service.act("test", command, actor=actor, request_id=f"step-{n}")
        assert answer.ok, answer.body
    return service, tokens


def hall_service(db: Database) -> HallService:
    """A service whose clock stands at 09:00 on a Monday, when the test centre is open."""
    return HallService(db, ManualClock(MONDAY_MORNING), public_base_url="http://hall.example")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0]

    @property
    def replayed(self) -> bool:
        return self.headers.get("Idempotent-Replay") == "true"


class Api:
    """The test client with tokens by name: ``await api.post("/centres/test/tickets", "kiosk", {...})``."""

    def __init__(self, client: TestClient[Any, Any], tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: str | bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        url = path if path.startswith(API) else API + path
        kwargs: dict[str, Any] = {"headers": sent}
        if raw is not None:
            kwargs["data"] = raw
            sent.setdefault("Content-Type", "application/json")
        elif body is not None:
            kwargs["json"] = body
        async with self.client.request(method, url, **kwargs) as response:
            if response.content_type.startswith("image/"):  # a staff photo: its bytes
                return Reply(response.status, await response.read(), response.headers)
            text = await response.text()
            parsed = await response.json(content_type=None) if text else None
            return Reply(response.status, parsed, response.headers)

    async def get(self, path: str, token: str | None = None) -> Reply:
        return await self.call("GET", path, token)

    async def post(self, path: str, token: str | None = None, body: Any = None, **kwargs: Any) -> Reply:
        return await self.call("POST", path, token, body, **kwargs)

    async def act(self, path: str, token: str, **fields: Any) -> Any:
        """An action that must succeed; its answer's body."""
        reply = await self.post(path, token, {"request_id": rid(), **fields})
        assert reply.status in (200, 201), (path, reply.status, reply.body)
        return reply.body

    async def issue(self, matter: str = "pension", token: str = "kiosk", **fields: Any) -> dict[str, Any]:
        body = await self.act("/centres/test/tickets", token, matter=matter, **fields)
        return body["ticket"]  # type: ignore[no-any-return]

    async def sign_on(self, *pairs: tuple[str, int]) -> None:
        for staff, window in pairs:
            await self.act(f"/centres/test/windows/{window}/sign-on", staff)


async def counts(db: Database) -> dict[str, int]:
    """How many rows each state and log table holds, and the centres' state versions: a fingerprint.

    The outbox's ``hall/summary`` rows are left out: a wait-range round (after issues, seconds later,
    no action) sends the board's summary again when a newcomer's range moved, and every action that
    changes the hall also writes rows the fingerprint counts."""
    tables = (schema.tickets, schema.ticket_events, schema.window_events, schema.requests)
    async with db.read() as conn:
        found = {table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0) for table in tables}
        summary = HALL_SUMMARY.subject()
        outbox = select(func.count()).select_from(schema.outbox).where(schema.outbox.c.subject != summary)
        found["outbox"] = int(await conn.scalar(outbox) or 0)
        versions = await conn.execute(select(schema.centres.c.code, schema.centres.c.state_version))
        found |= {f"version:{row.code}": int(row.state_version) for row in versions}
    return found
