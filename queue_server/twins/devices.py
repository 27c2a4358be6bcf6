"""The three devices that send requests: a window's caller keypad, its rating pad, a button kiosk.

Each shows what its firmware shows (the keypad its window's state and calls, the pad its open
rating request) and has one method per button, returning the server's answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import ClassVar, Unpack

from device_client import Twin, TwinOptions, TwinTimeout
from queue_server.protocol import Category, DeviceKind, DeviceResponse, Outcome, PauseReason
from queue_server.protocol.broker import LOCAL_BROKER, Broker
from queue_server.protocol.payloads import Call, PadState, PadStatus, WindowState
from queue_server.protocol.topics import PAD_STATE, WINDOW_CALL, WINDOW_STATE

RECENT_CALLS = 50
"""How many calls a keypad keeps in :attr:`Keypad.calls`."""


class Keypad(Twin):
    """A caller keypad (呼叫器) at one window: next, recall, no-show, start, finish, pause, resume."""

    kind: ClassVar[DeviceKind] = DeviceKind.KEYPAD

    def __init__(
        self,
        centre: str,
        device_id: str,
        window: int,
        broker: Broker | str = LOCAL_BROKER,
        **options: Unpack[TwinOptions],
    ) -> None:
        super().__init__(centre, device_id, broker, **options)
        self.window = window
        self._state_topic = WINDOW_STATE.build(self.centre, number=window)
        self._call_topic = WINDOW_CALL.build(self.centre, number=window)
        self.window_state: WindowState | None = None
        """The window's latest retained state (None until the server published one)."""
        self._calls: deque[Call] = deque(maxlen=RECENT_CALLS)

    @property
    def calls(self) -> tuple[Call, ...]:
        """The calls and recalls at this window since the twin started, oldest first."""
        return tuple(self._calls)

    @property
    def last_call(self) -> Call | None:
        return self._calls[-1] if self._calls else None

    def _subscriptions(self) -> list[str]:
        return [self._state_topic, self._call_topic]

    def _receive(self, topic: str, payload: bytes) -> bool:
        if topic == self._state_topic:
            if not payload:
                self._forget(topic)
                self.window_state = None
                return True
            state = WindowState.model_validate_json(payload)
            if self._accept(topic, state):
                self.window_state = state
                return True
        elif topic == self._call_topic:
            call = Call.model_validate_json(payload)
            if self._accept(topic, call):
                self._calls.append(call)
                return True
        return False

    async def next(self) -> DeviceResponse:
        """Call the next ticket to this window (叫号)."""
        return await self.request("next")

    async def recall(self) -> DeviceResponse:
        """Call the current ticket again (重呼)."""
        return await self.request("recall")

    async def no_show(self) -> DeviceResponse:
        """The called citizen did not come (过号)."""
        return await self.request("no_show")

    async def start(self) -> DeviceResponse:
        """The citizen arrived: service starts."""
        return await self.request("start")

    async def finish(self, outcome: Outcome | str = Outcome.ON_THE_SPOT) -> DeviceResponse:
        """Service ends with ``outcome`` (办结: 即办件 by default)."""
        return await self.request("finish", outcome=outcome)

    async def pause(self, reason: PauseReason | str = PauseReason.BREAK, minutes: int | None = None) -> DeviceResponse:
        """Pause the window (暂停服务) for ``reason``, for ``minutes`` if known."""
        return await self.request("pause", reason=reason, minutes=minutes)

    async def resume(self) -> DeviceResponse:
        """Open the paused window again."""
        return await self.request("resume")


class Pad(Twin):
    """A rating pad (好差评评价器) at one window: shows the open rating request, sends the rating."""

    kind: ClassVar[DeviceKind] = DeviceKind.PAD

    def __init__(
        self,
        centre: str,
        device_id: str,
        broker: Broker | str = LOCAL_BROKER,
        **options: Unpack[TwinOptions],
    ) -> None:
        super().__init__(centre, device_id, broker, **options)
        self._state_topic = PAD_STATE.build(self.centre, device=self.device_id)
        self.pad_state: PadState | None = None
        """The pad's latest retained state (None until the server published one)."""
        self._answered: set[int] = set()

    def _subscriptions(self) -> list[str]:
        return [self._state_topic]

    def _receive(self, topic: str, payload: bytes) -> bool:
        if topic != self._state_topic:
            return False
        if not payload:
            self._forget(topic)
            self.pad_state = None
            return True
        state = PadState.model_validate_json(payload)
        if state.state is PadStatus.OPEN and state.serial is None:
            raise ValueError("an open rating request names no ticket serial")
        if self._accept(topic, state):
            self.pad_state = state
            return True
        return False

    def _open_request(self) -> PadState | None:
        state = self.pad_state
        if state is None or state.state is not PadStatus.OPEN or state.serial in self._answered:
            return None
        return state

    async def wait_for_request(self, timeout: float | None = None) -> PadState:
        """The open rating request this pad has not answered yet, as soon as there is one.

        A request this twin already rated is skipped even while the retained state still shows
        it, so a loop of wait and rate never rates one ticket twice.
        """
        try:
            await self.wait_until(lambda: self._open_request() is not None, timeout)
        except TwinTimeout:
            raise TwinTimeout(f"{self.name} got no rating request to answer in {timeout:g} s") from None
        state = self._open_request()
        assert state is not None  # the condition just held, and nothing ran in between
        return state

    async def rate(self, serial: int, level: int, items: Mapping[str, int] | None = None) -> DeviceResponse:
        """Rate ticket ``serial`` from 5 (非常满意) to 1 (非常不满意), and optionally ``items``
        (efficiency 服务效率, skill 服务水平, attitude 服务态度, each 1 to 5), as the pad's item button gives them.

        Any answer closes the request on this pad, as on the real one: an error (expired, already
        rated) is shown once and the pad goes back to waiting.
        """
        response = await self.request("rating", serial=serial, level=level, items=dict(items) if items else None)
        self._answered.add(serial)
        return response


class ButtonKiosk(Twin):
    """A button kiosk (village station): one button per matter, each takes a ticket."""

    kind: ClassVar[DeviceKind] = DeviceKind.KIOSK

    async def ticket(self, matter: str, category: Category | str | None = None) -> DeviceResponse:
        """Take a ticket for ``matter``; a ``category`` sends it through the green channel (绿色通道)."""
        return await self.request("ticket", matter=matter, category=category)
