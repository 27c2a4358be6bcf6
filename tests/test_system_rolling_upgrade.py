"""A rolling upgrade under load: two versions of `onewindow serve` on one PostgreSQL and one Mosquitto.

The old version is this tree. The new one is made here: a copy of the package with one more
migration (expand: a nullable column and an index on the tickets) and the next protocol revision.
Two kiosks issue tickets and three windows call and finish them over HTTP all along, each request
sent to a running instance in turn and, when that instance goes away, repeated with the same
request id at another, as the reverse proxy does. The steps are those of docs/deployment.md:

1. the old version serves alone;
2. the new version migrates the database (expand) while the old one serves;
3. the new version starts beside the old one; an old instance that starts meanwhile (a restart
   during the upgrade) serves the newer schema, with a warning;
4. the old ones stop (SIGTERM, as a service manager stops them);
5. the new version serves alone.

Then nothing is lost or applied twice: every answered ticket exists once and the numbers have no
gap; each ticket was called once and finished; every call reached the broker in order, its
sequence without gaps per window, and reads with this (older) version's models, the new version's
with its newer revision; no request was answered with a 5xx. A hall board of this version (the
display client) stays on the bus throughout: it announces every call, of either version, and notes
the newer revision without asking to be updated; ``server/protocol`` ends saying the newer one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
import pytest
from sqlalchemy import func, select

import queue_server
from display_client.board import Link
from display_client.client import DisplayClient
from queue_server.protocol.broker import Broker
from queue_server.protocol.payloads import PROTOCOL, PROTOCOL_REVISION, Call, ServerProtocol
from queue_server.protocol.topics import SERVER_PROTOCOL, WINDOW_CALL
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.migrate import current_revision, head_revision
from tests.brokers import Mosquitto
from tests.serverproc import PreparedHall, ServerProcess, busy_centre, other_version_env, post, prepare_hall

pytestmark = pytest.mark.slow

WINDOWS = 3
STEP = 6
"""Services finished between one step of the upgrade and the next."""
NEW_REVISION = "9001"
NEW_MIGRATION = f'''"""rolling upgrade test: a note on each ticket (expand)"""

import sqlalchemy as sa
from alembic import op

revision = "{NEW_REVISION}"
down_revision = "{{down}}"
branch_labels = None
depends_on = None
change = "expand"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("upgrade_note", sa.String(length=40), nullable=True))
    op.create_index("ix_tickets_upgrade_note", "tickets", ["centre", "upgrade_note"])


def downgrade() -> None:
    op.drop_index("ix_tickets_upgrade_note", table_name="tickets")
    op.drop_column("tickets", "upgrade_note")
'''


def new_version(root: Path) -> Path:
    """A copy of this package one migration and one protocol revision ahead; returns the folder to run it from."""
    package = Path(queue_server.__file__).parent
    copy = root / "queue_server"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    versions = copy / "store" / "migrations" / "versions"
    (versions / f"{NEW_REVISION}_upgrade_note.py").write_text(NEW_MIGRATION.replace("{down}", head_revision()))
    payloads = copy / "protocol" / "payloads.py"
    text, found = re.subn(
        r"^PROTOCOL_REVISION = \d+$", f"PROTOCOL_REVISION = {PROTOCOL_REVISION + 1}", payloads.read_text(), flags=re.M
    )
    assert found == 1, "the copy's protocol revision was not found"
    payloads.write_text(text)
    return root


@dataclass
class Record:
    """What the clients were told, and what the broker carried."""

    tickets: dict[int, str] = field(default_factory=dict)
    """serial -> number, from every answered issue."""
    called: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    """window -> serials whose call was answered, in order."""
    served: int = 0
    answered_by: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    """Every 5xx answer: none is expected."""
    calls: dict[str, list[Call]] = field(default_factory=lambda: defaultdict(list))
    """Call topic -> every call message, repeats included, as it arrived."""


class Proxy:
    """Sends each request to a running instance in turn; one that is gone or going is skipped, the
    request id kept, as nginx's ``proxy_next_upstream ... non_idempotent`` does."""

    def __init__(self, session: aiohttp.ClientSession, record: Record) -> None:
        self.session = session
        self.record = record
        self.servers: dict[str, ServerProcess] = {}
        self.turn = itertools.count()

    async def act(self, path: str, token: str, body: dict[str, Any]) -> Any:
        for _ in range(100):
            names = sorted(self.servers)
            name = names[next(self.turn) % len(names)]
            url = f"{self.servers[name].base_url}/api/v1/centres/busy/{path}"
            try:
                status, answer = await post(self.session, url, token, body)
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.05)
                continue
            if status >= 500:
                self.record.failures.append(f"{name} answered {status} to {path}: {answer}")
                await asyncio.sleep(0.05)
                continue
            assert status in (200, 201), (path, status, answer)
            self.record.answered_by[name] += 1
            return answer
        raise AssertionError(f"no instance answered {path} {body}")


