"""A scripted hall: twins that press their buttons at a pace, for ``onewindow devices simulate``.

Keypads call the next ticket and finish it, pads rate each ticket they are asked about, kiosks take
tickets for random matters. Each device draws from its own random stream (the seed and its id), so
a run is repeatable device by device whatever the interleaving. One line is printed per action,
with the server's answer; a request left unanswered is printed too and the device goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Unpack

from device_client import Twin, TwinError, TwinOptions, TwinTimeout
from queue_server.protocol import Category, DeviceKind, DeviceResponse
from queue_server.protocol.broker import Broker
from queue_server.twins.devices import ButtonKiosk, Keypad, Pad

RATING_WEIGHTS = {5: 70, 4: 18, 3: 7, 2: 3, 1: 2}
"""How often a simulated citizen gives each level: most are satisfied, a few are not."""
GREEN_CHANNEL_SHARE = 0.1
"""The share of kiosk tickets taken through the green channel."""

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device to simulate: its kind, id and, for a keypad, its window."""

    kind: DeviceKind
    id: str
    window: int | None = None


def make_twin(centre: str, spec: DeviceSpec, broker: Broker, **options: Unpack[TwinOptions]) -> Twin:
    """The twin of one device; only keypads, pads and kiosks have one."""
    if spec.kind is DeviceKind.KEYPAD:
        if spec.window is None:
            raise TwinError(f"Cannot simulate keypad {spec.id}: it names no window")
        return Keypad(centre, spec.id, spec.window, broker, **options)
    if spec.kind is DeviceKind.PAD:
        return Pad(centre, spec.id, broker, **options)
    if spec.kind is DeviceKind.KIOSK:
        return ButtonKiosk(centre, spec.id, broker, **options)
    raise TwinError(
        f"Cannot simulate {spec.kind.value} {spec.id}: only keypads, pads and kiosks have twins"
        " (printers and displays run their own clients)"
    )


def describe(response: DeviceResponse) -> str:
    """An answer in one line: ``ok`` and the ticket it concerns, or ``refused`` and why."""
    if not response.ok:
        if response.error is None:
            return "refused"
        return f"refused ({response.error.type}): {response.error.detail}"
    result = response.result or {}
    ticket = result.get("ticket")
    if isinstance(ticket, dict) and "number" in ticket:
        shown = [str(ticket["number"]), str(ticket.get("matter_name") or ticket.get("matter") or "")]
        status = f", {ticket['status']}" if ticket.get("status") else ""
        return f"ok: {' '.join(part for part in shown if part)}{status}"
    if result.get("changed") is False:
        return "ok: nothing to do"
    if not result:
        return "ok"
    return "ok " + json.dumps(result, ensure_ascii=False, separators=(",", ":"))


def called_a_ticket(response: DeviceResponse) -> bool:
    """Whether ``next`` called someone: the server answers ok without a ticket when nobody waits."""
    result = response.result or {}
    return response.ok and ("ticket" not in result or result["ticket"] is not None)


async def simulate(
    centre: str,
    devices: Sequence[DeviceSpec],
    broker: Broker,
    *,
    matters: Sequence[str],
    pace: float,
    seed: int,
    say: Say,
    duration: float | None = None,
    **options: Unpack[TwinOptions],
) -> None:
    """Run a twin of each device and its script until cancelled (Ctrl-C) or ``duration`` seconds."""
    if not devices:
        raise TwinError(f"Cannot simulate centre {centre!r}: no keypads, pads or kiosks were chosen")
    async with contextlib.AsyncExitStack() as stack:
        twins = [await stack.enter_async_context(make_twin(centre, spec, broker, **options)) for spec in devices]
        say(f"{len(twins)} device{'s' if len(twins) != 1 else ''} online at {broker} for centre {centre}")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration), asyncio.TaskGroup() as group:
                for twin in twins:
                    rng = random.Random(f"{seed}:{twin.device_id}")
                    group.create_task(_script(twin, rng, pace, matters, say), name=f"script {twin.identifier}")


async def _script(twin: Twin, rng: random.Random, pace: float, matters: Sequence[str], say: Say) -> None:
    if isinstance(twin, Keypad):
        await _keypad(twin, rng, pace, say)
    elif isinstance(twin, Pad):
        await _pad(twin, rng, pace, say)
    elif isinstance(twin, ButtonKiosk):
        await _kiosk(twin, rng, pace, matters, say)


def _line(twin: Twin, action: str, outcome: str) -> str:
    return f"{time.strftime('%H:%M:%S')} {twin.device_id} {action} → {outcome}"


async def _keypad(keypad: Keypad, rng: random.Random, pace: float, say: Say) -> None:
    """Next, then finish what was called, then next again; a refused next is tried again later."""
    with contextlib.suppress(TwinTimeout):  # the window's state is retained: it comes at once, if at all
        await keypad.wait_until(lambda: keypad.window_state is not None, timeout=min(pace, 2.0))
    holding = keypad.window_state is not None and keypad.window_state.ticket is not None
    while True:
        await asyncio.sleep(pace * rng.uniform(0.5, 1.5))
        action = "finish" if holding else "next"
        try:
            response = await (keypad.finish() if holding else keypad.next())
        except TwinTimeout as error:
            say(_line(keypad, action, f"no answer: {error}"))
            continue
        say(_line(keypad, f"(window {keypad.window}) {action}", describe(response)))
        holding = action == "next" and called_a_ticket(response)


async def _pad(pad: Pad, rng: random.Random, pace: float, say: Say) -> None:
    """Wait for each rating request, think a moment, press a level."""
    while True:
        state = await pad.wait_for_request()
        assert state.serial is not None  # an open request without one is dropped as a bad payload
        await asyncio.sleep(pace * rng.uniform(0.2, 1.0))
        level = rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
        shown = f"rating {state.number or state.serial} level {level}"
        try:
            say(_line(pad, shown, describe(await pad.rate(state.serial, level))))
        except TwinTimeout as error:
            say(_line(pad, shown, f"no answer: {error}"))


async def _kiosk(kiosk: ButtonKiosk, rng: random.Random, pace: float, matters: Sequence[str], say: Say) -> None:
    """Take a ticket for a random matter at each beat; now and then through the green channel."""
    if not matters:
        say(_line(kiosk, "ticket", "skipped: the centre has no matters"))
        return
    while True:
        await asyncio.sleep(pace * rng.uniform(0.5, 1.5))
        matter = rng.choice(matters)
        category = rng.choice(list(Category)) if rng.random() < GREEN_CHANNEL_SHARE else None
        shown = f"ticket {matter}" + (f" ({category.value})" if category else "")
        try:
            say(_line(kiosk, shown, describe(await kiosk.ticket(matter, category))))
        except TwinTimeout as error:
            say(_line(kiosk, shown, f"no answer: {error}"))
