"""Two server instances on one PostgreSQL and one Mosquitto; one is killed with SIGKILL halfway.

Three centres are driven at once: at each, a kiosk issues tickets over HTTP (to either instance,
as a reverse proxy would send them) and a button kiosk over MQTT; window 1 is served over HTTP and
window 2 by its keypad over MQTT. The instances speak MQTT 5 and share the device requests. When
half the tickets are served one instance gets SIGKILL: HTTP clients go on at the other with the
same request ids, devices repeat their unanswered requests, and the survivor takes over the
outbox. Then:

- every acknowledged ticket exists once, with the number its answer gave, and was called once;
- each request id was applied once: every answer to it (repeats included) is the same;
- every call reached the hall's display subscriber, in order per window, its sequence without gaps;
- the server's availability says ``online`` (the dead instance's last will was answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
import pytest
from sqlalchemy import func, select

from queue_server.auth.accounts import Role, add_token
from queue_server.bus import runner
from queue_server.domain.centre import WEEKDAYS, Centre
from queue_server.protocol.broker import Broker
from queue_server.protocol.topics import DEVICE_RESPONSE, SERVER_AVAILABILITY, WINDOW_CALL
from queue_server.store import schema
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import create_centre
from queue_server.twins.devices import ButtonKiosk, Keypad
from tests.brokers import Mosquitto
from tests.serverproc import ServerProcess, post

pytestmark = pytest.mark.slow

CENTRES = ("east", "west", "village")
TICKETS_PER_KIOSK = 6
"""Per centre, this many over HTTP and this many from the button kiosk."""
TOTAL = len(CENTRES) * 2 * TICKETS_PER_KIOSK
TWIN_OPTIONS: dict[str, Any] = {"retry_interval": 0.5, "timeout": 45.0}


def centre_config(code: str) -> Centre:
    """A centre open around the clock: two windows, window 2's keypad, and a button kiosk."""
    return Centre.model_validate(
        {
            "centre": {"code": code, "name": f"{code} 中心"},
            "policy": {"stop_issuing_before_close": 0},
            "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
            "domains": [{"code": "general", "name": "综合"}],
            "window_kinds": [{"code": "general", "name": "综合受理"}],
            "ticket_groups": [{"prefix": "A", "name": "综合"}],
            "matters": [
                {
                    "code": "pension",
                    "name": "养老保险待遇领取",
                    "domain": "general",
                    "window_kinds": ["general"],
                    "expected_minutes": 5,
                    "prefix": "A",
                }
            ],
            "windows": [{"number": n, "name": f"{n}号窗口", "kinds": ["general"]} for n in (1, 2)],
            "staff": [{"code": f"s{n}", "name": f"员工{n}", "windows": [n]} for n in (1, 2)],
            "devices": [
                {"id": "keypad-2", "kind": "keypad", "name": "2号窗口呼叫器", "window": 2},
                {"id": "kiosk-b", "kind": "kiosk", "name": "按键取号机"},
            ],
        }
    )


@dataclass
class Tokens:
    kiosk: str
    staff: dict[int, str]


