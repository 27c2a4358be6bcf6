"""`onewindow demo --traffic N`: a simulated day replayed N times faster against the running server.

The day is drawn as the simulator draws it (``model.plan_day``: who comes when, for what, green
channel or not, how long each case takes), limited to the matters of the windows that have a
caller keypad, and thinned so that those windows can keep up. Then it is played in real time
against the real server through the device twins: the kiosk's twin takes each ticket (and the
demo's printer prints it), each keypad presses *next*, holds the ticket for its drawn handling
time and presses *finish*, and each window's rating pad rates it. Staff are signed on to the
keypads' windows through the JSON API with their demo tokens. The day starts again with the next
seed when it is over, until the demo stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.centre import Centre
from queue_server.domain.devices import DeviceKind
from queue_server.domain.tickets import Category
from queue_server.protocol import DeviceResponse
from queue_server.protocol.broker import Broker
from queue_server.simulate.model import plan_day
from queue_server.simulate.profiles import Profile, load_profile
from queue_server.twins import ButtonKiosk, Keypad, Pad, TwinError, TwinOptions, TwinTimeout
from queue_server.twins.script import RATING_WEIGHTS

LOAD = 0.8
"""The share of the keypad windows' time the replayed citizens keep busy: a lively, not a hopeless, hall."""
IDLE_MINUTES = 0.5
"""Simulated minutes a keypad waits before pressing next again when nobody waited."""

RATE_LIMITED = "rate-limited"
"""The error of a ticket refused because the kiosk took its tickets a minute (policy.kiosk_tickets_per_minute)."""
RATE_LIMIT_PAUSE = 1.0
"""Seconds the replay waits before asking again when the kiosk is over its limit."""

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Visit:
    """One citizen of the replayed day: seconds after the day's start (real time), and their case."""

    at: float
    matter: str
    category: Category | None
    seconds: float
    """Real seconds their case takes at the window."""
    clock: str
    """The simulated time of day they come, for the printed line."""


def keypad_windows(centre: Centre) -> dict[int, str]:
    """Windows with a caller keypad, and the keypad's id."""
    return {d.window: d.id for d in centre.devices if d.kind is DeviceKind.KEYPAD and d.window is not None}


def replay_day(centre: Centre, windows: Sequence[int], *, speed: float, seed: int, profile: Profile) -> list[Visit]:
    """The visits of one simulated day, for the matters these windows take, in real seconds at ``speed``."""
    served = {m.code for m in centre.matters for w in windows if centre.serves(centre.window(w), m)}
    calendar = WorkCalendar(centre)
    day = (
        profile.profile.day
        if calendar.is_open_day(profile.profile.day)
        else calendar.next_open_day(profile.profile.day)
    )
    plan = plan_day(random.Random(seed), centre, calendar, profile, day)
    mine = [a for a in plan.arrivals if a.matter in served]
    if not mine:
        return []
    first, last = mine[0].at, mine[-1].at
    # The day runs from its first citizen (the demo centre opens around the clock, so not from opening).
    span = max((last - first).total_seconds() / 60, 60.0)
    work = sum(a.minutes for a in mine)
    keep = min(1.0, LOAD * span * len(windows) / work)
    thinning = random.Random(f"{seed}:thin")
    visits = []
    for arrival in mine:
        if thinning.random() >= keep:
            continue
        offset = (arrival.at - first).total_seconds()
        clock = f"{calendar.local(arrival.at):%H:%M}"
        visits.append(Visit(offset / speed, arrival.matter, arrival.category, arrival.minutes * 60 / speed, clock))
    return visits


async def sign_on(base_url: str, centre: Centre, windows: Sequence[int], tokens: dict[str, str], say: Say) -> None:
    """Sign a staff member on to each window through the API (one already signed on is fine)."""
    used: set[str] = set()
    async with aiohttp.ClientSession() as session:
        for window in windows:
            person = next(
                (s for s in centre.staff if s.code not in used and (not s.windows or window in s.windows)
                 and f"staff:{s.code}" in tokens),
                None,
            )  # fmt: skip
            if person is None:
                say(f"traffic: nobody may staff window {window}; its keypad will find it closed")
                continue
            used.add(person.code)
            url = f"{base_url}/api/v1/centres/{centre.code}/windows/{window}/sign-on"
            headers = {"Authorization": f"Bearer {tokens[f'staff:{person.code}']}"}
            async with session.post(url, json={"request_id": f"traffic-{uuid.uuid4()}"}, headers=headers) as answer:
                if answer.status >= 400 and answer.status != 409:
                    say(f"traffic: cannot sign {person.code} on to window {window}: HTTP {answer.status}")


