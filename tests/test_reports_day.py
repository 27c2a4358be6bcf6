"""A day of traffic through the bus with the device twins, then every report figure checked against
a count made here, independently, from the event log.

A button kiosk takes 150 tickets (some through the green channel); two windows' keypads
call, start and finish them, mark no-shows and pause; some tickets are transferred; the pads rate
most of them (bad ratings too), and the rest are left to expire. The server's clock is a manual
one moved forward between presses, so waits and handling times are known.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.app.commands import ExpireRatings, Transfer
from queue_server.bus.connection import BrokerAddress
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Category
from queue_server.domain.windows import PauseReason
from queue_server.reports.figures import Dimension, figures
from queue_server.reports.periods import Period, PeriodKind
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.report_data import period_pauses, period_tickets, period_transfers
from queue_server.twins import ButtonKiosk, Keypad, Pad, TwinOptions
from tests.brokers import Mosquitto
from tests.factories import make_centre
from tests.test_bus import hall_on

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
"""The store is tested on both databases elsewhere; here the figures are what matters."""

FAST: TwinOptions = {"retry_interval": 0.2, "timeout": 20.0, "connect_timeout": 10.0}
DEVICES = [
    {"id": "kp-1", "kind": "keypad", "window": 1},
    {"id": "kp-2", "kind": "keypad", "window": 2},
    {"id": "pad-1", "kind": "pad", "window": 1},
    {"id": "pad-2", "kind": "pad", "window": 2},
    {"id": "k-1", "kind": "kiosk"},
]
TICKETS = 150
"""As many as the test centre's opening hours take at this pace, from 09:00."""
DAY = dt.date(2026, 11, 30)


def minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


def asks_for(pad: Pad, serial: int) -> Callable[[], bool]:
    """The pad shows the rating request of ``serial``: the citizen who just finished."""
    return lambda: pad.pad_state is not None and pad.pad_state.serial == serial


async def drive_a_day(service: Any, clock: ManualClock, broker: str) -> None:
    """The day's traffic, through the twins (and the API's service for transfers)."""
    rng = random.Random(20261130)
    async with (
        ButtonKiosk("test", "k-1", broker, **FAST) as kiosk,
        Keypad("test", "kp-1", 1, broker, **FAST) as kp1,
        Keypad("test", "kp-2", 2, broker, **FAST) as kp2,
        Pad("test", "pad-1", broker, **FAST) as pad1,
        Pad("test", "pad-2", broker, **FAST) as pad2,
    ):
        keypads, pads = {1: kp1, 2: kp2}, {1: pad1, 2: pad2}
        issued = 0
        while True:
            for _ in range(2):
                if issued < TICKETS:
                    category = Category.ELDERLY if issued % 9 == 4 else None
                    assert (await kiosk.ticket("pension", category)).ok
                    issued += 1
            clock.advance(seconds=rng.randint(0, 30))
            served_any = False
            for window in (1, 2):
                keypad = keypads[window]
                answer = await keypad.next()
                called = (answer.result or {}).get("ticket") if answer.ok else None
                if not isinstance(called, dict):
                    continue  # nobody waiting for this window now
                served_any = True
                serial = int(called["serial"])
                clock.advance(seconds=rng.randint(10, 40))
                roll = rng.random()
                if roll < 0.08:
                    assert (await keypad.no_show()).ok
                    continue
                if roll < 0.13 and window == 1:
                    moved = await service.act(
                        "test", Transfer(window=1, to_window=2), actor="staff:s1", request_id=f"move-{serial}"
                    )
                    assert moved.ok, moved.body
                    continue
                assert (await keypad.start()).ok
                clock.advance(seconds=rng.randint(60, 180))
                assert (await keypad.finish()).ok
                if rng.random() < 0.8:  # the rest are left unanswered, to expire
                    pad = pads[window]
                    await pad.wait_until(asks_for(pad, serial), 10)
                    assert (await pad.rate(serial, rng.choice((5, 5, 5, 4, 4, 3, 2, 1)))).ok
            if issued % 40 == 0 and issued < TICKETS:
                assert (await kp1.pause(PauseReason.BREAK)).ok
                clock.advance(minutes=12)
                assert (await kp1.resume()).ok
            if issued >= TICKETS and not served_any:
                break
        clock.advance(minutes=30)
        expired = await service.act("test", ExpireRatings(), actor="system:test", request_id="expire")
        assert expired.ok