async def kiosk(proxy: Proxy, hall: PreparedHall, name: str, stop: asyncio.Event) -> None:
    for n in itertools.count():
        if stop.is_set():
            return
        answer = await proxy.act("tickets", hall.kiosk, {"matter": "pension", "request_id": f"{name}-{n}"})
        proxy.record.tickets[answer["ticket"]["serial"]] = answer["ticket"]["number"]
        await asyncio.sleep(0.08)


async def window(proxy: Proxy, hall: PreparedHall, number: int, stop: asyncio.Event) -> None:
    token, path = hall.staff[number], f"windows/{number}"
    await proxy.act(f"{path}/sign-on", token, {"request_id": f"on-{number}"})
    for n in itertools.count():
        answer = await proxy.act(f"{path}/call-next", token, {"request_id": f"next-{number}-{n}"})
        if answer["ticket"] is None:
            if stop.is_set():
                return
            await asyncio.sleep(0.05)
            continue
        proxy.record.called[number].append(answer["ticket"]["serial"])
        await proxy.act(f"{path}/finish", token, {"outcome": "on_the_spot", "request_id": f"fin-{number}-{n}"})
        proxy.record.served += 1


async def watch_calls(broker: Mosquitto, record: Record, ready: asyncio.Event) -> None:
    """The hall board's view of the bus, read with this version's models."""
    async with Broker.from_url(broker.url).client(f"board-{secrets.token_hex(3)}") as client:
        await client.subscribe(WINDOW_CALL.filter("busy"), qos=1)
        ready.set()
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            record.calls[message.topic.value].append(Call.model_validate_json(message.payload))


async def served_more(record: Record, count: int) -> None:
    target = record.served + count
    async with asyncio.timeout(30):
        while record.served < target:
            await asyncio.sleep(0.05)