@dataclass
class Record:
    """What the clients were told, and what the display subscriber saw."""

    tickets: dict[tuple[str, int], str] = field(default_factory=dict)
    """(centre, serial) -> number, from every acknowledged issue."""
    called: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    """(centre, window) -> serials whose call was acknowledged, in order."""
    served: int = 0
    answers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Device request id -> every distinct answer published for it."""
    display: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    """Call topic -> (seq, serial) of every call message, repeats included, as they arrived."""


async def prepare(database_url: str) -> dict[str, Tokens]:
    tokens = {}
    async with Database(database_url) as db:
        await upgrade(db)
        async with db.write() as conn:
            for code in CENTRES:
                await create_centre(conn, centre_config(code), utcnow())
                kiosk = await add_token(conn, label="kiosk", role=Role.KIOSK, centres=[code], subject="kiosk1")
                staff = {
                    n: await add_token(conn, label=f"s{n}", role=Role.STAFF, centres=[code], subject=f"s{n}")
                    for n in (1, 2)
                }
                tokens[code] = Tokens(kiosk, staff)
    return tokens


class Http:
    """Sends each action to an instance in turn; one that is gone is skipped, the request id kept."""

    def __init__(self, session: aiohttp.ClientSession, servers: list[ServerProcess]) -> None:
        self.session = session
        self.servers = servers
        self.turn = itertools.count()

    async def act(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        first = next(self.turn)
        for attempt in range(60):
            server = self.servers[(first + attempt) % len(self.servers)]
            try:
                return await post(self.session, f"{server.base_url}/api/v1/centres/{path}", token, body)
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.1)
        raise AssertionError(f"no instance answered {path} {body}")


async def watch(broker: Mosquitto, record: Record, ready: asyncio.Event) -> None:
    """The hall's display subscriber and a monitor of every device answer, for the whole run."""
    async with Broker.from_url(broker.url).client(f"display-{secrets.token_hex(3)}") as client:
        await client.subscribe(WINDOW_CALL.filter(), qos=1)
        await client.subscribe(DEVICE_RESPONSE.filter(), qos=1)
        ready.set()
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            data = json.loads(message.payload)
            topic = message.topic.value
            if "/response/" in topic:
                record.answers[data["request_id"]].add(json.dumps(data, sort_keys=True))  # a replay comes from JSONB
            else:
                record.display[topic].append((data["seq"], data["serial"]))


async def issue_http(http: Http, code: str, tokens: Tokens, record: Record) -> None:
    for n in range(TICKETS_PER_KIOSK):
        status, body = await http.act(f"{code}/tickets", tokens.kiosk, {"matter": "pension", "request_id": f"i-{n}"})
        assert status == 201, body
        record.tickets[(code, body["ticket"]["serial"])] = body["ticket"]["number"]
        await asyncio.sleep(0.05)


async def issue_device(kiosk: ButtonKiosk, code: str, record: Record) -> None:
    for _ in range(TICKETS_PER_KIOSK):
        answer = await kiosk.ticket("pension")
        assert answer.ok and answer.result is not None, answer
        ticket: Any = answer.result["ticket"]
        record.tickets[(code, ticket["serial"])] = ticket["number"]
        await asyncio.sleep(0.05)


async def serve_http(http: Http, code: str, tokens: Tokens, record: Record, done: asyncio.Event) -> None:
    api, token = f"{code}/windows/1", tokens.staff[1]
    for attempt in itertools.count():
        if done.is_set():
            return
        status, body = await http.act(f"{api}/call-next", token, {"request_id": f"next-{attempt}"})
        assert status == 200, body
        if body["ticket"] is None:
            await asyncio.sleep(0.1)
            continue
        record.called[(code, 1)].append(body["ticket"]["serial"])
        status, body = await http.act(f"{api}/finish", token, {"outcome": "on_the_spot", "request_id": f"f-{attempt}"})
        assert status == 200, body
        record.served += 1


async def serve_keypad(keypad: Keypad, code: str, record: Record, done: asyncio.Event) -> None:
    while not done.is_set():
        answer = await keypad.next()
        assert answer.ok and answer.result is not None, answer
        ticket: Any = answer.result["ticket"]
        if ticket is None:
            await asyncio.sleep(0.1)
            continue
        record.called[(code, 2)].append(ticket["serial"])
        answer = await keypad.finish()
        assert answer.ok, answer
        record.served += 1


async def kill_halfway(victim: ServerProcess, record: Record) -> None:
    while record.served < TOTAL // 2:
        await asyncio.sleep(0.05)
    victim.kill()


async def until_all_served(record: Record, done: asyncio.Event) -> None:
    while record.served < TOTAL:
        await asyncio.sleep(0.05)
    done.set()