async def independent_counts(db: Database) -> dict[int, dict[str, Any]]:
    """Per window, the figures as this test counts them from the event log alone."""
    async with db.read() as conn:
        events = (
            await conn.execute(
                select(schema.ticket_events.c.serial, schema.ticket_events.c.kind, schema.ticket_events.c.at,
                       schema.ticket_events.c.data).order_by(schema.ticket_events.c.id)
            )
        ).all()  # fmt: skip
        pauses = (
            await conn.execute(
                select(schema.window_events.c.window, schema.window_events.c.kind, schema.window_events.c.at)
                .order_by(schema.window_events.c.id)
            )
        ).all()  # fmt: skip
    by_serial: dict[int, list[Any]] = defaultdict(list)
    for event in events:
        by_serial[event.serial].append(event)
    counts: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"served": 0, "no_shows": 0, "transfers": 0, "transfers_in": 0, "waits": [], "handling": [], "green": 0,
                 "ratings": Counter(), "unrated": 0, "paused": 0.0}
    )  # fmt: skip
    for log in by_serial.values():
        issued = next(e for e in log if e.kind == "issued")
        calls = [e for e in log if e.kind == "called"]
        if not calls:
            continue
        window = calls[-1].data["window"]
        mine = counts[window]
        mine["waits"].append(minutes(calls[0].at - issued.at))
        mine["green"] += issued.data.get("category") is not None
        mine["no_shows"] += sum(1 for e in log if e.kind == "no_show")
        for moved in (e for e in log if e.kind == "transferred"):  # counted where it was made, and where it went
            counts[moved.data["from_window"]]["transfers"] += 1
            if moved.data.get("to_window") is not None:
                counts[moved.data["to_window"]]["transfers_in"] += 1
        finished = [e for e in log if e.kind == "finished"]
        if finished:
            mine["served"] += 1
            started = [e for e in log if e.kind == "serving_started"][-1]
            mine["handling"].append(minutes(finished[-1].at - started.at))
        for event in log:
            if event.kind == "rated":
                mine["ratings"][int(event.data["level"])] += 1
            elif event.kind == "rating_expired":
                mine["unrated"] += 1
    began: dict[int, dt.datetime] = {}
    for row in pauses:
        if row.kind == "paused":
            began[row.window] = row.at
        elif row.kind in ("resumed", "closed", "signed_off") and row.window in began:
            counts[row.window]["paused"] += minutes(row.at - began.pop(row.window))
    return counts


async def test_a_days_report_matches_what_the_event_log_says(db: Database, mosquitto: Mosquitto) -> None:
    centre = make_centre(devices=DEVICES)
    async with hall_on(db, BrokerAddress.from_url(mosquitto.url), centre) as hall:
        clock = hall.service.clock
        assert isinstance(clock, ManualClock)
        await drive_a_day(hall.service, clock, mosquitto.url)

    counted = await independent_counts(db)
    period = Period.holding(PeriodKind.DAY, DAY)
    async with db.read() as conn:
        tickets = await period_tickets(conn, "test", period)
        pauses = await period_pauses(conn, "test", period, "Asia/Shanghai", clock.now())
        transfers = await period_transfers(conn, "test", period)
    rows = {row.key: row for row in figures(tickets, pauses, Dimension.WINDOW, transfers)}
    assert sum(row.issued for row in figures(tickets, pauses, Dimension.CENTRE)) == TICKETS
    for window in (1, 2):
        row, mine = rows[str(window)], counted[window]
        where = f"window {window}"
        assert row.served == mine["served"], where
        assert row.no_shows == mine["no_shows"], where
        assert row.transfers == mine["transfers"], where
        assert row.transfers_in == mine["transfers_in"], where
        assert row.green == mine["green"], where
        assert row.wait_mean == round(sum(mine["waits"]) / len(mine["waits"]), 1), where
        assert row.wait_p90 == p90(mine["waits"]), where
        assert row.wait_longest == round(max(mine["waits"]), 1), where
        assert row.handling_mean == round(sum(mine["handling"]) / len(mine["handling"]), 1), where
        assert row.ratings == dict(mine["ratings"]), where
        assert row.unrated == mine["unrated"], where
        rated = sum(mine["ratings"].values())
        satisfied = sum(n for level, n in mine["ratings"].items() if level >= 3)
        assert row.satisfaction_rate == round(satisfied / rated, 4), where
        assert sum(row.paused_minutes.values()) == pytest.approx(mine["paused"], abs=0.1), where
    assert counted[1]["transfers"] == counted[2]["transfers_in"] > 0, "window 1 sent tickets on to window 2"
    assert counted[1]["no_shows"] + counted[2]["no_shows"] > 0
    assert counted[1]["unrated"] + counted[2]["unrated"] > 0, "some requests were left to expire"
    assert counted[1]["ratings"][1] + counted[2]["ratings"][1] > 0, "bad ratings too"