def migrate_with(source: Path, database_url: str) -> str:
    """`onewindow init` of the version in ``source``; returns what it said."""
    done = subprocess.run(
        [sys.executable, "-m", "queue_server", "init", "--database-url", database_url],
        cwd=source,
        env=other_version_env(source),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def retained_protocol(broker: Mosquitto) -> ServerProtocol:
    async with Broker.from_url(broker.url).client(f"check-{secrets.token_hex(3)}") as client:
        await client.subscribe(SERVER_PROTOCOL.build("busy"), qos=1)
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return ServerProtocol.model_validate_json(message.payload)
    raise AssertionError("no server/protocol")


def started(server: ServerProcess) -> ServerProcess:
    server.start()
    return server


@dataclass
class Rollout:
    """The instances of both versions, as the proxy and the test know them."""

    database_url: str
    log_dir: Path
    source: Path
    """The new version's folder."""
    args: list[str]
    proxy: Proxy
    servers: dict[str, ServerProcess] = field(default_factory=dict)
    """Every instance started, by name, stopped or not."""

    async def start(self, name: str, *, new: bool = False) -> None:
        server = ServerProcess(self.database_url, self.log_dir, name, self.args, source=self.source if new else None)
        self.servers[name] = server
        await asyncio.to_thread(started, server)
        self.proxy.servers[name] = server

    async def stop(self, name: str) -> None:
        """SIGTERM, while the proxy still sends it requests, then out of the proxy's turn."""
        await asyncio.to_thread(self.proxy.servers[name].stop)
        del self.proxy.servers[name]

    async def run(self, record: Record) -> None:
        """The steps of a rolling upgrade, each after some services under way ("old" serves already)."""
        await served_more(record, STEP)  # 1. the old version alone
        old_head = head_revision()
        said = await asyncio.to_thread(migrate_with, self.source, self.database_url)  # 2. expand, the old one serving
        assert f"from schema {old_head} to {NEW_REVISION}" in said, said
        await served_more(record, STEP)
        # 3. side by side: the new version starts, and an old instance restarts meanwhile (at the same
        # time, to keep the test short: each start takes seconds)
        await asyncio.gather(self.start("old-restarted"), self.start("new", new=True))
        await served_more(record, STEP)
        for name in ("old", "old-restarted"):  # 4. the old ones stop
            await self.stop(name)
        await served_more(record, STEP)  # 5. the new version alone


@dataclass
class Stored:
    last_seqs: dict[str, int]
    """Call topic -> the last sequence the outbox gave it."""
    tickets: dict[int, str]
    unfinished: int
    calls: dict[int, int]
    """serial -> how many times it was called."""


async def stored(database_url: str) -> Stored:
    async with Database(database_url) as db:
        assert await current_revision(db) == NEW_REVISION
        async with db.read() as conn:
            s, t, e = schema.outbox_subjects.c, schema.tickets.c, schema.ticket_events.c
            rows = await conn.execute(select(s.subject, s.last_seq).where(s.subject.like("window/%/call")))
            called = select(e.serial, func.count()).where(e.kind == "called").group_by(e.serial)
            return Stored(
                last_seqs={f"onewindow/busy/{subject}": int(seq) for subject, seq in rows},
                tickets={int(serial): str(n) for serial, n in await conn.execute(select(t.serial, t.number))},
                unfinished=(await conn.execute(select(func.count()).where(t.status != "finished"))).scalar_one(),
                calls={int(serial): int(n) for serial, n in await conn.execute(called)},
            )


async def until_published(record: Record, last_seqs: dict[str, int]) -> None:
    """The relay may still be publishing the last calls when the clients are done."""
    async with asyncio.timeout(20):
        while any(max((c.seq for c in record.calls[topic]), default=0) < last for topic, last in last_seqs.items()):
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_versions_serve_side_by_side_through_a_rolling_upgrade(
    database_url: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    hall = await prepare_hall(database_url, busy_centre(WINDOWS))
    record = Record()
    stop, ready = asyncio.Event(), asyncio.Event()
    watcher = asyncio.create_task(watch_calls(mosquitto, record, ready))
    rollout: Rollout | None = None
    announced: set[str] = set()
    try:
        await asyncio.wait_for(ready.wait(), 10)
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
            DisplayClient("busy", "board-1", mosquitto.url, on_call=lambda call: announced.add(call.call_id)) as board,
        ):
            proxy = Proxy(session, record)
            shared = ["--mqtt-url", f"{mosquitto.url}?protocol=5"]
            rollout = Rollout(database_url, tmp_path, new_version(tmp_path / "new"), shared, proxy)
            await rollout.start("old")
            load = [kiosk(proxy, hall, f"k{n}", stop) for n in (1, 2)]
            load += [window(proxy, hall, number, stop) for number in range(1, WINDOWS + 1)]
            running = asyncio.gather(*load)
            try:
                await rollout.run(record)
            finally:
                stop.set()
                await asyncio.wait_for(running, 60)
            found = await stored(database_url)
            await until_published(record, found.last_seqs)
            await check_board(board, record, announced)
        spoken = await retained_protocol(mosquitto)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            await watcher
        for server in rollout.servers.values() if rollout is not None else []:
            server.stop()

    assert not record.failures, record.failures
    assert set(record.answered_by) == {"old", "old-restarted", "new"}, record.answered_by
    assert "newer than this version's" in rollout.servers["old-restarted"].log(), (
        "the restarted old instance warns of it"
    )
    assert found.tickets == record.tickets, "the stored tickets are not exactly the answered ones"
    numbers = sorted(found.tickets.values())
    assert numbers == [f"A{n:03d}" for n in range(1, len(numbers) + 1)], "the numbers have a gap or a repeat"
    assert found.unfinished == 0 and found.calls == dict.fromkeys(found.tickets, 1), "each ticket called once"
    assert sorted(s for serials in record.called.values() for s in serials) == sorted(found.tickets)
    check_calls(record, found.last_seqs)
    assert (spoken.protocol, spoken.revision) == (PROTOCOL, PROTOCOL_REVISION + 1)


async def check_board(board: DisplayClient, record: Record, announced: set[str]) -> None:
    """A hall board of this (older) version was on the bus all along: it kept working (it announced
    every call, of either version), and noted the newer revision without saying it needs an update."""
    published = {call.call_id for calls in record.calls.values() for call in calls}
    await board.wait_until(lambda: published <= announced, 20)
    assert board.unknown_protocol is None and board.board.link is Link.LIVE
    assert board.newer_protocol == (PROTOCOL, PROTOCOL_REVISION + 1)
    assert board.board.snapshot()["update_available"] == f"{PROTOCOL}.{PROTOCOL_REVISION + 1}"


def check_calls(record: Record, last_seqs: dict[str, int]) -> None:
    """Every call on the broker once per sequence, in order, without gaps; both versions' calls among
    them, the new one's last."""
    assert set(last_seqs) == {f"onewindow/busy/window/{n}/call" for n in range(1, WINDOWS + 1)}
    revisions: set[int] = set()
    for topic, last in last_seqs.items():
        shown: list[Call] = []
        for message in record.calls[topic]:
            if message.seq <= len(shown):
                assert shown[message.seq - 1].serial == message.serial, (
                    f"{topic}: seq {message.seq} stood for two calls"
                )
                continue
            assert message.seq == len(shown) + 1, f"{topic}: seq {message.seq} came after {len(shown)}"
            shown.append(message)
        assert len(shown) == last, f"{topic}: the board saw {len(shown)} of {last} calls"
        window = int(topic.split("/")[3])
        assert [c.serial for c in shown] == record.called[window], f"{topic}: the calls differ from the answers"
        revisions |= {c.revision for c in shown}  # interleaved while both serve: they take turns relaying
        assert all(c.protocol == PROTOCOL for c in shown)
    assert revisions == {PROTOCOL_REVISION, PROTOCOL_REVISION + 1}, "both versions published calls"
    newest = max((c for calls in record.calls.values() for c in calls), key=lambda c: c.at)
    assert newest.revision == PROTOCOL_REVISION + 1, "the new version alone published the last call"