async def run_halls(servers: list[ServerProcess], broker: Mosquitto, tokens: dict[str, Tokens], record: Record) -> None:
    done = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)))
        http = Http(session, servers)
        for code in CENTRES:  # staff open both windows; window 2 is then worked from its keypad
            for window in (1, 2):
                status, body = await http.act(
                    f"{code}/windows/{window}/sign-on", tokens[code].staff[window], {"request_id": f"on-{window}"}
                )
                assert status == 200, body
        keypads = {
            c: await stack.enter_async_context(Keypad(c, "keypad-2", 2, broker.url, **TWIN_OPTIONS)) for c in CENTRES
        }
        kiosks = {
            c: await stack.enter_async_context(ButtonKiosk(c, "kiosk-b", broker.url, **TWIN_OPTIONS)) for c in CENTRES
        }
        work = [kill_halfway(servers[0], record), until_all_served(record, done)]
        for code in CENTRES:
            work += [
                issue_http(http, code, tokens[code], record),
                issue_device(kiosks[code], code, record),
                serve_http(http, code, tokens[code], record, done),
                serve_keypad(keypads[code], code, record, done),
            ]
        await asyncio.gather(*work)


async def retained_availability(broker: Mosquitto, code: str) -> str:
    async with Broker.from_url(broker.url).client(f"check-{secrets.token_hex(3)}") as client:
        await client.subscribe(SERVER_AVAILABILITY.build(code), qos=1)
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return message.payload.decode()
    raise AssertionError("no availability")


async def wait_for_display(record: Record, last_seqs: dict[str, int]) -> None:
    """The relay may still be publishing the last calls when the clients are done."""
    for _ in range(400):
        seen = {topic: max((s for s, _ in calls), default=0) for topic, calls in record.display.items()}
        if all(seen.get(topic, 0) >= seq for topic, seq in last_seqs.items()):
            return
        await asyncio.sleep(0.05)