async def replay(
    centre: Centre,
    broker: Broker,
    base_url: str,
    tokens: dict[str, str],
    *,
    speed: float,
    seed: int = 0,
    say: Say = print,
    profile: Profile | None = None,
    days: int | None = None,
) -> None:
    """Play simulated days against the server until cancelled (or ``days`` days are over)."""
    if speed <= 0:
        say(f"traffic: cannot replay a day {speed:g} times faster: give a speed above 0")
        return
    windows = keypad_windows(centre)
    kiosk = next((d.id for d in centre.devices if d.kind is DeviceKind.KIOSK), None)
    if not windows or kiosk is None:
        say("traffic: the centre has no caller keypad or no kiosk, so there is nobody to play the day")
        return
    profile = profile or load_profile()
    pads = {d.window: d.id for d in centre.devices if d.kind is DeviceKind.PAD and d.window in windows}
    await sign_on(base_url, centre, sorted(windows), tokens, say)
    code = centre.code
    options = TwinOptions(timeout=10.0)
    async with contextlib.AsyncExitStack() as stack:
        ticket_kiosk = await stack.enter_async_context(ButtonKiosk(code, kiosk, broker, **options))
        keypads = [await stack.enter_async_context(Keypad(code, i, w, broker, **options)) for w, i in windows.items()]
        rating_pads = [await stack.enter_async_context(Pad(code, i, broker, **options)) for i in pads.values()]
        say(f"traffic: a simulated day {speed:g} times faster at windows {', '.join(map(str, sorted(windows)))}")
        cases: dict[str, float] = {}
        """Real seconds of each issued ticket's case, by number, until a keypad calls it."""
        idle = IDLE_MINUTES * 60 / speed
        async with asyncio.TaskGroup() as group:
            workers = [group.create_task(_keypad(keypad, cases, idle, say)) for keypad in keypads]
            workers += [
                group.create_task(_pad(pad, random.Random(f"{seed}:{pad.device_id}"), idle, say)) for pad in rating_pads
            ]
            try:
                day = 0
                while days is None or day < days:
                    visits = replay_day(centre, sorted(windows), speed=speed, seed=seed + day, profile=profile)
                    await _kiosk(ticket_kiosk, visits, cases, say)
                    day += 1
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 60 + sum(cases.values())
                while cases and loop.time() < deadline:  # the last citizens are called before it ends
                    await asyncio.sleep(idle)
            finally:
                for worker in workers:
                    worker.cancel()


async def run_traffic(
    centre: Centre, broker: Broker, base_url: str, tokens: dict[str, str], *, speed: float, say: Say = print
) -> None:
    """:func:`replay` for the demo: a failure is said, never raised into the server's loop."""
    try:
        await replay(centre, broker, base_url, tokens, speed=speed, say=say)
    except* (TwinError, aiohttp.ClientError, OSError) as group:
        say(f"traffic stopped: {'; '.join(str(e) for e in group.exceptions)}")


async def _kiosk(kiosk: ButtonKiosk, visits: Sequence[Visit], cases: dict[str, float], say: Say) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for visit in visits:
        await asyncio.sleep(max(0.0, start + visit.at - loop.time()))
        try:
            answer = await kiosk.ticket(visit.matter, visit.category)
            while answer.error is not None and answer.error.type == RATE_LIMITED:
                await asyncio.sleep(RATE_LIMIT_PAUSE)  # the kiosk's own limit (policy): the crowd waits
                answer = await kiosk.ticket(visit.matter, visit.category)
        except TwinTimeout as error:
            say(f"traffic {visit.clock}: no ticket for {visit.matter}: {error}")
            continue
        number = _number(answer)
        if number is None:
            say(f"traffic {visit.clock}: ticket for {visit.matter} refused: {_why(answer)}")
            continue
        cases[number] = visit.seconds
        green = f" ({visit.category.value})" if visit.category else ""
        say(f"traffic {visit.clock}: ticket {number} for {visit.matter}{green}")


async def _keypad(keypad: Keypad, cases: dict[str, float], idle: float, say: Say) -> None:
    """Next; hold the ticket for its case's time; finish; again. Nobody waiting: press again soon."""
    while True:
        try:
            answer = await keypad.next()
        except TwinTimeout:
            await asyncio.sleep(idle)
            continue
        number = _number(answer)
        if number is None:
            await asyncio.sleep(idle)
            continue
        say(f"traffic: window {keypad.window} calls {number}")
        await asyncio.sleep(cases.pop(number, idle))
        with contextlib.suppress(TwinTimeout):
            finished = await keypad.finish()
            if not finished.ok:
                say(f"traffic: window {keypad.window} cannot finish {number}: {_why(finished)}")


async def _pad(pad: Pad, rng: random.Random, think: float, say: Say) -> None:
    while True:
        state = await pad.wait_for_request()
        if state.serial is None:
            continue
        await asyncio.sleep(think * rng.uniform(0.2, 1.0))
        level = rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
        with contextlib.suppress(TwinTimeout, TwinError):
            answer = await pad.rate(state.serial, level)
            if answer.ok:
                say(f"traffic: {state.number or state.serial} rated {level} on {pad.device_id}")


def _number(answer: DeviceResponse) -> str | None:
    ticket = (answer.result or {}).get("ticket") if answer.ok else None
    number = ticket.get("number") if isinstance(ticket, dict) else None
    return str(number) if number is not None else None


def _why(answer: DeviceResponse) -> str:
    return answer.error.detail if answer.error is not None else "refused"
