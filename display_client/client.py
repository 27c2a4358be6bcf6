"""The display on the bus: a device of kind ``display`` that keeps a :class:`Board` up to date.

It is a twin (device_client): the same connection loop, availability with a last will,
reconnection with backoff and per-topic ``seq`` and ``protocol`` checks as every device. After each
(re)connection the broker hands it the retained window states, the hall's summary and latest
calls and the server's availability again, so the board rebuilds itself from those alone; what it
showed stays on screen meanwhile, marked as not live. It never reads the old whole-hall
``hall/feed``. A message of a protocol newer than it knows is not shown: the board says it needs
an update. Each change is handed to ``on_change``; each live call never seen before to ``on_call``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar, Unpack

from device_client import Twin, TwinOptions
from display_client.board import Board, Mode
from queue_server.protocol import OFFLINE, ONLINE, DeviceKind
from queue_server.protocol.broker import LOCAL_BROKER, Broker
from queue_server.protocol.payloads import Call, HallCalls, HallSummary, Sequenced, WindowState
from queue_server.protocol.topics import HALL_CALLS, HALL_SUMMARY, SERVER_AVAILABILITY, WINDOW_CALL, WINDOW_STATE


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DisplayClient(Twin):
    """A hall board (``window=None``) or one window's display, as ``async with DisplayClient(...)``."""

    kind: ClassVar[DeviceKind] = DeviceKind.DISPLAY

    def __init__(
        self,
        centre: str,
        device_id: str,
        broker: Broker | str = LOCAL_BROKER,
        *,
        window: int | None = None,
        on_change: Callable[[Board], None] | None = None,
        on_call: Callable[[Call], None] | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        **options: Unpack[TwinOptions],
    ) -> None:
        super().__init__(centre, device_id, broker, **options)
        mode = Mode.HALL if window is None else Mode.WINDOW
        self.board = Board(mode=mode, window=window, centre=self.centre)
        self._on_change = on_change
        self._on_call = on_call
        self._clock = clock
        self._summary_topic = HALL_SUMMARY.build(self.centre)
        self._calls_topic = HALL_CALLS.build(self.centre)
        self._server_topic = SERVER_AVAILABILITY.build(self.centre)

    def _subscriptions(self) -> list[str]:
        if self.board.window is None:
            windows = [WINDOW_STATE.filter(self.centre), WINDOW_CALL.filter(self.centre)]
        else:
            number = self.board.window
            windows = [WINDOW_STATE.build(self.centre, number=number), WINDOW_CALL.build(self.centre, number=number)]
        return [self._server_topic, self._summary_topic, self._calls_topic, *windows]

    def _receive(self, topic: str, payload: bytes) -> bool:
        now = self._clock()
        if topic == self._server_topic:
            text = payload.decode("utf-8", "replace").strip()
            if text not in (ONLINE, OFFLINE):
                raise ValueError(f"server availability {text[:40]!r} is neither {ONLINE} nor {OFFLINE}")
            return self.board.take_server(text == ONLINE, now)
        if not payload:  # a retained message cleared: nothing to show from it
            self._forget(topic)
            return False
        if topic == self._summary_topic:
            summary = HallSummary.model_validate_json(payload)
            return self._readable(topic, summary, now) and self.board.take_summary(summary, now)
        if topic == self._calls_topic:
            latest = HallCalls.model_validate_json(payload)
            return self._readable(topic, latest, now) and self.board.take_calls(latest, now)
        if WINDOW_STATE.parse(topic) is not None:
            state = WindowState.model_validate_json(payload)
            return self._readable(topic, state, now) and self.board.take_window(state, now)
        if WINDOW_CALL.parse(topic) is not None:
            call = Call.model_validate_json(payload)
            if not (self._readable(topic, call, now) and self.board.take_call(call, now)):
                return False
            if self._on_call is not None:
                self._on_call(call)
            return True
        return False

    def _readable(self, topic: str, message: Sequenced, now: dt.datetime) -> bool:
        """The twin's protocol and sequence checks; a newer protocol is shown on the board too."""
        if self._accept(topic, message):
            return True
        if self.unknown_protocol is not None and self.board.take_unknown_protocol(self.unknown_protocol, now):
            self._show_change()
        return False

    def _show_change(self) -> None:
        """Also tell the board whether the broker is there, and hand every change on."""
        self.board.take_connection(self.connected, self._clock())
        self.board.take_newer_protocol(self.newer_protocol, self._clock())
        super()._show_change()
        if self._on_change is not None:
            self._on_change(self.board)