def start_instance(database_url: str, log_dir: Path, name: str, args: list[str]) -> ServerProcess:
    """A started server; a free port taken by another process meanwhile (the suite runs in
    parallel) is given up for another."""
    for _ in range(3):
        server = ServerProcess(database_url, log_dir, name, args)
        try:
            server.start()
        except RuntimeError as error:
            if "the port is taken" not in str(error):
                raise
            continue
        return server
    raise AssertionError(f"no free port for {name} in three tries")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_instances_survive_one_killed(database_url: str, mosquitto: Mosquitto, tmp_path: Path) -> None:
    record = Record()
    tokens = await prepare(database_url)
    shared = ["--mqtt-url", f"{mosquitto.url}?protocol=5"]
    servers: list[ServerProcess] = []
    ready = asyncio.Event()
    watcher = asyncio.create_task(watch(mosquitto, record, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        for i in range(2):
            servers.append(start_instance(database_url, tmp_path, f"instance{i}", shared))
        await asyncio.wait_for(run_halls(servers, mosquitto, tokens, record), timeout=120)
        assert servers[0].process is not None and servers[0].process.returncode == -9
        async with Database(database_url) as db, db.read() as conn:
            s = schema.outbox_subjects.c
            rows = await conn.execute(select(s.centre, s.subject, s.last_seq).where(s.subject.like("window/%/call")))
            last_seqs = {f"onewindow/{centre}/{subject}": int(seq) for centre, subject, seq in rows}
        await wait_for_display(record, last_seqs)
        availability = {code: await retained_availability(mosquitto, code) for code in CENTRES}
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            await watcher
        for server in servers:
            server.stop()
    async with Database(database_url) as db, db.read() as conn:
        t, e = schema.tickets.c, schema.ticket_events.c
        stored = {(c, int(s)): str(n) for c, s, n in await conn.execute(select(t.centre, t.serial, t.number))}
        finished = (await conn.execute(select(func.count()).where(t.status == "finished"))).scalar_one()
        calls = (
            await conn.execute(
                select(e.centre, e.serial, func.count()).where(e.kind == "called").group_by(e.centre, e.serial)
            )
        ).all()

    check_actions(record, stored, finished, calls)
    check_display(record, last_seqs)
    assert availability == dict.fromkeys(CENTRES, "online"), availability


def check_actions(record: Record, stored: dict[tuple[str, int], str], finished: int, calls: Any) -> None:
    """No action lost or applied twice."""
    assert len(record.tickets) == TOTAL
    assert stored == record.tickets, "the stored tickets are not exactly the acknowledged ones"
    for code in CENTRES:
        numbers = [n for (c, _), n in stored.items() if c == code]
        assert len(numbers) == len(set(numbers)) == 2 * TICKETS_PER_KIOSK, f"a number repeats at {code}"
    assert finished == TOTAL
    assert len(calls) == TOTAL and all(n == 1 for *_, n in calls), "each ticket called once"
    served = sorted((code, serial) for (code, _), serials in record.called.items() for serial in serials)
    assert served == sorted(stored), "an acknowledged call is missing or repeated"
    differing = sorted(rid for rid, answers in record.answers.items() if len(answers) > 1)
    assert not differing, f"device requests answered differently (applied twice?): {differing}"


def check_display(record: Record, last_seqs: dict[str, int]) -> None:
    """Every call reached the display, in order per window, without gaps."""
    assert set(last_seqs) == {f"onewindow/{c}/window/{n}/call" for c in CENTRES for n in (1, 2)}
    for topic, last in last_seqs.items():
        shown: list[int] = []
        first_seen: dict[int, int] = {}
        for seq, serial in record.display[topic]:
            if seq in first_seen:
                assert first_seen[seq] == serial, f"{topic}: seq {seq} stood for two calls"
                continue
            assert seq == len(shown) + 1, f"{topic}: seq {seq} arrived after {len(shown)}: a gap or out of order"
            first_seen[seq] = serial
            shown.append(serial)
        assert len(shown) == last, f"{topic}: the display saw {len(shown)} of {last} calls"
        centre, window = topic.split("/")[1], int(topic.split("/")[3])
        assert shown == record.called[(centre, window)], f"{topic}: the display's calls differ from the answers"


WILL_WINDOW_S = runner.WILL_DELAY_S + 2.5
"""Longer than the broker holds a will back (it looks at the delayed wills about once a second)."""


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_server_reads_online_until_the_last_instance_leaves(
    database_url: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Of three instances one gets SIGKILL and one stops: ``server/availability`` never says ``offline``
    (the others take each leaver's delayed will back); the last one stops: then it says ``offline``."""
    await prepare(database_url)
    topic = SERVER_AVAILABILITY.build(CENTRES[0])
    shared = ["--mqtt-url", f"{mosquitto.url}?protocol=5"]
    heard: list[str] = []
    servers: list[ServerProcess] = []
    async with Broker.from_url(mosquitto.url).client(f"watch-{secrets.token_hex(3)}") as watcher:
        await watcher.subscribe(topic, qos=1)

        async def listen() -> None:
            async for message in watcher.messages:
                assert isinstance(message.payload, bytes)
                heard.append(message.payload.decode())

        listening = asyncio.create_task(listen())
        try:
            for i in range(3):
                servers.append(start_instance(database_url, tmp_path, f"instance{i}", shared))
            async with asyncio.timeout(30):
                while heard.count("online") < 3:  # each instance said it on its connection
                    await asyncio.sleep(0.05)
            servers[0].kill()
            await asyncio.sleep(WILL_WINDOW_S)  # the window in which a will not taken back would go out
            assert "offline" not in heard, f"after one instance was killed: {heard}"
            servers[1].stop()
            await asyncio.sleep(WILL_WINDOW_S)
            assert "offline" not in heard, f"after one instance stopped: {heard}"
            servers[2].stop()
            async with asyncio.timeout(30):
                while "offline" not in heard:
                    await asyncio.sleep(0.05)
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
            for server in servers:
                server.stop()
    assert heard[-1] == "offline" and heard.count("offline") == 1, heard
