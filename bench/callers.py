"""Who presses "next" at a window: its caller keypad over MQTT, or the counter console over HTTP.

Both answer whether someone was called, and time the answer; the call itself is timed by the
displays (bench.calls).
"""

from __future__ import annotations

import time
from typing import Protocol

import aiohttp

from bench.rig import Rig
from queue_server.twins import Keypad


class Caller(Protocol):
    window: int

    async def next(self) -> tuple[bool, float]:
        """Ask for the next ticket: whether one was called, and the seconds until the answer."""
        ...

    async def finish(self) -> None: ...


class KeypadCaller:
    """A window's caller keypad twin: requests over MQTT, answered on its response topic."""

    def __init__(self, keypad: Keypad) -> None:
        self.keypad = keypad
        self.window = keypad.window

    async def next(self) -> tuple[bool, float]:
        started = time.perf_counter()
        answer = await self.keypad.next()
        took = time.perf_counter() - started
        if not answer.ok:
            raise RuntimeError(f"Cannot call next at window {self.window} by keypad: {answer.error}")
        return (answer.result or {}).get("ticket") is not None, took

    async def finish(self) -> None:
        answer = await self.keypad.finish()
        if not answer.ok:
            raise RuntimeError(f"Cannot finish at window {self.window} by keypad: {answer.error}")


class HttpCaller:
    """The counter console's "next" and "finish": the JSON API with the window's staff token."""

    def __init__(self, rig: Rig, session: aiohttp.ClientSession, window: int) -> None:
        self.rig, self.session, self.window = rig, session, window
        self.token = rig.token.staff[window]

    async def next(self) -> tuple[bool, float]:
        started = time.perf_counter()
        answer = await self.rig.post(self.session, f"windows/{self.window}/call-next", self.token, {})
        return answer.get("ticket") is not None, time.perf_counter() - started

    async def finish(self) -> None:
        await self.rig.post(self.session, f"windows/{self.window}/finish", self.token, {"outcome": "on_the_spot"})
