"""Call-to-display timing: window displays and the hall board as MQTT subscribers.

Each window display is its own MQTT client subscribed, as a real one is, to its window's state and
calls (``window/<n>/call``); the hall board is one client subscribed as a protocol 2 board is: every
window's state and calls, ``hall/summary`` and ``hall/calls``. It counts every byte it receives
(:attr:`CallWatch.board`), so the benchmark can say what the board costs per call. One more
client counts the old ``hall/feed`` kept for boards of the previous release (:attr:`CallWatch.legacy`).
Before a window asks for its next ticket the caller says :meth:`CallWatch.expect`; the first new
call (not a recall) seen at that window is bound to that moment by its ``call_id``, and each
receiver records its own delay the first time it sees that call. A window has at most one
``next`` in flight, so the binding is unambiguous; calls seen before (``hall/calls`` repeats the
latest) are never bound again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiomqtt

from queue_server.protocol.topics import HALL_CALLS, HALL_FEED, HALL_SUMMARY, WINDOW_CALL, WINDOW_STATE

log = logging.getLogger(__name__)

CONNECT_GATE = 1
"""Subscribers connect and subscribe one at a time, so that connecting is not what a latency figure
measures (the power cut, all devices at once, is tests/test_power_cut.py)."""
MQTT_TIMEOUT_S = 30.0
"""How long a connect or subscribe may take on a loaded machine (aiomqtt's default is 10 s)."""


@dataclass(slots=True)
class Traffic:
    """What one subscriber received: messages, bytes, the largest payload, and the calls among them."""

    messages: int = 0
    bytes: int = 0
    largest: int = 0
    calls: int = 0
    """Messages on ``window/<n>/call``: each call (or recall) the board announces."""

    def take(self, size: int) -> None:
        self.messages += 1
        self.bytes += size
        self.largest = max(self.largest, size)

    def copy(self) -> Traffic:
        return Traffic(self.messages, self.bytes, self.largest, self.calls)


@dataclass(slots=True)
class Sample:
    """One call's delays, measured from the moment its ``next`` was asked for."""

    asked_at: float
    window: int
    display_s: float | None = None
    board_s: float | None = None


@dataclass
class CallWatch:
    """Subscribers for the hall board and each window's display, timing every call they receive."""

    broker_host: str
    broker_port: int
    centre: str
    windows: Iterable[int]
    samples: list[Sample] = field(default_factory=list)
    board: Traffic = field(default_factory=Traffic)
    """Everything the hall board received (retained messages on connecting included)."""
    legacy: Traffic = field(default_factory=Traffic)
    """The old whole-hall feed, as a board of the previous release receives it."""
    _pending: dict[int, float] = field(default_factory=dict)
    _bound: dict[str, Sample | None] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _ready: list[asyncio.Future[None]] = field(default_factory=list)

    def expect(self, window: int) -> None:
        """``window`` is about to ask for its next ticket: time its next call from now."""
        self._pending[window] = time.perf_counter()

    def cancel(self, window: int) -> None:
        """The window's ``next`` called nobody: there is no call to wait for."""
        self._pending.pop(window, None)

    def delivered(self, since: float = 0.0) -> list[Sample]:
        """Calls asked for at or after ``since`` (a perf_counter value)."""
        return [s for s in self.samples if s.asked_at >= since]

    async def wait_delivered(self, timeout: float) -> None:
        """Wait until every bound call reached both the display and the board, or ``timeout`` passed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while any(s.display_s is None or s.board_s is None for s in self.samples) or self._pending:
                    await asyncio.sleep(0.05)

    # --- Receiving ---------------------------------------------------------------------------

    def _seen(self, window: int, call_id: str, recall: bool, at: float, board: bool) -> None:
        if recall:
            return
        if call_id not in self._bound:
            asked = self._pending.pop(window, None)
            sample = Sample(asked, window) if asked is not None else None
            self._bound[call_id] = sample
            if sample is not None:
                self.samples.append(sample)
        sample = self._bound[call_id]
        if sample is None:
            return
        if board and sample.board_s is None:
            sample.board_s = at - sample.asked_at
        elif not board and sample.display_s is None:
            sample.display_s = at - sample.asked_at

    def _take_call(self, payload: bytes, at: float) -> None:
        call = json.loads(payload)
        self._seen(int(call["window"]), str(call["call_id"]), bool(call.get("recall")), at, board=False)

    def _take_latest(self, payload: bytes, at: float) -> None:
        """``hall/calls``: the latest calls, newest first."""
        calls: list[dict[str, Any]] = json.loads(payload).get("calls", [])
        for call in reversed(calls):  # oldest first, as they happened
            self._seen(int(call["window"]), str(call["call_id"]), bool(call.get("recall")), at, board=True)

    # --- Subscribers -------------------------------------------------------------------------

    async def _listen(
        self, identifier: str, topics: list[str], role: str, gate: asyncio.Semaphore, ready: asyncio.Future[None]
    ) -> None:
        client = aiomqtt.Client(
            self.broker_host, self.broker_port, identifier=identifier, keepalive=60, timeout=MQTT_TIMEOUT_S
        )
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with gate:
                    await stack.enter_async_context(client)
                    for topic in topics:
                        await client.subscribe(topic, qos=1)
                ready.set_result(None)
                async for message in client.messages:
                    self._take(identifier, role, message)
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error if isinstance(error, Exception) else RuntimeError(str(error)))
            raise

    def _take(self, identifier: str, role: str, message: aiomqtt.Message) -> None:
        """Time one message; a bad payload is logged with its topic and dropped."""
        payload = message.payload
        if not isinstance(payload, bytes) or not payload:
            return
        at = time.perf_counter()
        topic = message.topic.value
        try:
            if role == "legacy":
                self.legacy.take(len(payload))
            elif role == "board":
                self.board.take(len(payload))
                if topic == HALL_CALLS.build(self.centre):
                    self._take_latest(payload, at)
                elif WINDOW_CALL.parse(topic) is not None:
                    self.board.calls += 1
                    call = json.loads(payload)
                    self._seen(int(call["window"]), str(call["call_id"]), bool(call.get("recall")), at, board=True)
            elif topic.endswith("/call"):
                self._take_call(payload, at)
        except (ValueError, KeyError, TypeError) as error:
            log.warning("%s dropped a bad message on %s: %s", identifier, topic, error)

    async def __aenter__(self) -> Self:
        gate = asyncio.Semaphore(CONNECT_GATE)
        loop = asyncio.get_running_loop()
        shown = [WINDOW_STATE.filter(self.centre), WINDOW_CALL.filter(self.centre)]
        shown += [HALL_SUMMARY.build(self.centre), HALL_CALLS.build(self.centre)]
        subscribers = [
            (f"{self.centre}.board", shown, "board"),
            (f"{self.centre}.old-board", [HALL_FEED.build(self.centre)], "legacy"),
        ]
        for n in self.windows:
            topics = [WINDOW_STATE.build(self.centre, number=n), WINDOW_CALL.build(self.centre, number=n)]
            subscribers.append((f"{self.centre}.display-{n}", topics, "display"))
        for identifier, topics, board in subscribers:
            ready: asyncio.Future[None] = loop.create_future()
            self._ready.append(ready)
            self._tasks.append(asyncio.create_task(self._listen(identifier, topics, board, gate, ready)))
        try:
            await asyncio.gather(*self._ready)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await task
